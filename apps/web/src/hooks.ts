import { createContext, use, useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import type { ConnectionStatus, ConnectionStatusStore } from './connection.ts';
import { UNREACHABLE } from './errors.ts';
import type { Outbox } from './outbox.ts';
import type { Session, SessionState } from './session.ts';

export const SessionContext = createContext<Session | null>(null);

/** The current session's live connection; null when signed out (there is no socket then). */
export const ConnectionContext = createContext<ConnectionStatusStore | null>(null);

/** The signed-in tab's messages on their way (outbox.ts); provided by Home. */
export const OutboxContext = createContext<Outbox | null>(null);

export function useOutbox(): Outbox {
  const outbox = use(OutboxContext);
  if (!outbox) throw new Error('useOutbox must be used inside <OutboxContext>');
  return outbox;
}

const noConnection = () => () => undefined;
const idle = (): ConnectionStatus => 'idle';

/** The live connection's status, re-rendering on every change. */
export function useConnectionStatus(): ConnectionStatus {
  const connection = use(ConnectionContext);
  return useSyncExternalStore(connection?.subscribe ?? noConnection, connection?.getStatus ?? idle);
}

/**
 * What an action (an edit, a delete) was refused with, to show until it is stale: "Cannot
 * reach Parley" goes once the live connection has been away and is back since, whether or
 * not the socket had noticed the drop when the call failed (it may take ~16 s to). Then the
 * user can simply try again; any other refusal stays until the next try.
 */
export function useRefusal(): [string | null, (refused: string | null) => void] {
  const status = useConnectionStatus();
  const [refusal, setRefusal] = useState<{ text: string; unreachable: boolean; connectionWasAway: boolean } | null>(null);
  if (refusal?.unreachable) {
    if (!refusal.connectionWasAway && status !== 'open') setRefusal({ ...refusal, connectionWasAway: true });
    else if (refusal.connectionWasAway && status === 'open') setRefusal(null);
  }
  const refused = useCallback(
    (text: string | null) => setRefusal(text === null ? null : { text, unreachable: text === UNREACHABLE, connectionWasAway: status !== 'open' }),
    [status],
  );
  return [refusal?.text ?? null, refused];
}

/**
 * Whether the app may show who is online or typing: not while the socket that keeps them live
 * is down ("Reconnecting…"), when their changes are being missed and any "online" or "typing…"
 * may be untrue. Once it is back, presence is re-read (useLiveInbox) and typing streams start afresh.
 */
export function useLiveStateTrusted(): boolean {
  return useConnectionStatus() !== 'reconnecting';
}

export function useSession(): { session: Session; state: SessionState } {
  const session = use(SessionContext);
  if (!session) throw new Error('useSession must be used inside <SessionContext>');
  const state = useSyncExternalStore(session.subscribe, session.getState);
  return { session, state };
}

/** The current time, refreshed every `intervalMs`, so "5m ago" keeps counting on an idle page. */
export function useNow(intervalMs: number): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** How long typing in a search box must pause before it is searched for, so each keystroke is not a request. */
export const SEARCH_DELAY_MS = 200;

/**
 * A search box: the text as typed, and the query (trimmed) once typing pauses for
 * SEARCH_DELAY_MS; `clear` empties both at once.
 */
export function useSearchBox(): { text: string; setText: (text: string) => void; query: string; clear: () => void } {
  const [text, setText] = useState('');
  const [query, setQuery] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setQuery(text.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text]);
  const clear = useCallback(() => {
    setText('');
    setQuery('');
  }, []);
  return { text, setText, query, clear };
}
