/**
 * Helpers for the real-time tests: the setups they run on (SQLite with the in-process bus,
 * PostgreSQL with Redis), servers with their realtime backends, subscriptions that record
 * what they receive, and a TCP proxy that plays the network (drops connections, moves
 * clients between instances like a load balancer).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import {
  createRealtimeBackends,
  type ConversationEventView,
  type InboxEvent,
  type RealtimeBackends,
  type RealtimeLogger,
} from '@parley/api';
import { createScratchDatabase, testDialects, type Dialect, type ScratchDatabase } from '@parley/db';
import type { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll } from 'vitest';
import { WebSocket, type RawData } from 'ws';
import type { AppRouter } from '@parley/api';
import type { StartOptions } from '../../src/server.ts';
import { startTestServer, type ApiClient, type TestServer } from '../harness.ts';

/** Every wait is bounded: a lost event fails the test instead of hanging it. */
export const WAIT = { timeout: 10_000, interval: 10 };

export type BusKind = RealtimeBackends['kind'];

export interface RealtimeSetup {
  name: string;
  dialect: Dialect;
  bus: BusKind;
}

/** The Redis server tests may use (scripts/test-services.sh prints it), or undefined. */
export function testRedisUrl(): string | undefined {
  return process.env.PARLEY_TEST_REDIS_URL || undefined;
}

let warnedNoRedis = false;

/**
 * SQLite with the in-process bus always; PostgreSQL with Redis when both are configured (the
 * production shape). In CI both must be: testDialects() and this refuse to skip there.
 */
export function realtimeSetups(): RealtimeSetup[] {
  const setups: RealtimeSetup[] = [{ name: 'SQLite, in-process bus', dialect: 'sqlite', bus: 'local' }];
  const withPostgres = testDialects().includes('postgresql');
  const redis = testRedisUrl();
  if (!redis) {
    if (process.env.CI) throw new Error('CI must run the Redis tests: PARLEY_TEST_REDIS_URL is not set');
    if (!warnedNoRedis) {
      warnedNoRedis = true;
      console.warn('Redis realtime tests NOT RUN: set PARLEY_TEST_REDIS_URL (eval "$(scripts/test-services.sh)")');
    }
  }
  if (withPostgres) {
    setups.push(redis ? { name: 'PostgreSQL, Redis', dialect: 'postgresql', bus: 'redis' } : { name: 'PostgreSQL, in-process bus', dialect: 'postgresql', bus: 'local' });
  } else if (redis) {
    setups.push({ name: 'SQLite, Redis', dialect: 'sqlite', bus: 'redis' });
  }
  return setups;
}

/** True when the several-instances setup (PostgreSQL and Redis) is available. */
export function scaleOutAvailable(): boolean {
  return testDialects().includes('postgresql') && testRedisUrl() !== undefined;
}

/** Keys and channels of one test deployment: instances sharing it hear each other, nobody else does. */
export const newNamespace = () => `parley-test:${randomBytes(6).toString('hex')}:`;

const quietLogger: RealtimeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export async function createBackends(bus: BusKind, namespace: string): Promise<RealtimeBackends> {
  return createRealtimeBackends({
    redisUrl: bus === 'redis' ? testRedisUrl() : undefined,
    logger: quietLogger,
    redisPrefix: namespace,
  });
}

/** Limits high enough for bursts of test traffic; the limits themselves have their own tests. */
export const GENEROUS_LIMITS: StartOptions['rateLimits'] = {
  messageSend: { limit: 100_000, windowMs: 10_000 },
  setTyping: { limit: 100_000, windowMs: 2_000 },
  // Presence tests poll users.search for the online dot.
  userSearch: { limit: 100_000, windowMs: 10_000 },
  conversationCreate: { limit: 10_000, windowMs: 60_000 },
  register: { limit: 10_000, windowMs: 60_000 },
};

export interface Instance extends TestServer {
  realtime: RealtimeBackends;
}

export interface InstanceOptions {
  /** Share a database with another instance (it drops it, not this one). */
  database?: ScratchDatabase;
  /** Share Redis keys and channels with other instances of one deployment. */
  namespace?: string;
  start?: StartOptions;
}

/** A server with its own realtime backends (closed with it), on a new or a shared database. */
export async function startInstance(setup: RealtimeSetup, opts: InstanceOptions = {}): Promise<Instance> {
  const realtime = await createBackends(setup.bus, opts.namespace ?? newNamespace());
  let t: TestServer;
  try {
    t = await startTestServer(setup.dialect, {
      database: opts.database,
      start: { rateLimits: GENEROUS_LIMITS, ...opts.start, realtime },
    });
  } catch (error) {
    await realtime.close();
    throw error;
  }
  return Object.assign(t, { realtime });
}

export interface SignedUp {
  id: number;
  token: string;
}

/**
 * One server for every test of a describe block, with these users signed up: password
 * hashing is deliberately slow, so users are made once. Tests make their own conversations.
 */
export function sharedInstance<Name extends string>(setup: RealtimeSetup, names: readonly Name[], opts: InstanceOptions = {}) {
  let instance: Instance | undefined;
  const users = {} as Record<Name, SignedUp>;
  beforeAll(async () => {
    instance = await startInstance(setup, opts);
    const started = instance;
    const signedUp = await Promise.all(names.map((name) => started.signUp(name)));
    names.forEach((name, i) => {
      const user = signedUp[i];
      if (user) users[name] = user;
    });
  });
  afterAll(async () => {
    await instance?.[Symbol.asyncDispose]();
  });
  return {
    get t(): Instance {
      if (!instance) throw new Error('the shared server is not running (beforeAll failed?)');
      return instance;
    },
    users,
  };
}

/** Several instances of one deployment: one database, one Redis namespace. */
export async function startDeployment(setup: RealtimeSetup, count: number, start: StartOptions = {}) {
  const database = await createScratchDatabase(setup.dialect);
  const namespace = newNamespace();
  const instances: Instance[] = [];
  try {
    for (let i = 0; i < count; i++) instances.push(await startInstance(setup, { database, namespace, start }));
  } catch (error) {
    for (const instance of instances) await instance[Symbol.asyncDispose]();
    await database.drop();
    throw error;
  }
  return {
    instances,
    database,
    async [Symbol.asyncDispose]() {
      for (const instance of instances) await instance[Symbol.asyncDispose]();
      await database.drop();
    },
  };
}

export type ClientError = TRPCClientError<AppRouter>;

/** What one subscription received, for assertions; unsubscribes when disposed. */
export class Recorder<T> implements Disposable {
  readonly items: T[] = [];
  readonly errors: ClientError[] = [];
  /** Each (re)subscription the server confirmed: more than one means the client resumed. */
  started = 0;
  /** The stream ended for good (the server ended it, or it failed, or we unsubscribed). */
  completed = false;
  #unsubscribe: () => void = () => undefined;

  attach(subscription: { unsubscribe(): void }): this {
    this.#unsubscribe = () => subscription.unsubscribe();
    return this;
  }

  unsubscribe(): void {
    this.#unsubscribe();
  }

  [Symbol.dispose](): void {
    this.unsubscribe();
  }

  /** The code of the last error, e.g. NOT_FOUND. */
  get errorCode(): string | undefined {
    return this.errors.at(-1)?.data?.code;
  }
}

export interface TrackedEvent {
  /** The tracked id tRPC hands back on reconnect. */
  id: string;
  event: ConversationEventView;
}

/** conversations.onEvent of one conversation, after `lastEventId` when given. */
export function watchConversation(api: ApiClient, conversationId: number, lastEventId?: string): Recorder<TrackedEvent> {
  const recorder = new Recorder<TrackedEvent>();
  return recorder.attach(
    api.conversations.onEvent.subscribe(
      { conversationId, lastEventId },
      {
        onStarted: () => (recorder.started += 1),
        onData: ({ id, data }) => recorder.items.push({ id, event: data }),
        onError: (error) => recorder.errors.push(error),
        onComplete: () => (recorder.completed = true),
      },
    ),
  );
}

export function watchInbox(api: ApiClient): Recorder<InboxEvent> {
  const recorder = new Recorder<InboxEvent>();
  return recorder.attach(
    api.inbox.onEvent.subscribe(undefined, {
      onStarted: () => (recorder.started += 1),
      onData: (event) => recorder.items.push(event),
      onError: (error) => recorder.errors.push(error),
      onComplete: () => (recorder.completed = true),
    }),
  );
}

export function watchTyping(api: ApiClient, conversationId: number): Recorder<number[]> {
  const recorder = new Recorder<number[]>();
  return recorder.attach(
    api.conversations.onTyping.subscribe(
      { conversationId },
      {
        onStarted: () => (recorder.started += 1),
        onData: ({ userIds }) => recorder.items.push(userIds),
        onError: (error) => recorder.errors.push(error),
        onComplete: () => (recorder.completed = true),
      },
    ),
  );
}

/** The seqs of the messages among recorded events. */
export const messageSeqs = (events: TrackedEvent[]) =>
  events.filter(({ event }) => event.type === 'message.created').map(({ event }) => event.seq);

export const seqsOf = (events: TrackedEvent[]) => events.map(({ event }) => event.seq);

/** [from, from+1, …, to]. */
export const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

export const newClientId = () => randomUUID();

/** Sends `count` messages, `parallel` at a time; resolves with them in the order they were stored. */
export async function sendMany(api: ApiClient, conversationId: number, count: number, label: string, parallel = 10) {
  const sent: { seq: number; body: string }[] = [];
  for (let start = 0; start < count; start += parallel) {
    const batch = range(start, Math.min(count, start + parallel) - 1);
    const messages = await Promise.all(
      batch.map((n) => api.messages.send.mutate({ conversationId, body: `${label} ${n}`, clientId: newClientId() })),
    );
    sent.push(...messages);
  }
  return sent.sort((a, b) => a.seq - b.seq);
}

/**
 * A TCP proxy in front of a server: what a load balancer and a flaky network do to a
 * client. It can drop every connection (the client sees its socket die, no close frame),
 * refuse new ones for a while, and send new connections to another instance, or spread
 * them over several (round robin).
 */
export class TcpProxy implements AsyncDisposable {
  readonly #server: Server;
  readonly #connections = new Set<Socket>();
  #targetPorts: readonly number[];
  #next = 0;
  readonly port: number;

  private constructor(server: Server, port: number, targetPorts: readonly number[]) {
    this.#server = server;
    this.port = port;
    this.#targetPorts = targetPorts;
  }

  static async start(targetPort: number | readonly number[]): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    const proxy = new TcpProxy(server, address.port, typeof targetPort === 'number' ? [targetPort] : targetPort);
    server.on('connection', (client) => proxy.#accept(client));
    return proxy;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/trpc`;
  }

  /** New connections go to `port` (or take turns among ports); null refuses them (closed at once) until set again. */
  route(port: number | readonly number[] | null): void {
    this.#targetPorts = port === null ? [] : typeof port === 'number' ? [port] : port;
  }

  /** Kills every open connection, both sides, without a WebSocket close handshake. */
  dropAll(): void {
    for (const socket of this.#connections) socket.destroy();
  }

  #accept(client: Socket): void {
    client.on('error', () => undefined);
    const targetPort = this.#targetPorts[this.#next++ % Math.max(1, this.#targetPorts.length)];
    if (targetPort === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    upstream.on('error', () => undefined);
    for (const socket of [client, upstream]) {
      this.#connections.add(socket);
      socket.once('close', () => {
        this.#connections.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#targetPorts = [];
    this.dropAll();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** A bare WebSocket that signs in and speaks tRPC's wire format: for what the tRPC client hides. */
export interface RawClient {
  ws: WebSocket;
  /** Parsed messages received so far (keep-alive pings answered, not kept). */
  messages: Record<string, unknown>[];
  closed: Promise<number>;
  send(message: object): void;
}

export async function openRawClient(wsUrl: string, token: string): Promise<RawClient> {
  const ws = new WebSocket(`${wsUrl}?connectionParams=1`);
  const messages: Record<string, unknown>[] = [];
  ws.on('message', (data) => {
    const text = textOf(data);
    if (text === 'PING') ws.send('PONG');
    else if (text !== 'PONG') messages.push(JSON.parse(text) as Record<string, unknown>);
  });
  ws.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const send = (message: object) => ws.send(JSON.stringify(message));
  send({ method: 'connectionParams', data: { token } });
  return { ws, messages, closed, send };
}

function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data).toString('utf8');
}
