import { describe, expect, it } from 'vitest';
import { createDraftStore } from './drafts.ts';
import { Outbox } from './outbox.ts';
import { createSession, ENDED_KEY, RECEIVED_AT_KEY, renewalOf, sameUser, SESSION_EXPIRED_NOTICE, TOKEN_KEY, userIdOf } from './session.ts';

/** A token as the server signs them, for `userId` (its signature is never checked here). */
const tokenOf = (userId: number) => `eyJhbGciOiJIUzI1NiJ9.${btoa(JSON.stringify({ sub: String(userId), ver: 0 })).replaceAll('=', '')}.signature`;

const drafts = () => createDraftStore(sessionStorage, { maxLength: 4000, maxDrafts: 50 });

/** What `userId` leaves in this tab: a draft in conversation 2 and a message not yet sent in it. */
function leaveUnsent(userId: number) {
  drafts().write({ userId, conversationId: 2 }, `half a thought of ${userId}`);
  const outbox = new Outbox(() => new Promise(() => undefined), sessionStorage, userId);
  outbox.start();
  outbox.send(2, `typed before expiry by ${userId}`);
  outbox.dispose();
}

/** A fresh tab's session, `userId` signed in and having left a draft and an unsent message. */
function signedInWithUnsent(userId: number) {
  localStorage.clear();
  sessionStorage.clear();
  const session = createSession(localStorage);
  session.signIn(tokenOf(userId));
  leaveUnsent(userId);
  return session;
}

/** What this tab still has of `userId`'s: their draft, and the bodies their outbox would send. */
function unsentOf(userId: number) {
  const outbox = new Outbox(() => new Promise(() => undefined), sessionStorage, userId);
  outbox.start();
  const pending = outbox.pendingIn(2).map((send) => send.body);
  outbox.dispose();
  return { draft: drafts().read({ userId, conversationId: 2 }), pending };
}

describe('session', () => {
  it('keeps the token across a reload and forgets it on sign-out', () => {
    localStorage.clear();
    createSession(localStorage).signIn('token-1');

    const afterReload = createSession(localStorage);
    expect(afterReload.getState()).toEqual({ token: 'token-1', receivedAt: expect.any(Number), notice: null, expired: false });

    afterReload.expire();
    expect(afterReload.getState()).toEqual({ token: null, receivedAt: null, notice: SESSION_EXPIRED_NOTICE, expired: true });
    expect(createSession(localStorage).getState().token).toBeNull();
    expect(localStorage.getItem(RECEIVED_AT_KEY)).toBeNull();
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

  it('renews once half of a token’s life is gone, counted from when it arrived here', () => {
    // Issued at 1,000 s, expiring at 1,000 s + 30 days (the default TOKEN_TTL).
    const payload = btoa(JSON.stringify({ sub: '7', iat: 1_000, exp: 1_000 + 30 * 86_400 })).replaceAll('=', '');
    const token = `eyJhbGciOiJIUzI1NiJ9.${payload}.signature`;
    const day = 86_400_000;
    // Arrival unknown (stored before it was recorded): from its issue, on the server's clock.
    expect(renewalOf({ token, receivedAt: null })).toEqual({ dueAt: 1_000_000 + 15 * day, retryMs: 60_000 });
    // A clock 20 days ahead received it "at" day 20: still 15 days later, not at once (and so on, for ever).
    expect(renewalOf({ token, receivedAt: 1_000_000 + 20 * day })?.dueAt).toBe(1_000_000 + 35 * day);
    // The shortest life the server gives (60 s): due at 30 s, and a failure is tried again in 5 s, well before it expires.
    const short = `eyJhbGciOiJIUzI1NiJ9.${btoa(JSON.stringify({ sub: '7', iat: 1_000, exp: 1_060 })).replaceAll('=', '')}.signature`;
    expect(renewalOf({ token: short, receivedAt: 2_000_000 })).toEqual({ dueAt: 2_030_000, retryMs: 5_000 });
    // A token that says nothing of its life, or no token.
    expect(renewalOf({ token: tokenOf(7), receivedAt: 5 })).toBeNull();
    expect(renewalOf({ token: 'not a token', receivedAt: 5 })).toBeNull();
    expect(renewalOf({ token: null, receivedAt: null })).toBeNull();
  });

  it('shares when the token arrived with the other tabs, and tells a renewal from someone else', () => {
    localStorage.clear();
    const session = createSession(localStorage);
    const other = createSession(localStorage);
    const unsubscribe = other.subscribe(() => undefined);
    session.signIn(tokenOf(7));
    const { receivedAt } = session.getState();
    expect(receivedAt).toBeGreaterThan(0);

    // What the browser does when another tab writes the token.
    window.dispatchEvent(new StorageEvent('storage', { key: TOKEN_KEY, newValue: tokenOf(7) }));
    expect(other.getState()).toMatchObject({ token: tokenOf(7), receivedAt });
    unsubscribe();

    // A renewal is the same user's next token, and one that answers too late signs nobody in.
    session.renew(`${tokenOf(7)}-renewed`);
    expect(session.getState().token).toBe(`${tokenOf(7)}-renewed`);
    session.renew(tokenOf(8));
    expect(session.getState().token).toBe(`${tokenOf(7)}-renewed`);
    session.end();
    session.renew(`${tokenOf(7)}-late`);
    expect(session.getState().token).toBeNull();
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull();

    expect(sameUser(tokenOf(7), `${tokenOf(7)}-renewed`)).toBe(true);
    expect(sameUser(tokenOf(7), tokenOf(8))).toBe(false);
    expect(sameUser(tokenOf(7), null)).toBe(false);
    expect(sameUser(null, tokenOf(7))).toBe(false);
    expect(sameUser('not a token', 'not a token either')).toBe(false);
  });

  it('reads whose a token is, and nothing from what is not a token', () => {
    expect(userIdOf(tokenOf(7))).toBe(7);
    expect(userIdOf('not a token')).toBeNull();
    expect(userIdOf(`a.${btoa('{"sub":"0"}')}.c`)).toBeNull();
  });

  it('keeps what the user had not sent when the session expires, for them alone', () => {
    const session = signedInWithUnsent(7);

    session.expire();
    expect(session.getState().notice).toBe(`${SESSION_EXPIRED_NOTICE} Your unsent message goes once you do.`);
    session.signIn(tokenOf(7));
    expect(unsentOf(7)).toEqual({ draft: 'half a thought of 7', pending: ['typed before expiry by 7'] });

    // Someone else signing in here after an expiry clears them.
    session.expire();
    // Every later call that finds the token dead says so too: nothing changes.
    const notice = session.getState().notice;
    session.expire();
    expect(session.getState()).toEqual({ token: null, receivedAt: null, notice, expired: true });
    session.signIn(tokenOf(8));
    expect(unsentOf(7)).toEqual({ draft: '', pending: [] });
  });

  it('forgets every unsent text on a sign-out, here or in another tab', () => {
    const session = signedInWithUnsent(7);
    session.end();
    expect(session.getState()).toEqual({ token: null, receivedAt: null, notice: null, expired: false });
    expect(unsentOf(7)).toEqual({ draft: '', pending: [] });

    // Another tab: an expiry there keeps them here, a sign-out there does not.
    const unsubscribe = session.subscribe(() => undefined);
    const otherTab = (ended: 'expired' | 'signed-out') => {
      localStorage.setItem(ENDED_KEY, ended);
      localStorage.removeItem(TOKEN_KEY);
      window.dispatchEvent(new StorageEvent('storage', { key: TOKEN_KEY, newValue: null }));
    };
    session.signIn(tokenOf(7));
    leaveUnsent(7);
    otherTab('expired');
    expect(session.getState().expired).toBe(true);
    expect(unsentOf(7).pending).toEqual(['typed before expiry by 7']);
    session.signIn(tokenOf(7));
    otherTab('signed-out');
    expect(unsentOf(7)).toEqual({ draft: '', pending: [] });
    unsubscribe();
  });
});
