import { createContext, use, useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
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

/** Calls `regained` each time the live connection is open again after it was down (not when it first opens). */
export function useConnectionRegained(regained: () => void): void {
  const connection = useConnectionStatus();
  const wasDown = useRef(false);
  useEffect(() => {
    if (connection === 'reconnecting') wasDown.current = true;
    if (connection !== 'open' || !wasDown.current) return;
    wasDown.current = false;
    regained();
  }, [connection, regained]);
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

/** The longest delay setTimeout takes (~24.8 days); a later instant is reached in steps. */
const LONGEST_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * The current time, refreshed every `intervalMs` (null: never by itself), so "5m ago" keeps
 * counting on an idle page; and at each of `wakeAt` (ISO times, nulls ignored) still to come,
 * so what changes at a known instant (a mute running out) changes then, not up to a tick later.
 */
export function useNow(intervalMs: number | null, wakeAt: readonly (string | null)[] = []): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    if (intervalMs === null) return;
    const timer = setInterval(() => setNow(new Date()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  // A number, so a new array of the same instants schedules nothing new.
  const next = wakeAt.reduce<number | null>((soonest, iso) => {
    const at = iso === null ? NaN : Date.parse(iso);
    return at > now.getTime() && (soonest === null || at < soonest) ? at : soonest;
  }, null);
  useEffect(() => {
    if (next === null) return;
    // Just after the instant: a timer is never early, but a clock's millisecond may be.
    const timer = setTimeout(() => setNow(new Date()), Math.min(Math.max(next - Date.now(), 0) + 1, LONGEST_TIMEOUT_MS));
    return () => clearTimeout(timer);
  }, [next]);
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
