/**
 * Who is signed in, kept as the API token in localStorage so a reload keeps the session.
 * A tiny external store (for useSyncExternalStore) rather than React state, so the tRPC
 * link and the query cache can read and end the session outside of components.
 */
import { clearDrafts } from './drafts.ts';
import { clearOutboxes } from './outbox.ts';
import { tabSessionStorage } from './tab-storage.ts';

export interface SessionState {
  token: string | null;
  /** Why the user is looking at the sign-in form, e.g. after their session expired. */
  notice: string | null;
}

/** Plain functions, not methods: React and the tRPC link call them detached. */
export interface Session {
  getState: () => SessionState;
  subscribe: (listener: () => void) => () => void;
  signIn: (token: string) => void;
  /** Forgets the token; `notice` is shown on the sign-in form. */
  end: (notice?: string) => void;
}

export const TOKEN_KEY = 'parley.token';

export const SESSION_EXPIRED_NOTICE = 'Your session has ended (it expired or you signed out elsewhere). Please sign in again.';

/** `storage` may be null where storage is unavailable (e.g. blocked): the session then lasts one page load. */
export function createSession(storage: Storage | null): Session {
  let state: SessionState = { token: readToken(storage), notice: null };
  const listeners = new Set<() => void>();

  const update = (next: SessionState) => {
    // Signed out (here or in another tab): no unsent text stays behind for the next person.
    if (!next.token) {
      clearDrafts(tabSessionStorage());
      clearOutboxes(tabSessionStorage());
    }
    state = next;
    for (const listener of listeners) listener();
  };

  // Another tab signed in or out: follow it, so no tab keeps using a dead token.
  const onStorage = (event: StorageEvent) => {
    if (event.key !== TOKEN_KEY && event.key !== null) return;
    const token = readToken(storage);
    if (token !== state.token) update({ token, notice: null });
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
      update({ token, notice: null });
    },
    end: (notice) => {
      writeToken(storage, null);
      update({ token: null, notice: notice ?? null });
    },
  };
}

function readToken(storage: Storage | null): string | null {
  try {
    return storage?.getItem(TOKEN_KEY) || null;
  } catch {
    return null;
  }
}

function writeToken(storage: Storage | null, token: string | null): void {
  try {
    if (token) storage?.setItem(TOKEN_KEY, token);
    else storage?.removeItem(TOKEN_KEY);
  } catch {
    // Storage full or blocked: the session still works until the page is reloaded.
  }
}
