/**
 * The realtime backends (event bus, presence, rate-limit store) in process and over a real
 * Redis, including two instances sharing one Redis and a Redis that dies and comes back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { topic } from '../src/realtime/bus.ts';
import { connectRedis, RedisHealth } from '../src/realtime/redis-connection.ts';
import { BusUnavailableError, createRealtimeBackends, RedisPresence } from '../src/index.ts';
import { captureLogger, createTestBackends, newTestNamespace, testBusKinds, testRedisUrl, type LogEntry } from './backends.ts';

/** Every wait is bounded: a lost message fails the test instead of hanging it. */
const WAIT = { timeout: 5_000, interval: 10 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const withRedis = testBusKinds().includes('redis');

interface Note {
  text: string;
  n?: number;
}

/** A separate connection to look at the shared test Redis from outside the backends. */
let inspector: Redis | undefined;
beforeAll(async () => {
  const url = testRedisUrl();
  if (withRedis && url) inspector = await connectRedis(url, 'parley-test-inspector', new RedisHealth(captureLogger().logger));
});
afterAll(async () => {
  await inspector?.quit();
});

/** The Redis channels subscribed under a namespace, by anyone. */
async function channelsUnder(namespace: string): Promise<string[]> {
  if (!inspector) throw new Error('no Redis to inspect');
  return ((await inspector.pubsub('CHANNELS', `${namespace}*`)) as string[]).sort();
}

describe.each(testBusKinds())('event bus (%s)', (kind) => {
  it('delivers a message to every subscriber of its topic and to no other topic', async () => {
    await using backends = await createTestBackends(kind, { namespace: newTestNamespace() });
    const { bus } = backends;
    const news = topic<Note>('news');
    const sport = topic<Note>('sport');
    const first: Note[] = [];
    const second: Note[] = [];
    const sportFans: Note[] = [];
    bus.subscribe(news, (note) => first.push(note));
    bus.subscribe(news, (note) => second.push(note));
    bus.subscribe(sport, (note) => sportFans.push(note));
    await bus.ready();

    await bus.publish(news, { text: 'hello', n: 1 });
    // Published after the news: once it is in, the news has been delivered everywhere it goes.
    await bus.publish(sport, { text: 'sentinel' });
    await vi.waitFor(() => expect(sportFans).toEqual([{ text: 'sentinel' }]), WAIT);
    expect(first).toEqual([{ text: 'hello', n: 1 }]);
    expect(second).toEqual([{ text: 'hello', n: 1 }]);
  });

  it('keeps the order in which one instance published', async () => {
    await using backends = await createTestBackends(kind, { namespace: newTestNamespace() });
    const { bus } = backends;
    const counter = topic<Note>('counter');
    const received: number[] = [];
    bus.subscribe(counter, (note) => received.push(note.n ?? -1));
    await bus.ready();
    const sent = Array.from({ length: 200 }, (_, n) => n);
    await Promise.all(sent.map((n) => bus.publish(counter, { text: 'tick', n })));
    await vi.waitFor(() => expect(received).toHaveLength(sent.length), WAIT);
    expect(received).toEqual(sent);
  });

  it('stops delivering after unsubscribe, and listeners (and Redis subscriptions) return to zero', async () => {
    const namespace = newTestNamespace();
    await using backends = await createTestBackends(kind, { namespace });
    const { bus } = backends;
    const chat = topic<Note>('chat');
    const sentinel = topic<Note>('sentinel');
    const leaving: string[] = [];
    const staying: string[] = [];
    const sentinels: string[] = [];
    const stopLeaving = bus.subscribe(chat, (note) => leaving.push(note.text));
    const stopStaying = bus.subscribe(chat, (note) => staying.push(note.text));
    const stopResync = bus.onResync(() => undefined);
    await bus.ready();
    expect(bus.listenerCount()).toBe(3);
    if (kind === 'redis') expect(await channelsUnder(namespace)).toEqual([`${namespace}bus:resync`, `${namespace}topic:chat`]);

    stopLeaving();
    stopLeaving(); // a second call changes nothing
    await bus.publish(chat, { text: 'one' });
    await vi.waitFor(() => expect(staying).toEqual(['one']), WAIT);
    expect(leaving).toEqual([]);

    stopStaying();
    stopResync();
    expect(bus.listenerCount()).toBe(0);
    if (kind === 'redis') await vi.waitFor(async () => expect(await channelsUnder(namespace)).toEqual([]), WAIT);

    const stopSentinel = bus.subscribe(sentinel, (note) => sentinels.push(note.text));
    await bus.ready();
    await bus.publish(chat, { text: 'two' });
    await bus.publish(sentinel, { text: 'after two' });
    await vi.waitFor(() => expect(sentinels).toEqual(['after two']), WAIT);
    expect(staying).toEqual(['one']);
    stopSentinel();
    expect(bus.listenerCount()).toBe(0);
  });

  it('a listener that throws does not stop the others, and its error is logged', async () => {
    const { logger, entries } = captureLogger();
    await using backends = await createTestBackends(kind, { logger, namespace: newTestNamespace() });
    const { bus } = backends;
    const chat = topic<Note>('chat');
    const before: string[] = [];
    const after: string[] = [];
    bus.subscribe(chat, (note) => before.push(note.text));
    bus.subscribe(chat, () => {
      throw new Error('a bug in one subscription');
    });
    bus.subscribe(chat, (note) => after.push(note.text));
    await bus.ready();

    await bus.publish(chat, { text: 'first' });
    await bus.publish(chat, { text: 'second' });
    await vi.waitFor(() => expect(after).toEqual(['first', 'second']), WAIT);
    expect(before).toEqual(['first', 'second']);
    const thrown = entries.filter((entry) => entry.message === 'An event bus listener threw');
    expect(thrown).toHaveLength(2);
    expect(thrown[0]?.details).toMatchObject({ error: { message: 'a bug in one subscription' } });
  });
});

describe.each(testBusKinds())('presence (%s)', (kind) => {
  it('a user is online while any of their sockets is open', async () => {
    await using backends = await createTestBackends(kind, { namespace: newTestNamespace() });
    const { presence } = backends;
    const alice = 1;
    const bob = 2;
    expect(await presence.onlineAmong([alice, bob])).toEqual(new Set());

    expect(await presence.connected(alice)).toBe(true); // first tab: came online
    expect(await presence.connected(alice)).toBe(false); // second tab: already online
    expect(presence.localSocketsOf(alice)).toBe(2);
    expect(await presence.onlineAmong([alice, bob, alice])).toEqual(new Set([alice]));

    expect(await presence.disconnected(alice)).toBe(false); // one tab left
    expect(await presence.onlineAmong([alice, bob])).toEqual(new Set([alice]));
    expect(await presence.disconnected(alice)).toBe(true); // last tab closed
    expect(await presence.onlineAmong([alice, bob])).toEqual(new Set());
    expect(presence.localSocketsOf(alice)).toBe(0);
  });
});

describe.each(testBusKinds())('rate-limit store (%s)', (kind) => {
  it('counts hits in a window and starts over when the window ends', async () => {
    await using backends = await createTestBackends(kind, { namespace: newTestNamespace() });
    const store = backends.rateLimitStore;
    const started = Date.now();
    const first = await store.hit('send:1', 400);
    expect(first.count).toBe(1);
    expect(first.resetAt).toBeGreaterThan(started);
    expect(first.resetAt).toBeLessThanOrEqual(Date.now() + 400);
    expect((await store.hit('send:1', 400)).count).toBe(2);
    expect((await store.hit('send:2', 400)).count).toBe(1); // keys count apart
    const third = await store.hit('send:1', 400);
    expect(third.count).toBe(3);
    expect(Math.abs(third.resetAt - first.resetAt)).toBeLessThan(100); // same window

    await sleep(Math.max(0, first.resetAt - Date.now()) + 50);
    const next = await store.hit('send:1', 400);
    expect(next.count).toBe(1);
    expect(next.resetAt).toBeGreaterThan(first.resetAt);
  });
});

describe.runIf(withRedis)('two instances sharing one Redis', () => {
  it('hear each other on the bus, in each publisher’s order', async () => {
    const namespace = newTestNamespace();
    await using one = await createTestBackends('redis', { namespace, instanceId: 'one' });
    await using two = await createTestBackends('redis', { namespace, instanceId: 'two' });
    const room = topic<Note>('conversation:7');
    const heardByOne: Note[] = [];
    const heardByTwo: Note[] = [];
    one.bus.subscribe(room, (note) => heardByOne.push(note));
    two.bus.subscribe(room, (note) => heardByTwo.push(note));
    await Promise.all([one.bus.ready(), two.bus.ready()]);

    await Promise.all([
      ...Array.from({ length: 50 }, (_, n) => one.bus.publish(room, { text: 'from one', n })),
      ...Array.from({ length: 50 }, (_, n) => two.bus.publish(room, { text: 'from two', n })),
    ]);
    for (const heard of [heardByOne, heardByTwo]) {
      await vi.waitFor(() => expect(heard).toHaveLength(100), WAIT);
      for (const sender of ['from one', 'from two']) {
        expect(heard.filter((note) => note.text === sender).map((note) => note.n)).toEqual(Array.from({ length: 50 }, (_, n) => n));
      }
    }
  });

  it('share presence: online while any instance has a socket, offline when the last one closes', async () => {
    const namespace = newTestNamespace();
    await using one = await createTestBackends('redis', { namespace, instanceId: 'one' });
    await using two = await createTestBackends('redis', { namespace, instanceId: 'two' });
    const alice = 10;

    expect(await one.presence.connected(alice)).toBe(true);
    expect(await two.presence.onlineAmong([alice])).toEqual(new Set([alice]));
    expect(await two.presence.connected(alice)).toBe(false); // already online on instance one
    expect(two.presence.localSocketsOf(alice)).toBe(1);

    expect(await one.presence.disconnected(alice)).toBe(false); // still on instance two
    expect(await one.presence.onlineAmong([alice])).toEqual(new Set([alice]));
    expect(await two.presence.disconnected(alice)).toBe(true);
    expect(await one.presence.onlineAmong([alice])).toEqual(new Set());
    expect(await two.presence.onlineAmong([alice])).toEqual(new Set());
  });

  it('drop an instance that stops refreshing from presence once its TTL passes', async () => {
    const namespace = newTestNamespace();
    const url = testRedisUrl() ?? '';
    const health = new RedisHealth(captureLogger().logger);
    await using survivor = await createTestBackends('redis', { namespace, instanceId: 'survivor' });
    const doomedConnection = await connectRedis(url, 'parley-test-doomed', health);
    const doomed = new RedisPresence({ redis: doomedConnection, instanceId: 'doomed', health, keyPrefix: namespace, ttlMs: 600, refreshMs: 150 });
    const alice = 20;
    try {
      expect(await doomed.connected(alice)).toBe(true);
      // Refreshes keep the claim alive well past one TTL.
      await sleep(1_000);
      expect(await survivor.presence.onlineAmong([alice])).toEqual(new Set([alice]));

      // The instance loses Redis for good (a crash, a partition): it can neither refresh nor clean up.
      doomedConnection.disconnect();
      const lostAt = Date.now();
      await vi.waitFor(async () => expect(await survivor.presence.onlineAmong([alice])).toEqual(new Set()), WAIT);
      // Within about one TTL (600 ms) of its last refresh, not the 30 s default; generous for a busy CI machine.
      expect(Date.now() - lostAt).toBeLessThan(2_500);
      // Alice's first socket on the survivor brings her online again.
      expect(await survivor.presence.connected(alice)).toBe(true);
    } finally {
      await doomed.close();
    }
  });

  it('share rate-limit counters, atomically', async () => {
    const namespace = newTestNamespace();
    await using one = await createTestBackends('redis', { namespace, instanceId: 'one' });
    await using two = await createTestBackends('redis', { namespace, instanceId: 'two' });
    expect((await one.rateLimitStore.hit('login:alice', 60_000)).count).toBe(1);
    expect((await two.rateLimitStore.hit('login:alice', 60_000)).count).toBe(2);
    const counts = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).rateLimitStore.hit('login:alice', 60_000)),
    );
    expect(counts.map((hit) => hit.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 3));
  });

  it('keep counting in Redis after Redis forgets their scripts (SCRIPT FLUSH, as after a restart)', async () => {
    const namespace = newTestNamespace();
    const { logger, entries } = captureLogger();
    await using one = await createTestBackends('redis', { namespace, instanceId: 'one', logger });
    await using two = await createTestBackends('redis', { namespace, instanceId: 'two', logger });
    const counter = (name: string) => inspector?.get(`${namespace}ratelimit:${name}`);
    expect((await one.rateLimitStore.hit('send:9', 60_000)).count).toBe(1);
    expect(await one.presence.connected(30)).toBe(true);

    await inspector?.script('FLUSH');
    // Shared counts, not each instance's memory: the script ran in Redis both times.
    expect((await two.rateLimitStore.hit('send:9', 60_000)).count).toBe(2);
    expect(await counter('send:9')).toBe('2');
    await inspector?.script('FLUSH');
    expect(await two.presence.onlineAmong([30, 31])).toEqual(new Set([30]));
    // No command was reported as refused (a script Redis did not know would have been).
    expect(entries.filter((entry) => entry.level !== 'info')).toEqual([]);
  });

  it('an instance whose publishes failed makes every instance resync once it is back', async () => {
    const namespace = newTestNamespace();
    const instanceId = `one-${namespace.split(':')[1]}`;
    await using one = await createTestBackends('redis', { namespace, instanceId });
    await using two = await createTestBackends('redis', { namespace });
    let twoResyncs = 0;
    two.bus.onResync(() => twoResyncs++);
    await two.bus.ready();

    // Only instance one's publishing connection drops; instance two notices nothing.
    const clients = String(await inspector?.client('LIST'));
    const publisherId = new RegExp(`id=(\\d+) [^\\n]*name=parley:${instanceId}:publisher `).exec(clients)?.[1];
    expect(publisherId).toBeDefined();
    await inspector?.client('KILL', 'ID', String(publisherId));
    await expect(one.bus.publish(topic<Note>('chat'), { text: 'lost' })).rejects.toBeInstanceOf(BusUnavailableError);

    await vi.waitFor(() => expect(twoResyncs).toBe(1), WAIT);
  });
});

describe('startup', () => {
  it('fails fast with a clear error when Redis is unreachable', async () => {
    const port = await freePort();
    const started = Date.now();
    await expect(
      createRealtimeBackends({
        redisUrl: `redis://:not-in-logs@127.0.0.1:${port}`,
        logger: captureLogger().logger,
        redisConnection: { connectTimeoutMs: 1_000 },
      }),
    ).rejects.toThrow(new RegExp(`Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} is unreachable \\(.*ECONNREFUSED`));
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('rejects a URL that is not redis:// or rediss://', async () => {
    await expect(createRealtimeBackends({ redisUrl: 'http://127.0.0.1:6379', logger: captureLogger().logger })).rejects.toThrow(
      /must start with redis:\/\//,
    );
  });

  it('runs in process without a Redis URL', async () => {
    const backends = await createRealtimeBackends({ logger: captureLogger().logger });
    expect(backends.kind).toBe('local');
    await backends.close();
  });
});

describe.runIf(withRedis)('Redis outage', () => {
  const servers: PrivateRedis[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  it('publish fails fast, the outage is logged once, and subscribers resync and hear again when Redis is back', async () => {
    const port = await freePort();
    servers.push(await startRedis(port));
    const url = `redis://127.0.0.1:${port}`;
    const namespace = newTestNamespace();
    const { logger, entries } = captureLogger();
    const connection = { reconnectMaxDelayMs: 200, commandTimeoutMs: 500 };
    const instance = await createRealtimeBackends({ redisUrl: url, logger, instanceId: 'one', redisPrefix: namespace, redisConnection: connection });
    try {
      const chat = topic<Note>('chat');
      const heard: string[] = [];
      let resyncs = 0;
      instance.bus.subscribe(chat, (note) => heard.push(note.text));
      instance.bus.onResync(() => resyncs++);
      const alice = 1;
      await instance.presence.connected(alice);
      await instance.bus.ready();
      await instance.bus.publish(chat, { text: 'before' });
      await vi.waitFor(() => expect(heard).toEqual(['before']), WAIT);

      await servers.at(-1)?.stop();
      await vi.waitFor(() => expect(messages(entries, 'warn')).toHaveLength(1), WAIT);
      expect(messages(entries, 'warn')[0]).toMatch(/^Redis connection lost/);

      // While Redis is down: nothing hangs, and nothing but the one line is logged.
      for (let attempt = 0; attempt < 5; attempt++) {
        const started = Date.now();
        await expect(instance.bus.publish(chat, { text: `during ${attempt}` })).rejects.toBeInstanceOf(BusUnavailableError);
        expect(Date.now() - started).toBeLessThan(1_000);
      }
      expect((await instance.rateLimitStore.hit('send:1', 10_000)).count).toBe(1); // counted in memory meanwhile
      expect(await instance.presence.onlineAmong([alice, 2])).toEqual(new Set([alice])); // this instance's own view
      await sleep(500); // several reconnection attempts fail
      expect(entries.filter((entry) => entry.level !== 'info').map((entry) => entry.message)).toEqual([messages(entries, 'warn')[0]]);
      expect(resyncs).toBe(0);

      servers.push(await startRedis(port));
      await vi.waitFor(() => expect(resyncs).toBeGreaterThanOrEqual(1), { ...WAIT, timeout: 10_000 });
      const restored = () => messages(entries, 'info').filter((message) => message.startsWith('Redis connection restored'));
      await vi.waitFor(() => expect(restored()).toHaveLength(1), WAIT);
      expect(messages(entries, 'warn')).toHaveLength(1);

      // The restarted Redis knew nothing of us: hearing another instance proves the re-subscription.
      const other = await createRealtimeBackends({ redisUrl: url, logger, instanceId: 'two', redisPrefix: namespace });
      onTestFinished(() => other.close());
      await other.bus.publish(chat, { text: 'after' });
      await vi.waitFor(() => expect(heard).toEqual(['before', 'after']), WAIT);
      // Presence was claimed again, so other instances see alice online.
      await vi.waitFor(async () => expect(await other.presence.onlineAmong([alice])).toEqual(new Set([alice])), WAIT);
    } finally {
      await instance.close();
    }
  });
});

function messages(entries: LogEntry[], level: LogEntry['level']): string[] {
  return entries.filter((entry) => entry.level === level).map((entry) => entry.message);
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface PrivateRedis {
  stop(): Promise<void>;
}

/** A throw-away redis-server (memory only) as a child process of the test. */
async function startRedis(port: number): Promise<PrivateRedis> {
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: 'ignore' },
  );
  // A failure to spawn (no redis-server) surfaces as the timeout below.
  const exited = once(child, 'exit').catch(() => undefined);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const deadline = Date.now() + 5_000;
  while (!(await accepts(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`redis-server did not start on port ${port}`);
    }
    await sleep(20);
  }
  return { stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
