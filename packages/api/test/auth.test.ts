import { testDialects, UserSchema } from '@parley/db';
import { SignJWT, UnsecuredJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { z, ZodError } from 'zod';
import type { TestUser } from './harness.ts';
import { anyNumber, expectFieldError, rejectionOf, useTestApi } from './helpers.ts';
import { signToken } from '../src/auth/tokens.ts';

// The harness's default password for signUp.
const PASSWORD = 'correct horse battery';

// Every register and login costs a scrypt hash (100+ ms): the tests share what they can.

describe.each(testDialects())('auth on %s', (dialect) => {
  const getApi = useTestApi(dialect, { admins: ['root', 'veteran'] });
  /** A real account with a password; the logout test revokes its first token. */
  let known: TestUser;

  beforeAll(async () => {
    known = await getApi().signUp('known');
  });

  it('registers a user and returns a token that works for auth.me', async () => {
    const api = getApi();
    // Side by side, so the two password hashes use both cores.
    const [{ token, user }, plain] = await Promise.all([
      api.anonymous.auth.register({ username: 'ada', password: PASSWORD, displayName: ' Ada L. ' }),
      // The longest username and the shortest password; without a display name, the username stands in.
      api.anonymous.auth.register({ username: 'z'.repeat(32), password: 'x'.repeat(8) }),
    ]);
    expect(user).toEqual({ id: anyNumber, username: 'ada', displayName: 'Ada L.', role: 'user' });
    await expect(api.as(token).auth.me()).resolves.toEqual(user);
    expect(plain.user).toMatchObject({ username: 'z'.repeat(32), displayName: 'z'.repeat(32) });
  });

  it('treats usernames case-insensitively: Alice and ALICE registering at once make one account', async () => {
    const api = getApi();
    // With the longest password allowed, which must work for login too.
    const longest = 'y'.repeat(128);
    const attempts = await Promise.allSettled(
      ['Alice', 'ALICE'].map((username) => api.anonymous.auth.register({ username, password: longest })),
    );
    const registered = attempts.flatMap((attempt) => (attempt.status === 'fulfilled' ? [attempt.value] : []));
    const refused = attempts.flatMap((attempt) => (attempt.status === 'rejected' ? [attempt.reason as unknown] : []));
    expect(registered).toHaveLength(1);
    expect(refused).toEqual([expect.objectContaining({ code: 'CONFLICT' })]);
    expect(registered[0]?.user.username).toBe('alice');

    const login = await api.anonymous.auth.login({ username: ' ALICE ', password: longest });
    expect(login.user).toEqual(registered[0]?.user);
    await expect(api.as(login.token).auth.me()).resolves.toMatchObject({ username: 'alice' });
  });

  it('rejects usernames outside [a-z0-9_.-]{3,32}', async () => {
    const api = getApi();
    for (const username of ['ab', 'a'.repeat(33), 'has space', 'émile', 'semi;colon', 'nul\u0000name', '', '   ']) {
      await expectFieldError(api.anonymous.auth.register({ username, password: PASSWORD }), 'username');
    }
  });

  it('refuses a new username of punctuation alone, which reads as a cut-off name, yet signs in an account that has one', async () => {
    const api = getApi();
    for (const username of ['...', '_-_', '-.-.-']) {
      const { code, cause } = await rejectionOf(api.anonymous.auth.register({ username, password: PASSWORD }));
      const fieldErrors: Partial<Record<string, string[]>> = cause instanceof ZodError ? z.flattenError(cause).fieldErrors : {};
      expect({ username, code, messages: fieldErrors.username }).toEqual({
        username,
        code: 'BAD_REQUEST',
        messages: ['3–32 characters: letters, digits, _ . - (at least one letter or digit)'],
      });
    }
    // One letter among the punctuation is enough.
    const { user } = await api.anonymous.auth.register({ username: 'a.b', password: PASSWORD });
    expect(user.username).toBe('a.b');

    // An account made before the rule keeps its name and signs in with it. known's stored
    // hash, so it has PASSWORD without paying for another hash.
    const em = api.db.em.fork();
    const { passwordHash } = await em.findOneOrFail(UserSchema, { username: 'known' }, { populate: ['passwordHash'] });
    em.create(UserSchema, { username: '_-_', displayName: 'Old timer', passwordHash, role: 'user' });
    await em.flush();
    const { token } = await api.anonymous.auth.login({ username: '_-_', password: PASSWORD });
    await expect(api.as(token).auth.me()).resolves.toMatchObject({ username: '_-_', displayName: 'Old timer' });
  });

  it('requires a password of 8 to 128 characters (both ends are accepted above)', async () => {
    const api = getApi();
    await expectFieldError(api.anonymous.auth.register({ username: 'pw_short', password: 'x'.repeat(7) }), 'password');
    await expectFieldError(api.anonymous.auth.register({ username: 'pw_long', password: 'x'.repeat(129) }), 'password');
    await expectFieldError(api.anonymous.auth.register({ username: 'pw_none', password: '' }), 'password');
  });

  it('rejects display names that are empty, longer than 64 characters or contain NUL', async () => {
    const api = getApi();
    for (const displayName of ['', '   ', 'd'.repeat(65), 'nul\u0000byte']) {
      await expectFieldError(api.anonymous.auth.register({ username: 'dn_user', password: PASSWORD, displayName }), 'displayName');
    }
  });

  it('gives the same code and message for an unknown user and a wrong password', async () => {
    const api = getApi();
    const [unknownUser, wrongPassword] = await Promise.all([
      rejectionOf(api.anonymous.auth.login({ username: 'nobody_here', password: PASSWORD })),
      rejectionOf(api.anonymous.auth.login({ username: 'known', password: 'not the password' })),
    ]);
    expect(unknownUser.code).toBe('UNAUTHORIZED');
    expect({ code: wrongPassword.code, message: wrongPassword.message }).toEqual({
      code: unknownUser.code,
      message: unknownUser.message,
    });
  });

  it('fails a login with odd input without a server error', async () => {
    const api = getApi();
    // Bounded, so nobody makes the server hash a megabyte.
    await expectFieldError(api.anonymous.auth.login({ username: 'known', password: 'p'.repeat(1025) }), 'password');
    await expectFieldError(api.anonymous.auth.login({ username: 'u'.repeat(65), password: PASSWORD }), 'username');
    // A NUL can never be part of a username; PostgreSQL would refuse it as a query parameter.
    await expectFieldError(api.anonymous.auth.login({ username: 'kn\u0000own', password: PASSWORD }), 'username');
    await expect(api.anonymous.auth.login({ username: '', password: '' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('logout kills every earlier token, on every device, while a new login works', async () => {
    const api = getApi();
    const otherDevice = await api.anonymous.auth.login({ username: 'known', password: PASSWORD });
    await expect(api.as(otherDevice.token).auth.me()).resolves.toMatchObject({ username: 'known' });
    await expect(known.api.auth.logout()).resolves.toEqual({ loggedOut: true });

    await expect(known.api.auth.me()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(api.as(otherDevice.token).auth.me()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(known.api.auth.logout()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });

    const again = await api.anonymous.auth.login({ username: 'known', password: PASSWORD });
    await expect(api.as(again.token).auth.me()).resolves.toMatchObject({ username: 'known' });
    await expect(known.api.auth.me()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('renews a session: a later token for the same user, revoked with the rest by a logout', async () => {
    const api = getApi();
    const rena = await api.signUp('rena');
    const claimsOf = (token: string) => z.object({ sub: z.string(), exp: z.number() }).parse(JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()));
    // A second later, so the new token's expiry is later too (JWT times are in seconds).
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const renewed = await rena.api.auth.renew();
    expect(renewed.user).toMatchObject({ id: rena.id, username: 'rena' });
    expect(claimsOf(renewed.token).sub).toBe(String(rena.id));
    expect(claimsOf(renewed.token).exp).toBeGreaterThan(claimsOf(rena.token).exp);
    await expect(api.as(renewed.token).auth.me()).resolves.toEqual(renewed.user);

    await api.as(renewed.token).auth.logout();
    await expect(api.as(renewed.token).auth.me()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(rena.api.auth.renew()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(api.anonymous.auth.renew()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('answers UNAUTHORIZED, never a server error, for forged, unsigned, expired and malformed tokens', async () => {
    const api = getApi();
    const tess = await api.seedUser('tess');
    const now = Math.floor(Date.now() / 1000);
    const signed = (claims: { sub: string; ver?: unknown; iss?: string; exp?: number }, secret = api.deps.tokens.secret) =>
      new SignJWT(claims.ver === undefined ? {} : { ver: claims.ver })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(claims.sub)
        .setIssuer(claims.iss ?? 'parley')
        .setIssuedAt(now - 10)
        .setExpirationTime(claims.exp ?? now + 3600)
        .sign(secret);
    const [header = '', , signature = ''] = tess.token.split('.');
    const otherPayload = Buffer.from(JSON.stringify({ sub: '1', ver: 0, iss: 'parley', exp: now + 3600 })).toString('base64url');

    const tokens: Record<string, string> = {
      'signed with another secret': await signed({ sub: String(tess.id), ver: 0 }, new TextEncoder().encode('x'.repeat(36))),
      'payload swapped under a valid signature': `${header}.${otherPayload}.${signature}`,
      'alg none': new UnsecuredJWT({ ver: 0 }).setSubject(String(tess.id)).setIssuer('parley').setExpirationTime('1h').encode(),
      expired: await signed({ sub: String(tess.id), ver: 0, exp: now - 60 }),
      'another issuer': await signed({ sub: String(tess.id), ver: 0, iss: 'someone-else' }),
      'a user that does not exist': await signed({ sub: '987654', ver: 0 }),
      'a subject that is not a user id': await signed({ sub: 'tess', ver: 0 }),
      'no token version': await signed({ sub: String(tess.id) }),
      'a token version that is not a number': await signed({ sub: String(tess.id), ver: '0' }),
      'a future token version': await signed({ sub: String(tess.id), ver: 1 }),
      'not a JWT': 'garbage',
      'three empty parts': '..',
      'three junk parts': 'a.b.c',
      'the bearer prefix': `Bearer ${tess.token}`,
      'a NUL byte': '\u0000',
      'a huge string': 'x'.repeat(100_000),
      'truncated': tess.token.slice(0, -5),
    };
    for (const [what, token] of Object.entries(tokens)) {
      const error = await rejectionOf(api.as(token).auth.me());
      expect({ what, code: error.code }).toEqual({ what, code: 'UNAUTHORIZED' });
    }
    await expect(api.as('').auth.me()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(api.anonymous.auth.me()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    // The real token still works: the attempts above did not lock anyone out.
    await expect(tess.api.auth.me()).resolves.toMatchObject({ id: tess.id });
  });

  it('refuses a token that expires while its connection stays open (its signature is checked once per connection)', async () => {
    const api = getApi();
    const tilly = await api.seedUser('tilly');
    // Expiry is in whole seconds from a whole-second issue time: a 1-s token signed late in a
    // second was dead a moment later (a flake seen on 2026-12-07); a 2-s one lives at least 1 s.
    const token = await signToken({ ...api.deps.tokens, ttlSeconds: 2 }, { userId: tilly.id, tokenVersion: 0 });
    // One caller is one context, as one WebSocket is.
    const connection = api.as(token);
    await expect(connection.auth.me()).resolves.toMatchObject({ id: tilly.id });
    await expect(connection.auth.me()).resolves.toMatchObject({ id: tilly.id });
    await new Promise((resolve) => setTimeout(resolve, 3_100));
    await expect(connection.auth.me()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('gives the admin role to PARLEY_ADMINS at register', async () => {
    const api = getApi();
    const root = await api.signUp('Root');
    await expect(root.api.auth.me()).resolves.toMatchObject({ username: 'root', role: 'admin' });
  });

  it('gives the admin role to PARLEY_ADMINS at login, for an account made before it was listed', async () => {
    const api = getApi();
    const em = api.db.em.fork();
    // known's stored hash, so the account has PASSWORD without paying for another hash.
    const { passwordHash } = await em.findOneOrFail(UserSchema, { username: 'known' }, { populate: ['passwordHash'] });
    em.create(UserSchema, { username: 'veteran', displayName: 'Veteran', passwordHash, role: 'user' });
    await em.flush();

    const { token, user } = await api.anonymous.auth.login({ username: 'veteran', password: PASSWORD });
    expect(user.role).toBe('admin');
    await expect(api.as(token).auth.me()).resolves.toMatchObject({ role: 'admin' });
    const stored = await api.db.em.fork().findOneOrFail(UserSchema, { username: 'veteran' });
    expect(stored.role).toBe('admin');
  });
});
