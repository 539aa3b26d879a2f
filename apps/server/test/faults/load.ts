/**
 * What every fault test does: real server processes on loopback, clients that send until
 * the server acknowledges (always with the same clientId, as the web app retries), and a
 * final check of the database against what was acknowledged and what every client saw.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppRouter, MessageView } from '@parley/api';
import { MessageSchema, openDatabase, type DatabaseTarget } from '@parley/db';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { expect, vi } from 'vitest';
import { connectSocket, PASSWORD, TEST_SECRET, type ApiClient, type SocketClient } from '../harness.ts';
import { listeningUrl, runMain, type Running } from '../process.ts';
import { newClientId, WAIT, watchConversation, type Recorder, type TrackedEvent } from '../realtime/helpers.ts';

/** A port free right now, so a restarted process can come back on the same one. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export const databaseUrl = (target: DatabaseTarget) => (target.dialect === 'sqlite' ? `sqlite:${target.location}` : target.location);

/** src/main.ts as its own process, on a fixed port so it can be restarted where clients expect it. */
export class ServerProcess implements AsyncDisposable {
  readonly port: number;
  readonly env: Record<string, string>;
  readonly #dataDir: string;
  #running: Running | null = null;

  private constructor(port: number, env: Record<string, string>, dataDir: string) {
    this.port = port;
    this.env = env;
    this.#dataDir = dataDir;
  }

  static async start(databaseUrl: string, extraEnv: Record<string, string> = {}): Promise<ServerProcess> {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-fault-'));
    const env = {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      // listeningUrl() reads the "listening" line, logged at info.
      LOG_LEVEL: 'info',
      JWT_SECRET: TEST_SECRET,
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      ...extraEnv,
    };
    const server = new ServerProcess(port, env, dataDir);
    await server.restart();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/trpc`;
  }

  get running(): boolean {
    const child = this.#running?.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Resident memory of the process now, from /proc (Linux). */
  rssBytes(): number {
    const pid = this.#running?.child.pid;
    if (pid === undefined) throw new Error('not running');
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
    if (!line?.[1]) throw new Error('no VmRSS');
    return Number(line[1]) * 1024;
  }

  /** What the process logged (JSON lines), for a failure message. */
  output(): string {
    return `${this.#running?.stdout() ?? ''}\n${this.#running?.stderr() ?? ''}`;
  }

  async restart(): Promise<void> {
    this.#running = runMain(this.env);
    await listeningUrl(this.#running);
  }

  /** SIGKILL: no drain, no cleanup, exactly what a crash or an OOM kill does. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const running = this.#running;
    if (!running) return;
    if (this.running) running.child.kill(signal);
    await running.exited;
  }

  http(token?: string): ApiClient {
    return createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: `${this.url}/trpc`, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })],
    });
  }

  async signUp(username: string): Promise<{ id: number; token: string }> {
    const { token, user } = await this.http().auth.register.mutate({ username, password: PASSWORD });
    return { id: user.id, token };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
    rmSync(this.#dataDir, { recursive: true, force: true });
  }
}

export interface Attempt {
  /** How long the call took to answer, success or failure. */
  ms: number;
  /** The tRPC error code, "NETWORK" for a connection that died, or null when acknowledged. */
  code: string | null;
}

export interface SendOptions {
  /** How long one message may keep failing before the test gives up on it. */
  deadlineMs?: number;
  /** Pause between attempts (a client that hammers a broken server helps nobody). */
  retryDelayMs?: number;
  /** An attempt still unanswered after this long is abandoned and counted as TIMEOUT (a hang). */
  attemptTimeoutMs?: number;
}

/** Senders that retry every unacknowledged message with its clientId until it is stored. */
export class SendLoad {
  readonly conversationId: number;
  readonly acknowledged = new Map<string, MessageView>();
  readonly attempts: Attempt[] = [];
  readonly #opts: Required<SendOptions>;

  constructor(conversationId: number, opts: SendOptions = {}) {
    this.conversationId = conversationId;
    this.#opts = { deadlineMs: 60_000, retryDelayMs: 100, attemptTimeoutMs: 15_000, ...opts };
  }

  async sendUntilAcknowledged(api: ApiClient, body: string): Promise<MessageView> {
    const clientId = newClientId();
    const deadline = Date.now() + this.#opts.deadlineMs;
    for (;;) {
      const started = performance.now();
      try {
        const message = await api.messages.send.mutate(
          { conversationId: this.conversationId, body, clientId },
          { signal: AbortSignal.timeout(this.#opts.attemptTimeoutMs) },
        );
        this.attempts.push({ ms: performance.now() - started, code: null });
        this.acknowledged.set(clientId, message);
        return message;
      } catch (error) {
        const ms = performance.now() - started;
        this.attempts.push({ ms, code: ms >= this.#opts.attemptTimeoutMs ? 'TIMEOUT' : errorCode(error) });
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, this.#opts.retryDelayMs));
      }
    }
  }

  /** Each client sends `perClient` messages one after another; all clients at once. */
  async run(clients: readonly { api: ApiClient }[], perClient: number, label = 'client'): Promise<void> {
    await Promise.all(
      clients.map(async ({ api }, c) => {
        for (let n = 0; n < perClient; n++) await this.sendUntilAcknowledged(api, `${label} ${c} message ${n}`);
      }),
    );
  }

  /** Resolves once `count` sends are acknowledged: the moment a test breaks something mid-load. */
  async acknowledgedAtLeast(count: number, timeout = WAIT.timeout): Promise<void> {
    await vi.waitFor(() => expect(this.acknowledged.size).toBeGreaterThanOrEqual(count), { ...WAIT, timeout });
  }

  /** Failed attempts by error code, for the test's summary line. */
  failuresByCode(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { code } of this.attempts) if (code !== null) counts[code] = (counts[code] ?? 0) + 1;
    return counts;
  }
}

export function errorCode(error: unknown): string {
  if (error instanceof TRPCClientError) {
    const code: unknown = (error.data as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? code : 'NETWORK';
  }
  return 'UNKNOWN';
}

export interface StoredMessage {
  id: number;
  seq: number;
  senderId: number;
  clientId: string;
  body: string;
}

const storedShape = (message: StoredMessage): StoredMessage => ({
  id: message.id,
  seq: message.seq,
  senderId: message.senderId,
  clientId: message.clientId,
  body: message.body,
});

/** The conversation's messages as the database holds them, in seq order (read directly, not through Parley). */
export async function storedMessages(target: DatabaseTarget, conversationId: number): Promise<StoredMessage[]> {
  const db = await openDatabase(target);
  try {
    const rows = await db.em.fork().find(MessageSchema, { conversation: conversationId }, { orderBy: { seq: 'asc' } });
    return rows.map((row) => ({ id: row.id, seq: row.seq, senderId: row.sender.id, clientId: row.clientId, body: row.body }));
  } finally {
    await db.close(true);
  }
}

/**
 * Nothing lost, nothing twice: one stored row per acknowledged send (the row the client was
 * told about), no other row, seqs 1..n without a gap.
 */
export function expectExactlyOnce(stored: readonly StoredMessage[], load: SendLoad): void {
  expect(stored.map((row) => row.seq)).toEqual(Array.from({ length: load.acknowledged.size }, (_, i) => i + 1));
  expect(new Set(stored.map((row) => `${row.senderId}:${row.clientId}`)).size).toBe(stored.length);
  const byClientId = new Map(stored.map((row) => [row.clientId, row]));
  for (const [clientId, message] of load.acknowledged) expect(byClientId.get(clientId)).toEqual(storedShape({ ...message, clientId }));
}

/** Every client's live view is exactly the database, in order, with no gap and no repeat. */
export function expectViewsEqual(streams: readonly Recorder<TrackedEvent>[], stored: readonly StoredMessage[]): void {
  for (const stream of streams) {
    const seen = stream.items.map(({ event }) => event.message && storedShape({ ...event.message }));
    expect(seen).toEqual(stored);
  }
}

/** Median and maximum of some durations, rounded to the millisecond. */
export function summary(values: readonly number[]): { median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0), max: Math.round(sorted.at(-1) ?? 0) };
}

/** Several processes of one deployment: one database, one Redis namespace (started one by one: the first migrates). */
export async function startProcesses(
  count: number,
  databaseUrl: string,
  env: Record<string, string>,
): Promise<{ servers: ServerProcess[] } & AsyncDisposable> {
  const servers: ServerProcess[] = [];
  const dispose = async () => {
    await Promise.all(servers.map((server) => server[Symbol.asyncDispose]()));
  };
  try {
    for (let i = 0; i < count; i++) servers.push(await ServerProcess.start(databaseUrl, env));
  } catch (error) {
    await dispose();
    throw error;
  }
  return { servers, [Symbol.asyncDispose]: dispose };
}

/** A group conversation and the tabs watching it, closed together. */
export interface Crowd extends AsyncDisposable {
  groupId: number;
  clients: SocketClient[];
  streams: Recorder<TrackedEvent>[];
}

/**
 * `users` people signed up on `server`, in one group, each with `tabsPerUser` WebSocket
 * clients on `wsUrl` (a server or a balancer) watching it live from the start.
 */
export async function crowd(server: ServerProcess, opts: { name: string; users: number; tabsPerUser: number; wsUrl?: string }): Promise<Crowd> {
  const users = await Promise.all(Array.from({ length: opts.users }, (_, n) => server.signUp(`${opts.name}${n + 1}`)));
  const [owner, ...others] = users;
  if (!owner) throw new Error('a crowd needs people');
  const group = await server
    .http(owner.token)
    .conversations.create.mutate({ kind: 'group', title: opts.name, participantIds: others.map((user) => user.id) });
  const tokens = users.flatMap((user) => Array.from({ length: opts.tabsPerUser }, () => user.token));
  const clients = tokens.map((token) => connectSocket(opts.wsUrl ?? server.wsUrl, token, { retryDelayMs: 200 }));
  const closeAll = async () => {
    await Promise.all(clients.map((client) => client.close()));
  };
  const streams = clients.map((client) => watchConversation(client.api, group.id, '0'));
  try {
    await vi.waitFor(() => expect(streams.filter((stream) => stream.started > 0)).toHaveLength(clients.length), WAIT);
  } catch (error) {
    await closeAll();
    throw error;
  }
  return { groupId: group.id, clients, streams, [Symbol.asyncDispose]: closeAll };
}
