import { useEffect, useId, useRef, useState } from 'react';
import { describeError } from '../errors.ts';
import { trpc, type RouterOutputs } from '../trpc.ts';

export type FoundUser = RouterOutputs['users']['search'][number];

/** Waits for a pause in typing before searching, so each keystroke is not a request. */
const SEARCH_DELAY_MS = 200;
const SEARCH_MAX = 64;

interface UserSearchProps {
  label: string;
  onPick: (user: FoundUser) => void;
  /** People already chosen, left out of the results. */
  excludeIds?: readonly number[];
  /**
   * The group being added to: the server leaves its members out before it counts the page,
   * so members never crowd out people who can still be added.
   */
  notInConversationId?: number;
  /** What picking does, for the result buttons' names ("Message", "Add"). */
  action: string;
  disabled?: boolean;
  autoFocus?: boolean;
}

/** Finds people by name or username as you type. */
export function UserSearch({ label, onPick, excludeIds = [], notInConversationId, action, disabled = false, autoFocus = true }: UserSearchProps) {
  const inputId = useId();
  const [text, setText] = useState('');
  const [query, setQuery] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setQuery(text.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text]);

  const search = trpc.users.search.useQuery(
    { query, limit: 10, notInConversationId },
    { enabled: query !== '', placeholderData: (previous) => previous },
  );
  const found = search.data ?? [];
  // Still needed with notInConversationId: someone added since the answer came is a member now.
  const results = found.filter((user) => !excludeIds.includes(user.id));
  // Picking starts the next search afresh: the picked name is done with, and the keyboard
  // goes back to the search box (the button it was on goes with the results).
  const input = useRef<HTMLInputElement | null>(null);
  const pick = (user: FoundUser) => {
    setText('');
    setQuery('');
    onPick(user);
    input.current?.focus();
  };

  return (
    <div className="user-search">
      <label htmlFor={inputId}>{label}</label>
      <input
        ref={input}
        id={inputId}
        type="search"
        autoComplete="off"
        maxLength={SEARCH_MAX}
        value={text}
        autoFocus={autoFocus}
        onChange={(event) => setText(event.target.value)}
      />
      {query !== '' &&
        (search.isError ? (
          <p role="alert" className="inline-error">
            {describeError(search.error)}
          </p>
        ) : search.isPending ? (
          <p role="status" className="muted">
            Searching…
          </p>
        ) : results.length === 0 ? (
          <p role="status" className="muted">
            {noneFoundMessage(query, found.length, notInConversationId !== undefined)}
          </p>
        ) : (
          <ul role="list" aria-label="People found" className="people">
            {results.map((user) => (
              <li key={user.id}>
                <button type="button" className="person" disabled={disabled} onClick={() => pick(user)} aria-label={`${action} ${user.displayName}`}>
                  <bdi className="person-name">{user.displayName}</bdi>
                  <span className="muted">@{user.username}</span>
                  {user.online && <span className="online-dot" title="Online" />}
                </button>
              </li>
            ))}
          </ul>
        ))}
    </div>
  );
}

/**
 * What an empty list says. With the group's members left out by the server, nobody else
 * matched (or whoever it found has been added since); else whoever matched is chosen already.
 */
function noneFoundMessage(query: string, foundCount: number, membersLeftOut: boolean): string {
  if (membersLeftOut) return `Nobody found for “${query}” who isn’t already in.`;
  return foundCount === 0 ? `Nobody found for “${query}”.` : `Everyone found for “${query}” is already in.`;
}
