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
  /** Why the user is looking at the sign-in form, e.g. after their session expired. */
  notice: string | null;
  /** Signed out because the session ended by itself (expired or revoked), not by a sign-out here. */
  expired: boolean;
}

/** Plain functions, not methods: React and the tRPC link call them detached. */
export interface Session {
  getState: () => SessionState;
  subscribe: (listener: () => void) => () => void;
  signIn: (token: string) => void;
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
/** How the last session ended ('expired' or 'signed-out'), for the other tabs following it. */
export const ENDED_KEY = 'parley.session-ended';

export const SESSION_EXPIRED_NOTICE = 'Your session has ended (it expired or you signed out elsewhere). Please sign in again.';

/** `storage` may be null where storage is unavailable (e.g. blocked): the session then lasts one page load. */
export function createSession(storage: Storage | null): Session {
  let state: SessionState = { token: readToken(storage), notice: null, expired: false };
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

  // Another tab signed in or out: follow it, so no tab keeps using a dead token.
  const onStorage = (event: StorageEvent) => {
    if (event.key !== TOKEN_KEY && event.key !== null) return;
    const token = readToken(storage);
    if (token === state.token) return;
    if (token) update({ token, notice: null, expired: false });
    else if (readItem(storage, ENDED_KEY) === 'expired') update({ token: null, notice: expiredNotice(state.token), expired: true });
    else update({ token: null, notice: null, expired: false });
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
    signIn: (token) => {
      writeToken(storage, token);
      update({ token, notice: null, expired: false });
    },
    end: (notice) => {
      // Said first: the other tabs read it as they see the token go.
      writeItem(storage, ENDED_KEY, 'signed-out');
      writeToken(storage, null);
      update({ token: null, notice: notice ?? null, expired: false });
    },
    expire: () => {
      if (!state.token) return;
      const notice = expiredNotice(state.token);
      writeItem(storage, ENDED_KEY, 'expired');
      writeToken(storage, null);
      update({ token: null, notice, expired: true });
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

/**
 * Whether to ask for a fresh token (auth.renew) now: once half of this one's life is gone, so
 * that anyone who opens Parley at least that often is never signed out by its expiry.
 */
export function shouldRenew(token: string, now: number): boolean {
  const claims = claimsOf(token);
  if (!claims || !Number.isFinite(claims.issuedAt) || !Number.isFinite(claims.expiresAt)) return false;
  return now >= claims.issuedAt + (claims.expiresAt - claims.issuedAt) / 2 && now < claims.expiresAt;
}

const readToken = (storage: Storage | null): string | null => readItem(storage, TOKEN_KEY);

function writeToken(storage: Storage | null, token: string | null): void {
  writeItem(storage, TOKEN_KEY, token);
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
