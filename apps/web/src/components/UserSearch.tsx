import { useId, useRef, type KeyboardEvent } from 'react';
import { describeError } from '../errors.ts';
import { useLiveStateTrusted, useSearchBox } from '../hooks.ts';
import { trpc, type RouterOutputs } from '../trpc.ts';

export type FoundUser = RouterOutputs['users']['search'][number];

const SEARCH_MAX = 64;

interface UserSearchProps {
  label: string;
  onPick: (user: FoundUser) => void;
  /**
   * People already chosen, left out of the results. For a group not made yet the server
   * leaves them out before it counts the page, so they never crowd out people still to pick.
   */
  excludeIds?: readonly number[];
  /**
   * The group being added to: the server leaves its members out before it counts the page,
   * so members never crowd out people who can still be added (`excludeIds` are then only
   * hidden here: whoever was added since the answer came).
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
  const { text, setText, query, clear } = useSearchBox();

  const leftOutByServer = notInConversationId !== undefined ? { notInConversationId } : excludeIds.length > 0 ? { excludeIds: [...excludeIds] } : {};
  const search = trpc.users.search.useQuery(
    { query, limit: 10, ...leftOutByServer },
    { enabled: query !== '', placeholderData: (previous) => previous },
  );
  // An answer's "online" is as of the answer; while reconnecting nobody shows online anywhere.
  const presenceTrusted = useLiveStateTrusted();
  const found = search.data ?? [];
  // Still needed: someone picked or added since the answer came is in now.
  const results = found.filter((user) => !excludeIds.includes(user.id));
  // Picking starts the next search afresh: the picked name is done with, and the keyboard
  // goes back to the search box (the button it was on goes with the results).
  const input = useRef<HTMLInputElement | null>(null);
  const pick = (user: FoundUser) => {
    clear();
    onPick(user);
    input.current?.focus();
  };
  // Arrow keys walk from the box through the results and back, as in any picker; each result
  // stays a real button, so Tab and screen readers reach them as before.
  const list = useRef<HTMLUListElement | null>(null);
  const onArrow = (event: KeyboardEvent) => {
    // A letter typed on a result goes on with the search, in the box (Space presses the result).
    if (event.target !== input.current && event.key.length === 1 && event.key !== ' ' && !event.ctrlKey && !event.metaKey && !event.altKey) {
      input.current?.focus();
      return;
    }
    // And Backspace takes back the last one typed, in the box too.
    if (event.target !== input.current && event.key === 'Backspace') {
      event.preventDefault();
      setText([...text].slice(0, -1).join(''));
      input.current?.focus();
      return;
    }
    const step = event.key === 'ArrowDown' ? 1 : event.key === 'ArrowUp' ? -1 : 0;
    if (step === 0) return;
    const buttons = [...(list.current?.querySelectorAll<HTMLButtonElement>('button.person') ?? [])];
    const at = buttons.findIndex((button) => button === document.activeElement);
    // Up in the box is the box's own (the caret to the start).
    if (buttons.length === 0 || (at === -1 && step < 0)) return;
    event.preventDefault();
    const next = at + step;
    if (next < 0) input.current?.focus();
    else buttons[Math.min(next, buttons.length - 1)]?.focus();
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
        onKeyDown={onArrow}
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
            {noneFoundMessage(query, Object.keys(leftOutByServer).length > 0)}
          </p>
        ) : (
          <ul ref={list} role="list" aria-label="People found" className="people" onKeyDown={onArrow}>
            {results.map((user) => (
              <li key={user.id}>
                <button type="button" className="person" disabled={disabled} onClick={() => pick(user)} aria-label={`${action} ${user.displayName} (@${user.username})`}>
                  <bdi className="person-name">{user.displayName}</bdi>
                  <span className="muted">@{user.username}</span>
                  {presenceTrusted && user.online && <span className="online-dot" title="Online" data-testid="online-dot" />}
                </button>
              </li>
            ))}
          </ul>
        ))}
    </div>
  );
}

/**
 * What an empty list says: with the group's members or the people picked left out by the
 * server, nobody else matched (or whoever it found is in since).
 */
function noneFoundMessage(query: string, someLeftOut: boolean): string {
  return someLeftOut ? `Nobody found for “${query}” who isn’t already in.` : `Nobody found for “${query}”.`;
}
