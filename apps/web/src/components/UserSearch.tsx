import { useEffect, useId, useState } from 'react';
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
  /** What picking does, for the result buttons' names ("Message", "Add"). */
  action: string;
  disabled?: boolean;
  autoFocus?: boolean;
}

/** Finds people by name or username as you type. */
export function UserSearch({ label, onPick, excludeIds = [], action, disabled = false, autoFocus = true }: UserSearchProps) {
  const inputId = useId();
  const [text, setText] = useState('');
  const [query, setQuery] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setQuery(text.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text]);

  const search = trpc.users.search.useQuery({ query, limit: 10 }, { enabled: query !== '', placeholderData: (previous) => previous });
  const found = search.data ?? [];
  const results = found.filter((user) => !excludeIds.includes(user.id));
  // Picking starts the next search afresh: the picked name is done with.
  const pick = (user: FoundUser) => {
    setText('');
    setQuery('');
    onPick(user);
  };

  return (
    <div className="user-search">
      <label htmlFor={inputId}>{label}</label>
      <input
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
            {found.length === 0 ? `Nobody found for “${query}”.` : `Everyone found for “${query}” is already in.`}
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
