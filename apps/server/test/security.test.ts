/**
 * Tokens and secrets on the real server (HTTP and WebSocket, 127.0.0.1): tokens that are
 * unsigned, expired or of a deleted user are refused on every transport, sockets already
 * open included; and no password, token, signing secret or message body ever reaches a log
 * line, even at the most verbose level.
 */
import { createHmac } from 'node:crypto';
import { openDatabase, testDialects, UserSchema } from '@parley/db';
import { describe, expect, it } from 'vitest';
import { startTestServer, TEST_SECRET } from './harness.ts';
import { captureLogs } from './log-capture.ts';
import { openRaw, openSignedIn } from './raw-socket.ts';

const unauthorized = { data: { code: 'UNAUTHORIZED', httpStatus: 401 } };
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT as the server would make it, but with our choice of header, claims, key and hash (null: unsigned). */
function jwt(header: object, claims: object, secret: string | null = TEST_SECRET, hash = 'sha256'): string {
  const unsigned = `${base64url(header)}.${base64url(claims)}`;
  const signature = secret === null ? '' : createHmac(hash, secret).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}

describe.each(testDialects())('tokens and secrets on %s', (dialect) => {
  it('refuses unsigned, expired and deleted-user tokens over HTTP, on new sockets and on open ones', async () => {
    await using t = await startTestServer(dialect);
    const alice = await t.signUp('alice');
    const now = Math.floor(Date.now() / 1000);
    const claims = { ver: 0, sub: String(alice.id), iss: 'parley', iat: now - 60 };
    const refused = {
      'alg none': jwt({ alg: 'none', typ: 'JWT' }, { ...claims, exp: now + 3600 }, null),
      'alg none, signed anyway': jwt({ alg: 'none' }, { ...claims, exp: now + 3600 }),
      'HS512 with the right secret': jwt({ alg: 'HS512' }, { ...claims, exp: now + 3600 }, TEST_SECRET, 'sha512'),
      expired: jwt({ alg: 'HS256' }, { ...claims, exp: now - 1 }),
      'signed with another secret': jwt({ alg: 'HS256' }, { ...claims, exp: now + 3600 }, 'another-secret-another-secret-another'),
    };
    // The control: the same construction with the real secret and a future expiry is accepted.
    const genuine = jwt({ alg: 'HS256' }, { ...claims, exp: now + 3600 });
    expect(await t.http(genuine).auth.me.query()).toMatchObject({ id: alice.id });

    for (const [what, token] of Object.entries(refused)) {
      await expect(t.http(token).auth.me.query(), what).rejects.toMatchObject(unauthorized);
      await using socket = t.socket(token);
      await expect(socket.api.auth.me.query(), what).rejects.toMatchObject(unauthorized);
    }

    // A user deleted while signed in: an already open socket, HTTP and a new socket all refuse.
    const doomed = await t.signUp('doomed');
    const open = await openSignedIn(t.wsUrl, doomed.token);
    try {
      const db = await openDatabase(t.database.target);
      try {
        expect(await db.em.fork().nativeDelete(UserSchema, { id: doomed.id })).toBe(1);
      } finally {
        await db.close();
      }
      open.ws.send(JSON.stringify({ id: 'after-delete', method: 'query', params: { path: 'auth.me' } }));
      expect(await open.receive((message) => message.id === 'after-delete')).toMatchObject({ error: unauthorized });
      await expect(t.http(doomed.token).auth.me.query()).rejects.toMatchObject(unauthorized);
      await using fresh = t.socket(doomed.token);
      await expect(fresh.api.conversations.list.query({ limit: 5 })).rejects.toMatchObject(unauthorized);
    } finally {
      open.ws.terminate();
    }
    // Nobody else was affected.
    await expect(t.http(alice.token).auth.me.query()).resolves.toMatchObject({ id: alice.id });
  });

  it('closes a socket when its token expires, so its streams stop delivering', async () => {
    await using t = await startTestServer(dialect);
    const alice = await t.signUp('alice');
    const bob = await t.signUp('bob');
    const dm = await t.http(alice.token).conversations.create.mutate({ kind: 'direct', participantIds: [bob.id] });
    const now = Math.floor(Date.now() / 1000);
    const expiringSoon = jwt({ alg: 'HS256' }, { ver: 0, sub: String(bob.id), iss: 'parley', iat: now, exp: now + 2 });
    const socket = await openSignedIn(t.wsUrl, expiringSoon);
    try {
      socket.ws.send(JSON.stringify({ id: 'live', method: 'subscription', params: { path: 'conversations.onEvent', input: { conversationId: dm.id } } }));
      await socket.receive((message) => message.id === 'live');
      await t.http(alice.token).messages.send.mutate({ conversationId: dm.id, body: 'before it expires', clientId: 'c-1' });
      await socket.receive((message) => JSON.stringify(message).includes('before it expires'));
      // Within the keep-alive sweep's second after the expiry.
      expect(await socket.closed).toEqual({ code: 1008, reason: 'Session expired' });
    } finally {
      socket.ws.terminate();
    }
    // Bob's genuine session is not affected.
    await expect(t.http(bob.token).auth.me.query()).resolves.toMatchObject({ id: bob.id });
  });

  it('serves subscriptions over the WebSocket only: over HTTP they end at once, delivering nothing', async () => {
    await using t = await startTestServer(dialect);
    const alice = await t.signUp('alice');
    const bob = await t.signUp('bob');
    const dm = await t.http(alice.token).conversations.create.mutate({ kind: 'direct', participantIds: [bob.id] });
    for (const [path, input] of [
      ['conversations.onEvent', { conversationId: dm.id }],
      ['inbox.onEvent', {}],
    ] as const) {
      // As an event stream (tRPC's httpSubscriptionLink): it must not stay open, outside the
      // socket cap and out of reach of a logout.
      const response = await fetch(`${t.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, {
        headers: { authorization: `Bearer ${bob.token}` },
        signal: AbortSignal.timeout(5_000),
      });
      const stream = await response.text();
      expect(stream, path).toContain('Subscriptions are served over the WebSocket at /trpc');
      expect(stream, path).toContain('METHOD_NOT_SUPPORTED');
    }
  });

  it('never writes a password, a token, the signing secret or a message body to the log', async () => {
    const logs = captureLogs('trace');
    await using t = await startTestServer(dialect, { start: { logger: logs.logger } });
    const password = 'Sekrit-Passw0rd-4-Logs';
    const wrongPassword = 'Wr0ng-Passw0rd-4-Logs';
    const body = 'Private message body 7f3a9c';

    const { token, user } = await t.http().auth.register.mutate({ username: 'logan', password, displayName: 'Logan' });
    const again = await t.http().auth.login.mutate({ username: 'logan', password });
    await expect(t.http().auth.login.mutate({ username: 'logan', password: wrongPassword })).rejects.toMatchObject(unauthorized);
    // Refused input that carries the secrets: a bad username next to the password, a bad body.
    await expect(t.http().auth.register.mutate({ username: 'no!', password })).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
    await expect(t.http().auth.login.mutate({ username: 'x'.repeat(65), password })).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
    const notes = await t.http(token).conversations.create.mutate({ kind: 'self' });
    await expect(
      t.http(token).messages.send.mutate({ conversationId: notes.id, body: `${body}\u0000`, clientId: 'log-0' }),
    ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
    // The token in an Authorization header, in connectionParams, and broken (forged) on both.
    await using socket = t.socket(again.token);
    await socket.api.messages.send.mutate({ conversationId: notes.id, body, clientId: 'log-1' });
    await expect(t.http(`${token}x`).auth.me.query()).rejects.toMatchObject(unauthorized);
    await using forged = t.socket(`${again.token}x`);
    await expect(forged.api.auth.me.query()).rejects.toMatchObject(unauthorized);
    // A raw socket sending its token where a request belongs, and an oversized frame.
    const raw = await openRaw(t.wsUrl);
    raw.ws.send(JSON.stringify({ id: 1, method: 'query', params: { path: 'auth.me', input: { token, password } } }));
    await raw.receive((message) => message.id === 1);
    raw.ws.send(`{"token": "${token}", "pad": "${'p'.repeat(70_000)}"}`);
    await raw.closed;
    await t.http(again.token).auth.logout.mutate();

    expect(logs.lines.length).toBeGreaterThan(10);
    const secrets = {
      password,
      wrongPassword,
      token,
      'second token': again.token,
      // A token's signature alone is enough to replay it.
      'token signature': token.split('.')[2] ?? token,
      'signing secret': TEST_SECRET,
      'message body': body,
      // A PostgreSQL URL carries the database password.
      ...(dialect === 'postgresql' && { 'database URL': t.database.target.location }),
    };
    for (const [what, secret] of Object.entries(secrets)) {
      const leaks = logs.lines.filter((line) => line.includes(secret));
      expect({ what, leaks }).toEqual({ what, leaks: [] });
    }
    // The log is still useful: the user id of what happened is there.
    expect(logs.lines.some((line) => line.includes(`"userId":${user.id}`))).toBe(true);
  });
});
