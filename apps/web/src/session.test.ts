import { describe, expect, it } from 'vitest';
import { createSession, SESSION_EXPIRED_NOTICE, TOKEN_KEY } from './session.ts';

describe('session', () => {
  it('keeps the token across a reload and forgets it on sign-out', () => {
    localStorage.clear();
    createSession(localStorage).signIn('token-1');

    const afterReload = createSession(localStorage);
    expect(afterReload.getState()).toEqual({ token: 'token-1', notice: null });

    afterReload.end(SESSION_EXPIRED_NOTICE);
    expect(afterReload.getState()).toEqual({ token: null, notice: SESSION_EXPIRED_NOTICE });
    expect(createSession(localStorage).getState().token).toBeNull();
  });

  it('follows a sign-out in another tab', () => {
    localStorage.clear();
    const session = createSession(localStorage);
    session.signIn('token-1');
    const seen: (string | null)[] = [];
    const unsubscribe = session.subscribe(() => seen.push(session.getState().token));

    // What the browser does when another tab removes the token.
    localStorage.removeItem(TOKEN_KEY);
    window.dispatchEvent(new StorageEvent('storage', { key: TOKEN_KEY, newValue: null }));
    expect(seen).toEqual([null]);

    unsubscribe();
  });

  it('still works for one page load when storage is unavailable', () => {
    const session = createSession(null);
    session.signIn('token-1');
    expect(session.getState().token).toBe('token-1');
  });
});
