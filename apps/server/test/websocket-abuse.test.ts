/**
 * Raw WebSocket abuse against the real server on 127.0.0.1, with the `ws` client and no tRPC
 * client: every attack is answered with an error or a close, never a crash, a server fault
 * or unbounded work; and after each one, an ordinary client still signs in and reads.
 */
import { testDialects } from '@parley/db';
import { MAX_CALLS_IN_FLIGHT_PER_CONNECTION, MAX_SUBSCRIPTIONS_PER_CONNECTION } from '@parley/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTestServer, type TestServer } from './harness.ts';
import { captureLogs, type CapturedLogs } from './log-capture.ts';
import { errorCodeOf, openRaw, openSignedIn, type RawSocket, type WireMessage } from './raw-socket.ts';

const isError = (message: WireMessage) => 'error' in message;
const withId = (id: unknown) => (message: WireMessage) => message.id === id;

/** Tallies every attack and how the server answered, printed for the closing note. */
const answers = new Map<string, number>();
const tally = (answer: string) => answers.set(answer, (answers.get(answer) ?? 0) + 1);

describe.each(testDialects())('raw WebSocket abuse on %s', (dialect) => {
  let t: TestServer;
  let logs: CapturedLogs;
  let alice: { id: number; token: string };
  const sockets: RawSocket[] = [];

  /** A raw socket closed after the test, whatever happens. */
  async function raw(url = t.wsUrl): Promise<RawSocket> {
    const socket = await openRaw(url);
    sockets.push(socket);
    return socket;
  }

  beforeAll(async () => {
    logs = captureLogs('info');
    t = await startTestServer(dialect, { start: { logger: logs.logger } });
    alice = await t.signUp('alice');
  });

  afterAll(async () => {
    await t[Symbol.asyncDispose]();
    console.info(`WebSocket abuse on ${dialect}: answers ${JSON.stringify(Object.fromEntries(answers))}`);
    answers.clear();
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.ws.terminate();
    // The server still serves an ordinary client, and logged no fault of its own.
    await using client = t.socket(alice.token);
    await expect(client.api.auth.me.query()).resolves.toMatchObject({ username: 'alice' });
    await expect(client.api.conversations.list.query({ limit: 5 })).resolves.toHaveProperty('items');
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    expect(logs.errors()).toEqual([]);
  });

  it('answers malformed JSON with PARSE_ERROR and keeps the socket open', async () => {
    const socket = await raw();
    const junk = ['{"id": 1, "method": ', 'not json at all', '\u0000\u0001\u0002', '{"id": 1e999999}', `${'['.repeat(10_000)}${']'.repeat(10_000)}`, ''];
    for (const [index, frame] of junk.entries()) {
      socket.ws.send(frame);
      const [answer] = await socket.receiveAll(isError, index + 1).then((all) => all.slice(-1));
      expect({ frame: frame.slice(0, 20), code: errorCodeOf(answer) }).toEqual({ frame: frame.slice(0, 20), code: 'PARSE_ERROR' });
      tally('malformed JSON → PARSE_ERROR');
    }
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('answers messages of the wrong shape with an error naming the problem', async () => {
    const socket = await raw();
    const shapes: [unknown, string][] = [
      [null, 'PARSE_ERROR'],
      [42, 'PARSE_ERROR'],
      ['a string', 'PARSE_ERROR'],
      [{}, 'PARSE_ERROR'],
      [{ id: 1 }, 'PARSE_ERROR'],
      [{ id: 1, method: 'query' }, 'PARSE_ERROR'],
      [{ id: 1, method: 'query', params: { path: 42 } }, 'PARSE_ERROR'],
      [{ id: { nested: true }, method: 'query', params: { path: 'auth.me' } }, 'PARSE_ERROR'],
      [{ id: 1, method: 'delete', params: { path: 'auth.me' } }, 'PARSE_ERROR'],
      [{ id: 1, jsonrpc: '1.0', method: 'query', params: { path: 'auth.me' } }, 'PARSE_ERROR'],
      [{ id: 1, method: 'subscription', params: { path: 'inbox.onEvent', lastEventId: 7 } }, 'PARSE_ERROR'],
      [{ id: null, method: 'query', params: { path: 'auth.me' } }, 'PARSE_ERROR'],
      // A batch in which one message is wrong: the frame is refused as a whole.
      [[{ id: 1, method: 'query', params: { path: 'auth.me' } }, { id: 2 }], 'PARSE_ERROR'],
      // Well-formed, but the procedure is of another kind, or the input is wrong.
      [{ id: 'kind', method: 'query', params: { path: 'auth.register', input: {} } }, 'NOT_FOUND'],
      [{ id: 'sub', method: 'subscription', params: { path: 'auth.me' } }, 'NOT_FOUND'],
      [{ id: 'input', method: 'mutation', params: { path: 'auth.login', input: [1, 2, 3] } }, 'BAD_REQUEST'],
      [{ id: 'deep', method: 'mutation', params: { path: 'auth.login', input: { username: { $ne: '' }, password: { $gt: '' } } } }, 'BAD_REQUEST'],
      [{ id: 'anon', method: 'subscription', params: { path: 'inbox.onEvent' } }, 'UNAUTHORIZED'],
    ];
    for (const [index, [shape, code]] of shapes.entries()) {
      socket.ws.send(JSON.stringify(shape));
      const answers = await socket.receiveAll(isError, index + 1);
      expect({ shape, code: errorCodeOf(answers.at(-1)) }).toEqual({ shape, code });
      tally(`wrong shape → ${code}`);
    }
    // A stop for a subscription that does not exist is a no-op: nothing to answer, nothing breaks.
    socket.ws.send(JSON.stringify({ id: 'nothing', method: 'subscription.stop' }));
    socket.ws.send(JSON.stringify({ id: 'after', method: 'query', params: { path: 'auth.me' } }));
    expect(errorCodeOf(await socket.receive(withId('after')))).toBe('UNAUTHORIZED');
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('answers unknown procedures with NOT_FOUND, whatever the path', async () => {
    const socket = await raw();
    const paths = ['no.such.thing', '', 'auth', '__proto__', 'constructor', 'auth.__proto__', 'auth.me.toString', '_def', 'auth.me/../admin.stats', 'x'.repeat(10_000)];
    for (const [index, path] of paths.entries()) {
      socket.ws.send(JSON.stringify({ id: index, method: 'query', params: { path } }));
      expect({ path: path.slice(0, 30), code: errorCodeOf(await socket.receive(withId(index))) }).toEqual({ path: path.slice(0, 30), code: 'NOT_FOUND' });
      tally('unknown procedure → NOT_FOUND');
    }
  });

  it('refuses binary frames: PARSE_ERROR on an open socket, an error and a close in place of connectionParams', async () => {
    const socket = await raw();
    socket.ws.send(Buffer.from(JSON.stringify({ id: 1, method: 'query', params: { path: 'auth.me' } })));
    socket.ws.send(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]));
    const refused = await socket.receiveAll(isError, 2);
    expect(refused.map(errorCodeOf)).toEqual(['PARSE_ERROR', 'PARSE_ERROR']);
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
    tally('binary frame → PARSE_ERROR');

    const awaitingParams = await raw(`${t.wsUrl}?connectionParams=1`);
    awaitingParams.ws.send(Buffer.from(JSON.stringify({ method: 'connectionParams', data: { token: alice.token } })));
    expect(errorCodeOf(await awaitingParams.receive(isError))).toBe('PARSE_ERROR');
    expect((await awaitingParams.closed).code).toBe(1005);
    tally('binary connectionParams → PARSE_ERROR + close');
  });

  it('closes the socket, or keeps it anonymous, for connectionParams of the wrong shape', async () => {
    // Not parseable as connectionParams: the server answers with an error and closes.
    const unparseable = [
      'not json',
      'null',
      '42',
      '"token"',
      JSON.stringify({ method: 'connectionParams', data: { token: 123 } }),
      JSON.stringify({ method: 'connectionParams', data: { token: { nested: alice.token } } }),
      JSON.stringify({ method: 'connectionParams', data: [alice.token] }),
      // A token hidden under __proto__ is an own key after JSON.parse, and not a string.
      `{"method": "connectionParams", "data": {"__proto__": {"token": "${alice.token}"}}}`,
    ];
    for (const frame of unparseable) {
      const socket = await raw(`${t.wsUrl}?connectionParams=1`);
      socket.ws.send(frame);
      expect({ frame, code: errorCodeOf(await socket.receive(isError)) }).toEqual({ frame, code: 'PARSE_ERROR' });
      await socket.closed;
      tally('bad connectionParams → PARSE_ERROR + close');
    }
    // Parseable but carrying no usable token: an anonymous socket, refused at every protected call.
    const anonymous = [
      { method: 'connectionParams', data: null },
      { method: 'connectionParams', data: {} },
      { method: 'connectionParams', data: { token: '' } },
      { method: 'connectionParams', data: { token: 'x'.repeat(5_000) } },
      { method: 'connectionParams', data: { token: `${alice.token}x` } },
      { method: 'connectionParams', data: { Token: alice.token } },
      { method: 'somethingElse', data: { token: 'garbage' } },
    ];
    for (const frame of anonymous) {
      const socket = await raw(`${t.wsUrl}?connectionParams=1`);
      socket.ws.send(JSON.stringify(frame));
      socket.ws.send(JSON.stringify({ id: 1, method: 'query', params: { path: 'auth.me' } }));
      expect({ frame, code: errorCodeOf(await socket.receive(withId(1))) }).toEqual({ frame, code: 'UNAUTHORIZED' });
      tally('connectionParams without a usable token → anonymous (UNAUTHORIZED)');
    }
  });

  it('closes a socket that sends more than 64 KiB in one message (1009), in one frame or in fragments', async () => {
    const whole = await raw();
    whole.ws.send('x'.repeat(64 * 1024 + 1));
    expect((await whole.closed).code).toBe(1009);
    const binary = await raw();
    binary.ws.send(Buffer.alloc(65 * 1024, 7));
    expect((await binary.closed).code).toBe(1009);
    // Sixty-five 1 KiB fragments of one message: the limit counts the message, not the frame.
    const fragmented = await raw();
    for (let i = 0; i < 65; i++) fragmented.ws.send('y'.repeat(1024), { fin: i === 64 });
    expect((await fragmented.closed).code).toBe(1009);
    // Exactly 64 KiB is allowed (and answered as the junk it is).
    const atLimit = await raw();
    atLimit.ws.send('z'.repeat(64 * 1024));
    expect(errorCodeOf(await atLimit.receive(isError))).toBe('PARSE_ERROR');
    tally('oversized message → close 1009');
  });

  it(`runs at most ${MAX_CALLS_IN_FLIGHT_PER_CONNECTION} calls at once for one socket: a flood of 14,000 is mostly refused at once`, async () => {
    const socket = await openSignedIn(t.wsUrl, alice.token);
    sockets.push(socket);
    const frames = 20;
    const perFrame = 700;
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    // tRPC starts every call of a frame without waiting: 700 at once, twenty times over.
    for (let frame = 0; frame < frames; frame++) {
      const calls = Array.from({ length: perFrame }, (_, i) => ({ id: frame * perFrame + i, method: 'query', params: { path: 'conversations.list', input: { limit: 100 } } }));
      socket.ws.send(JSON.stringify(calls));
    }
    // Meanwhile someone else is served.
    await using other = t.socket(alice.token);
    await expect(other.api.auth.me.query()).resolves.toMatchObject({ username: 'alice' });
    const othersWaitedMs = performance.now() - started;
    const answered = await socket.receiveAll((message) => typeof message.id === 'number', frames * perFrame);
    const served = answered.filter((message) => 'result' in message).length;
    const refused = answered.filter((message) => errorCodeOf(message) === 'TOO_MANY_REQUESTS').length;
    // Each frame gets at most the cap; whatever is left of it is refused before any work.
    expect(served + refused).toBe(frames * perFrame);
    expect(served).toBeGreaterThanOrEqual(MAX_CALLS_IN_FLIGHT_PER_CONNECTION);
    expect(served).toBeLessThanOrEqual(frames * MAX_CALLS_IN_FLIGHT_PER_CONNECTION);
    tally(`${frames * perFrame} calls in ${frames} frames → ${served} served, ${refused} TOO_MANY_REQUESTS`);
    console.info(
      `call flood on ${dialect}: answered in ${(performance.now() - started).toFixed(0)} ms, another client served after ${othersWaitedMs.toFixed(0)} ms, RSS ${((process.memoryUsage().rss - rssBefore) / 1e6).toFixed(0)} MB more`,
    );
  });

  it('keeps a "__proto__" key in an input as data, also where tRPC copies a resumed stream\'s input', async () => {
    // tRPC copies a subscription's input to add lastEventId, with the helper our patch speeds
    // up (patches/README.md). A copy that assigned "__proto__" would make it the prototype,
    // and a conversation id inherited through it would pass for the input's own.
    const notes = await t.http(alice.token).conversations.create.mutate({ kind: 'self' });
    const socket = await openSignedIn(t.wsUrl, alice.token);
    sockets.push(socket);
    const smuggled = `{"__proto__": {"conversationId": ${notes.id}}}`;
    socket.ws.send(`{"id": "resumed", "method": "subscription", "params": {"path": "conversations.onEvent", "input": ${smuggled}, "lastEventId": "0"}}`);
    socket.ws.send(`{"id": "fresh", "method": "subscription", "params": {"path": "conversations.onEvent", "input": ${smuggled}}}`);
    expect(errorCodeOf(await socket.receive(withId('resumed')))).toBe('BAD_REQUEST');
    expect(errorCodeOf(await socket.receive(withId('fresh')))).toBe('BAD_REQUEST');
    // The same stream, asked for plainly, starts.
    socket.ws.send(JSON.stringify({ id: 'plain', method: 'subscription', params: { path: 'conversations.onEvent', input: { conversationId: notes.id }, lastEventId: '0' } }));
    expect(await socket.receive(withId('plain'))).toMatchObject({ result: { type: 'started' } });
    tally('"__proto__" in a subscription input → BAD_REQUEST');
  });

  it(`starts at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions on one socket: 10,000 asked, the rest refused`, async () => {
    const socket = await openSignedIn(t.wsUrl, alice.token);
    sockets.push(socket);
    const asked = 10_000;
    // Sent as batches of 500 per frame (about 40 KiB each), as fast as the socket takes them.
    for (let first = 0; first < asked; first += 500) {
      const batch = Array.from({ length: 500 }, (_, i) => ({ id: first + i, method: 'subscription', params: { path: 'inbox.onEvent' } }));
      socket.ws.send(JSON.stringify(batch));
    }
    const answered = await socket.receiveAll((message) => typeof message.id === 'number', asked);
    const started = answered.filter((message) => (message.result as { type?: string } | undefined)?.type === 'started');
    const refused = answered.filter((message) => errorCodeOf(message) === 'TOO_MANY_REQUESTS');
    expect({ started: started.length, refused: refused.length }).toEqual({ started: MAX_SUBSCRIPTIONS_PER_CONNECTION, refused: asked - MAX_SUBSCRIPTIONS_PER_CONNECTION });
    expect((refused[0]?.error as { message?: string } | undefined)?.message).toMatch(/At most 100 live subscriptions per connection/);
    tally(`10,000 subscriptions → ${started.length} started, ${refused.length} TOO_MANY_REQUESTS`);

    // Stopping one frees its slot for the next.
    const stoppedId = started[0]?.id;
    socket.ws.send(JSON.stringify({ id: stoppedId, method: 'subscription.stop' }));
    await socket.receive((message) => message.id === stoppedId && (message.result as { type?: string } | undefined)?.type === 'stopped');
    socket.ws.send(JSON.stringify({ id: 'again', method: 'subscription', params: { path: 'inbox.onEvent' } }));
    expect(await socket.receive(withId('again'))).toMatchObject({ result: { type: 'started' } });
    socket.ws.send(JSON.stringify({ id: 'one-too-many', method: 'subscription', params: { path: 'inbox.onEvent' } }));
    expect(errorCodeOf(await socket.receive(withId('one-too-many')))).toBe('TOO_MANY_REQUESTS');
    // Every refusal is an outcome /metrics counts.
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    const refusedCount = asked - MAX_SUBSCRIPTIONS_PER_CONNECTION + 1;
    expect(metrics).toContain(`parley_trpc_calls_total{procedure="inbox.onEvent",type="subscription",code="TOO_MANY_REQUESTS"} ${refusedCount}`);

    // The cap is per socket: another socket of the same user starts its own.
    const second = await openSignedIn(t.wsUrl, alice.token);
    sockets.push(second);
    second.ws.send(JSON.stringify({ id: 1, method: 'subscription', params: { path: 'inbox.onEvent' } }));
    expect(await second.receive(withId(1))).toMatchObject({ result: { type: 'started' } });
  });
});
