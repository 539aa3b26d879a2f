/**
 * Who is signed in, kept as the API token in localStorage so a reload keeps the session.
 * A tiny external store (for useSyncExternalStore) rather than React state, so the tRPC
 * link and the query cache can read and end the session outside of components.
 */
import { clearDrafts } from './drafts.ts';
import { clearOutboxes, keptSendCount } from './outbox.ts';
import { tabSessionStorage } from './tab-storage.ts';

export interface SessionState {
  token: string | null;
  /** When this browser received the token (its own clock; null if unknown): renewal counts from here, so a skewed clock cannot make it loop. */
  receivedAt: number | null;
  /** Why the user is looking at the sign-in form, e.g. after their session expired. */
  notice: string | null;
  /** Signed out because the session ended by itself (expired or revoked), not by a sign-out here. */
  expired: boolean;
}

/** Plain functions, not methods: React and the tRPC link call them detached. */
export interface Session {
  getState: () => SessionState;
  subscribe: (listener: () => void) => () => void;
  /** A token from the server's sign-in or sign-up. */
  signIn: (token: string) => void;
  /**
   * The same user's next token (auth.renew). Ignored once this session has ended or changed
   * hands, so an answer that arrives after a sign-out cannot sign anyone back in.
   */
  renew: (token: string) => void;
  /** The user signs out: forgets the token and this tab's unsent texts; `notice` is shown on the sign-in form. */
  end: (notice?: string) => void;
  /**
   * The server no longer takes the token (it expired, or a sign-out elsewhere revoked it):
   * forgets it, but keeps this tab's drafts and unsent messages for the same user's return
   * (their outbox sends them once they sign in again; anyone else signing in here clears them).
   * Nothing when already signed out: every call that finds the token dead may say so.
   */
  expire: () => void;
}

export const TOKEN_KEY = 'parley.token';
/** When this browser received the stored token (epoch ms), shared by its tabs. */
export const RECEIVED_AT_KEY = 'parley.token-received-at';
/** How the last session ended ('expired' or 'signed-out'), for the other tabs following it. */
export const ENDED_KEY = 'parley.session-ended';

export const SESSION_EXPIRED_NOTICE = 'Your session has ended (it expired or you signed out elsewhere). Please sign in again.';

/** `storage` may be null where storage is unavailable (e.g. blocked): the session then lasts one page load. */
export function createSession(storage: Storage | null): Session {
  let state: SessionState = { ...readStored(storage), notice: null, expired: false };
  const listeners = new Set<() => void>();

  /**
   * Signed out (here or in another tab): no unsent text stays behind for the next person. A
   * session that expired keeps its user's; whoever signs in next keeps only their own.
   */
  const update = (next: SessionState) => {
    if (next.token) keepUnsentOf(userIdOf(next.token));
    else if (!next.expired) keepUnsentOf(null);
    state = next;
    for (const listener of listeners) listener();
  };

  const signIn = (token: string) => {
    const receivedAt = Date.now();
    // The time first: the other tabs read it as they see the token come.
    writeItem(storage, RECEIVED_AT_KEY, String(receivedAt));
    writeItem(storage, TOKEN_KEY, token);
    update({ token, receivedAt, notice: null, expired: false });
  };

  // Another tab signed in or out: follow it, so no tab keeps using a dead token.
  const onStorage = (event: StorageEvent) => {
    if (event.key !== TOKEN_KEY && event.key !== null) return;
    const stored = readStored(storage);
    if (stored.token === state.token) return;
    if (stored.token) update({ ...stored, notice: null, expired: false });
    else if (readItem(storage, ENDED_KEY) === 'expired') update({ ...stored, notice: expiredNotice(state.token), expired: true });
    else update({ ...stored, notice: null, expired: false });
  };

  return {
    getState: () => state,
    subscribe: (listener) => {
      if (listeners.size === 0 && typeof window !== 'undefined') window.addEventListener('storage', onStorage);
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && typeof window !== 'undefined') window.removeEventListener('storage', onStorage);
      };
    },
    signIn,
    renew: (token) => {
      if (sameUser(state.token, token)) signIn(token);
    },
    end: (notice) => {
      // Said first: the other tabs read it as they see the token go.
      writeItem(storage, ENDED_KEY, 'signed-out');
      forgetToken(storage);
      update({ token: null, receivedAt: null, notice: notice ?? null, expired: false });
    },
    expire: () => {
      if (!state.token) return;
      const notice = expiredNotice(state.token);
      writeItem(storage, ENDED_KEY, 'expired');
      forgetToken(storage);
      update({ token: null, receivedAt: null, notice, expired: true });
    },
  };
}

/** Keeps this tab's drafts and unsent messages of `userId` only (of nobody: null). */
function keepUnsentOf(userId: number | null): void {
  clearDrafts(tabSessionStorage(), userId);
  clearOutboxes(tabSessionStorage(), userId);
}

/** SESSION_EXPIRED_NOTICE, and what waits to be sent once the user is back. */
function expiredNotice(token: string | null): string {
  const userId = token ? userIdOf(token) : null;
  const unsent = userId === null ? 0 : keptSendCount(tabSessionStorage(), userId);
  if (unsent === 0) return SESSION_EXPIRED_NOTICE;
  return `${SESSION_EXPIRED_NOTICE} ${unsent === 1 ? 'Your unsent message goes' : `Your ${unsent} unsent messages go`} once you do.`;
}

/**
 * What a token says of itself, read without checking it (the server does that): whose it is,
 * to keep that user's unsent texts in this tab, and its times, to renew it in time. Null for
 * anything unreadable.
 */
function claimsOf(token: string): { userId: number; issuedAt: number; expiresAt: number } | null {
  try {
    const payload: unknown = JSON.parse(atob((token.split('.')[1] ?? '').replaceAll('-', '+').replaceAll('_', '/')));
    if (typeof payload !== 'object' || payload === null) return null;
    const userId = 'sub' in payload ? Number(payload.sub) : NaN;
    const issuedAt = 'iat' in payload ? Number(payload.iat) * 1000 : NaN;
    const expiresAt = 'exp' in payload ? Number(payload.exp) * 1000 : NaN;
    return Number.isSafeInteger(userId) && userId > 0 ? { userId, issuedAt, expiresAt } : null;
  } catch {
    return null;
  }
}

/** Whose token it is; null for anything unreadable. */
export function userIdOf(token: string): number | null {
  return claimsOf(token)?.userId ?? null;
}

/** Whether `next` is the same user's next token (a renewal), not someone else's session or none. */
export function sameUser(previous: string | null, next: string | null): boolean {
  const user = previous ? userIdOf(previous) : null;
  return user !== null && next !== null && userIdOf(next) === user;
}

/** A failed renewal is tried again after a twelfth of the token's life (at least once before it expires), at most a minute. */
const RENEWAL_RETRY_MAX_MS = 60_000;

/**
 * When to ask for a fresh token (auth.renew), on this browser's clock: once half of the
 * token's life is gone, so that a tab left open, or opened at least that often, is never
 * signed out by its expiry. Counted from when the token arrived here where that is known
 * (a clock days off would otherwise ask again for every fresh token), else from when it was
 * issued. With how long to wait before trying again after a failure. Null when signed out or
 * for a token that says nothing of its life.
 */
export function renewalOf({ token, receivedAt }: Pick<SessionState, 'token' | 'receivedAt'>): { dueAt: number; retryMs: number } | null {
  const claims = token ? claimsOf(token) : null;
  if (!claims || !Number.isFinite(claims.issuedAt) || !(claims.expiresAt > claims.issuedAt)) return null;
  const life = claims.expiresAt - claims.issuedAt;
  return { dueAt: (receivedAt ?? claims.issuedAt) + life / 2, retryMs: Math.min(life / 12, RENEWAL_RETRY_MAX_MS) };
}

function readStored(storage: Storage | null): Pick<SessionState, 'token' | 'receivedAt'> {
  const token = readItem(storage, TOKEN_KEY);
  const receivedAt = Number(readItem(storage, RECEIVED_AT_KEY));
  return { token, receivedAt: token && Number.isSafeInteger(receivedAt) && receivedAt > 0 ? receivedAt : null };
}

function forgetToken(storage: Storage | null): void {
  writeItem(storage, TOKEN_KEY, null);
  writeItem(storage, RECEIVED_AT_KEY, null);
}

function readItem(storage: Storage | null, key: string): string | null {
  try {
    return storage?.getItem(key) || null;
  } catch {
    return null;
  }
}

function writeItem(storage: Storage | null, key: string, value: string | null): void {
  try {
    if (value) storage?.setItem(key, value);
    else storage?.removeItem(key);
  } catch {
    // Storage full or blocked: the session still works until the page is reloaded.
  }
}
