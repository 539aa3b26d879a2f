import { openDatabase, testDialects, UserSchema } from '@parley/db';
import { describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { startTestServer, type TestServer } from './harness.ts';
import { openRaw, openSignedIn, type RawSocket } from './raw-socket.ts';

/** Opens a socket that presents `token` and asks auth.me: the answer, or how the socket was closed. */
async function signedInSocket(t: TestServer, token: string, opts: { answerPings?: boolean } = {}) {
  const socket = await openRaw(`${t.wsUrl}?connectionParams=1`, opts);
  socket.ws.send(JSON.stringify({ method: 'connectionParams', data: { token } }));
  socket.ws.send(JSON.stringify({ id: 1, method: 'query', params: { path: 'auth.me', input: undefined } }));
  const outcome = await Promise.race([
    socket.receive((message) => message.id === 1).then((answer) => ({ answer })),
    socket.closed.then((close) => ({ close })),
  ]);
  return { socket, outcome };
}

describe.each(testDialects())('the WebSocket endpoint on %s', (dialect) => {
  it('shows a user online while one of their authenticated sockets is open', async () => {
    await using t = await startTestServer(dialect);
    const alice = await t.signUp('alice');
    const bob = await t.signUp('bob');
    const bobApi = t.http(bob.token);
    const aliceOnline = async () => (await bobApi.users.search.query({ query: 'alice' }))[0]?.online;

    expect(await aliceOnline()).toBe(false);
    const first = t.socket(alice.token);
    const second = t.socket(alice.token);
    await Promise.all([first.api.auth.me.query(), second.api.auth.me.query()]);
    expect(await aliceOnline()).toBe(true);
    await first.close();
    // One socket left: still online.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await aliceOnline()).toBe(true);
    await second.close();
    await vi.waitFor(async () => expect(await aliceOnline()).toBe(false));

    // A forged token's socket is not Alice's: she stays offline.
    await using forged = t.socket(`${alice.token.slice(0, -4)}AAAA`);
    await expect(forged.api.auth.me.query()).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    expect(await aliceOnline()).toBe(false);
  });

  it('closes a user’s 21st socket with a clear reason and lets others in', async () => {
    await using t = await startTestServer(dialect);
    const alice = await t.signUp('alice');
    const bob = await t.signUp('bob');
    const open: RawSocket[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const { socket, outcome } = await signedInSocket(t, alice.token);
        expect(outcome).toMatchObject({ answer: { result: { data: { username: 'alice' } } } });
        open.push(socket);
      }
      const refused = await signedInSocket(t, alice.token);
      expect(refused.outcome).toEqual({ close: { code: 1008, reason: 'Too many open connections: at most 20 per user' } });

      const other = await signedInSocket(t, bob.token);
      expect(other.outcome).toMatchObject({ answer: { result: { data: { username: 'bob' } } } });
      open.push(other.socket);

      // Closing one of Alice's sockets frees a slot.
      open[0]?.ws.close();
      await open[0]?.closed;
      await vi.waitFor(async () => {
        const retry = await signedInSocket(t, alice.token);
        open.push(retry.socket);
        expect(retry.outcome).toMatchObject({ answer: { result: { data: { username: 'alice' } } } });
      });
    } finally {
      for (const socket of open) socket.ws.terminate();
    }
  });

  it('drops a socket whose peer stopped answering pings, and its user goes offline', async () => {
    await using t = await startTestServer(dialect, { start: { keepAlive: { pingMs: 150, pongWaitMs: 150 } } });
    const alice = await t.signUp('alice');
    const bob = await t.signUp('bob');
    const live = await signedInSocket(t, bob.token);
    const dead = await signedInSocket(t, alice.token, { answerPings: false });
    try {
      expect(dead.outcome).toHaveProperty('answer');
      // Terminated without a closing handshake: 1006 on this side.
      expect((await dead.socket.closed).code).toBe(1006);
      await vi.waitFor(async () => {
        const found = await t.http(bob.token).users.search.query({ query: 'alice' });
        expect(found[0]?.online).toBe(false);
      });
      // The peer that answers is kept.
      expect(live.socket.ws.readyState).toBe(WebSocket.OPEN);
    } finally {
      live.socket.ws.terminate();
      dead.socket.ws.terminate();
    }
  });

  it('refuses WebSocket handshakes from origins that are not allowed', async () => {
    await using t = await startTestServer(dialect);
    await expect(openRaw(t.wsUrl, { origin: 'https://evil.example' })).rejects.toThrow(/Unexpected server response: 403/);
    await expect(openRaw(t.wsUrl, { origin: 'null' })).rejects.toThrow(/403/);
    await expect(openRaw(`${t.url.replace('http', 'ws')}/elsewhere`)).rejects.toThrow(/404/);

    // The page's own origin, a local dev server, and a client without Origin are let in.
    for (const origin of [t.url, 'http://localhost:5173', undefined]) {
      const socket = await openRaw(t.wsUrl, origin ? { origin } : {});
      socket.ws.close();
      await socket.closed;
    }
  });

  it('lets in exactly the ALLOWED_ORIGINS (and the page’s own origin) when they are set', async () => {
    await using t = await startTestServer(dialect, { env: { ALLOWED_ORIGINS: 'https://chat.example.com, https://admin.example.com:8443' } });
    await expect(openRaw(t.wsUrl, { origin: 'http://localhost:5173' })).rejects.toThrow(/403/);
    await expect(openRaw(t.wsUrl, { origin: 'https://chat.example.com.evil.example' })).rejects.toThrow(/403/);
    for (const origin of ['https://chat.example.com', 'https://admin.example.com:8443', t.url]) {
      const socket = await openRaw(t.wsUrl, { origin });
      socket.ws.close();
      await socket.closed;
    }
  });

  it('answers malformed messages without a server error, and drops oversized ones', async () => {
    await using t = await startTestServer(dialect);
    const socket = await openRaw(t.wsUrl);
    try {
      socket.ws.send('{"id": 1, "method": ');
      expect(await socket.receive((message) => 'error' in message)).toMatchObject({ id: null, error: { data: { code: 'PARSE_ERROR' } } });
      socket.ws.send(JSON.stringify({ id: 2, method: 'mutation', params: { path: 'auth.register', input: { username: '!' } } }));
      expect(await socket.receive((message) => message.id === 2)).toMatchObject({ error: { data: { code: 'BAD_REQUEST' } } });
      socket.ws.send(JSON.stringify({ id: 3, method: 'query', params: { path: 'no.such.thing' } }));
      expect(await socket.receive((message) => message.id === 3)).toMatchObject({ error: { data: { code: 'NOT_FOUND' } } });

      // Over 64 KiB in one message: the socket is closed with "message too big".
      socket.ws.send('x'.repeat(65 * 1024));
      expect((await socket.closed).code).toBe(1009);
    } finally {
      socket.ws.terminate();
    }
  });

  it('counts a user whose tab stays open across midnight as active on the new day', async () => {
    // A "day" of half a second: at each new one, who is connected is recorded as seen.
    await using t = await startTestServer(dialect, { env: { PARLEY_ADMINS: 'admin' }, start: { msUntilNextDay: () => 500 } });
    const admin = await t.signUp('admin');
    const bob = await t.signUp('bob');
    const bobsTab = await openSignedIn(t.wsUrl, bob.token);
    const db = await openDatabase(t.database.target);
    try {
      // As if both had signed in, and Bob opened his tab, two days ago.
      const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
      await db.em.fork().nativeUpdate(UserSchema, { id: { $in: [admin.id, bob.id] } }, { lastSeenAt: twoDaysAgo });
      const lastSeen = async (id: number) => (await db.em.fork().findOneOrFail(UserSchema, id)).lastSeenAt?.getTime();
      await vi.waitFor(async () => expect(await lastSeen(bob.id)).toBeGreaterThan(Date.now() - 60_000), { timeout: 5_000 });
      // The admin has no socket open (HTTP calls are not activity): still two days ago.
      expect(await lastSeen(admin.id)).toBe(twoDaysAgo.getTime());
      const stats = await t.http(admin.token).admin.stats.query();
      expect(stats.stored.users.dailyActive).toBe(1);
    } finally {
      await db.close();
      bobsTab.ws.terminate();
    }
  });

  it('shuts down gracefully: asks clients to reconnect, then closes what is left, and frees the port', async () => {
    const listeningBefore = process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap').length;
    const t = await startTestServer(dialect);
    try {
      const alice = await t.signUp('alice');
      const { socket: stubborn, outcome } = await signedInSocket(t, alice.token);
      expect(outcome).toHaveProperty('answer');
      const client = t.socket(alice.token);
      await client.api.auth.me.query();

      const closing = t.server.close();
      // A client that ignores the notice is closed once the drain time is over.
      expect(await stubborn.receive((message) => message.method === 'reconnect')).toEqual({ id: null, method: 'reconnect' });
      expect(await stubborn.closed).toEqual({ code: 1001, reason: 'The server is shutting down' });
      await closing;
      // The tRPC client followed the notice and dropped its connection.
      expect(client.closes.length).toBeGreaterThan(0);
      await expect(fetch(`${t.url}/healthz`)).rejects.toThrow();
    } finally {
      await t[Symbol.asyncDispose]();
    }
    expect(process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap').length).toBe(listeningBefore);
  });
});
