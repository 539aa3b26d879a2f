import { testDialects } from '@parley/db';
import { describe, expect, it, vi } from 'vitest';
import { forge, PASSWORD, startTestServer } from './harness.ts';

const unauthorized = { data: { code: 'UNAUTHORIZED', httpStatus: 401 } };

describe.each(testDialects())('the API over HTTP and the WebSocket on %s', (dialect) => {
  it('carries a conversation end to end: register, DM, send, list, markRead', async () => {
    await using t = await startTestServer(dialect);
    const alice = await t.signUp('alice');
    const bob = await t.signUp('bob');
    const aliceHttp = t.http(alice.token);
    await using bobSocket = t.socket(bob.token);

    const dm = await aliceHttp.conversations.create.mutate({ kind: 'direct', participantIds: [bob.id] });
    expect(dm.created).toBe(true);
    // Two calls in one tick go out as one batched HTTP request; the server orders them.
    const sent = await Promise.all([
      aliceHttp.messages.send.mutate({ conversationId: dm.id, body: 'hi Bob', clientId: 'a-1' }),
      aliceHttp.messages.send.mutate({ conversationId: dm.id, body: 'are you there?', clientId: 'a-2' }),
    ]);
    const bodiesInOrder = sent.sort((a, b) => a.seq - b.seq).map((message) => message.body);
    expect(sent.map((message) => message.seq)).toEqual([1, 2]);

    // Bob works over his WebSocket: the same procedures, the same answers.
    expect(await bobSocket.api.auth.me.query()).toMatchObject({ id: bob.id, username: 'bob' });
    const inbox = await bobSocket.api.conversations.list.query({ limit: 10 });
    expect(inbox.items).toHaveLength(1);
    expect(inbox.items[0]).toMatchObject({ id: dm.id, unreadCount: 2, lastMessage: { body: bodiesInOrder[1] } });
    const history = await bobSocket.api.messages.list.query({ conversationId: dm.id, limit: 10 });
    expect(history.items.map((message) => message.body)).toEqual(bodiesInOrder);

    const reply = await bobSocket.api.messages.send.mutate({ conversationId: dm.id, body: 'here!', clientId: 'b-1' });
    expect(reply).toMatchObject({ seq: 3, body: 'here!' });
    // A retry with the same clientId over the other transport returns the same message.
    expect(await t.http(bob.token).messages.send.mutate({ conversationId: dm.id, body: 'here!', clientId: 'b-1' })).toMatchObject({
      id: reply.id,
    });
    const read = await bobSocket.api.conversations.markRead.mutate({ id: dm.id, seq: reply.seq });
    expect(read).toMatchObject({ lastReadSeq: 3, unreadCount: 0 });

    const aliceInbox = await aliceHttp.conversations.list.query({ limit: 10 });
    expect(aliceInbox.items[0]).toMatchObject({ unreadCount: 1, lastMessage: { body: 'here!' } });
  });

  it('signs in over either transport, and an anonymous socket may call public procedures only', async () => {
    await using t = await startTestServer(dialect);
    await t.signUp('carol');
    await using anonymous = t.socket();
    const session = await anonymous.api.auth.login.mutate({ username: 'carol', password: PASSWORD });
    expect(session.user.username).toBe('carol');
    await expect(anonymous.api.auth.me.query()).rejects.toMatchObject(unauthorized);
    await expect(t.http().auth.login.mutate({ username: 'carol', password: 'wrong password' })).rejects.toMatchObject(unauthorized);
    expect(await t.http(session.token).auth.me.query()).toMatchObject({ username: 'carol' });
  });

  it('answers UNAUTHORIZED, never a server error, to forged and revoked tokens on both transports', async () => {
    await using t = await startTestServer(dialect);
    const alice = await t.signUp('alice');
    const bob = await t.signUp('bob');

    // Bob's id in Alice's token: the signature no longer matches.
    const forged = forge(alice.token, { sub: String(bob.id) });
    await expect(t.http(forged).auth.me.query()).rejects.toMatchObject(unauthorized);
    await using forgedSocket = t.socket(forged);
    await expect(forgedSocket.api.auth.me.query()).rejects.toMatchObject(unauthorized);
    await expect(forgedSocket.api.conversations.list.query({ limit: 5 })).rejects.toMatchObject(unauthorized);
    await using garbageSocket = t.socket('not-a-token');
    await expect(garbageSocket.api.auth.me.query()).rejects.toMatchObject(unauthorized);
    await expect(t.http('not-a-token').auth.me.query()).rejects.toMatchObject(unauthorized);

    // Logout kills the token on an already open socket, over HTTP, and on new sockets.
    await using openBeforeLogout = t.socket(alice.token);
    expect(await openBeforeLogout.api.auth.me.query()).toMatchObject({ username: 'alice' });
    await t.http(alice.token).auth.logout.mutate();
    await expect(t.http(alice.token).auth.me.query()).rejects.toMatchObject(unauthorized);
    // The server closes the sockets of a user who logged out; once the client has reconnected
    // with the dead token, every call on it is UNAUTHORIZED.
    await vi.waitFor(() => expect(openBeforeLogout.api.auth.me.query()).rejects.toMatchObject(unauthorized), { timeout: 5_000 });
    await using openedAfterLogout = t.socket(alice.token);
    await expect(openedAfterLogout.api.auth.me.query()).rejects.toMatchObject(unauthorized);

    // The forged and revoked sockets stay usable for signing in again.
    const again = await openedAfterLogout.api.auth.login.mutate({ username: 'alice', password: PASSWORD });
    expect(await t.http(again.token).auth.me.query()).toMatchObject({ username: 'alice' });
  });

  it('answers malformed HTTP requests with 4xx codes, never 500', async () => {
    await using t = await startTestServer(dialect);
    const post = (path: string, body: string) =>
      fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

    const notJson = await post('/trpc/auth.login', '{"username": ');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: { data: { code: 'BAD_REQUEST' } } });

    const invalid = await post('/trpc/auth.register', JSON.stringify({ username: 'X!', password: 'short' }));
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as { error: { data: { code: string; zodError: { fieldErrors: Record<string, unknown> } } } };
    expect(body.error.data.code).toBe('BAD_REQUEST');
    expect(Object.keys(body.error.data.zodError.fieldErrors).sort()).toEqual(['password', 'username']);

    const tooLarge = await post('/trpc/auth.login', JSON.stringify({ username: 'a', password: 'x'.repeat(2 * 1024 * 1024) }));
    expect(tooLarge.status).toBe(413);

    const unknown = await fetch(`${t.url}/trpc/no.such.procedure`);
    expect(unknown.status).toBe(404);

    const wrongMethod = await fetch(`${t.url}/trpc/auth.login`);
    expect(wrongMethod.status).toBe(405);

    const batch = await fetch(`${t.url}/trpc/auth.me,auth.me?batch=1&input=${encodeURIComponent('{}')}`);
    expect(batch.status).toBe(401);
    const results = (await batch.json()) as unknown[];
    expect(results).toHaveLength(2);
    expect(batch.headers.get('cache-control')).toBe('no-store');
  });

  it('reports health with a cheap database query', async () => {
    await using t = await startTestServer(dialect);
    const response = await fetch(`${t.url}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ status: 'ok', db: 'ok' });
  });

  // Losing a PostgreSQL database is easy to stage; a SQLite file keeps working once open.
  if (dialect === 'postgresql') {
    it('reports 503 from /healthz when the database is gone', async () => {
      await using t = await startTestServer(dialect);
      await t.database.drop();
      const response = await fetch(`${t.url}/healthz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'error', db: 'unavailable' });
    });

    it('answers SERVICE_UNAVAILABLE, not a server error, to calls while the database is gone', async () => {
      await using t = await startTestServer(dialect);
      const alice = await t.signUp('alice');
      await t.database.drop();
      const failure = await t.http(alice.token).auth.me.query().then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure).toMatchObject({ data: { code: 'SERVICE_UNAVAILABLE', httpStatus: 503 } });
      // Nothing about the database's internals (its name, the driver's text) reaches the client.
      expect(JSON.stringify(failure)).not.toMatch(/parley_test_|does not exist|stack/i);
    });
  }
});
