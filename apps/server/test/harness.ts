/**
 * The real server on 127.0.0.1, an ephemeral port and a throw-away database (SQLite or
 * PostgreSQL), driven by real tRPC clients over HTTP and over the WebSocket.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppRouter } from '@parley/api';
import { createScratchDatabase, type DatabaseTarget, type Dialect, type ScratchDatabase } from '@parley/db';
import { createTRPCClient, createWSClient, httpBatchLink, wsLink, type TRPCClient } from '@trpc/client';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { startServer, type RunningServer, type StartOptions } from '../src/server.ts';

export const TEST_SECRET = 'server-test-secret-server-test-secret';
export const PASSWORD = 'correct horse battery';

export type ApiClient = TRPCClient<AppRouter>;

export interface SocketClient extends AsyncDisposable {
  api: ApiClient;
  /** The close code of every close the underlying WebSocket reported. */
  closes: number[];
  close(): Promise<void>;
}

export interface TestServer extends AsyncDisposable {
  server: RunningServer;
  /** The throw-away database the server uses (dropping it early simulates losing the database). */
  database: ScratchDatabase;
  url: string;
  wsUrl: string;
  /** An HTTP client sending `Authorization: Bearer <token>` when a token is given. */
  http(token?: string | null): ApiClient;
  /** A WebSocket client presenting `token` in its connectionParams; closed with the server. */
  socket(token?: string | null): SocketClient;
  signUp(username: string): Promise<{ id: number; token: string }>;
}

/** The configuration a test server runs with, through the same validation as production. */
export function testEnv(target: DatabaseTarget, dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    JWT_SECRET: TEST_SECRET,
    DATA_DIR: dataDir,
    DATABASE_URL: target.dialect === 'sqlite' ? `sqlite:${target.location}` : target.location,
    ...extra,
  };
}

export interface TestServerOptions {
  env?: Record<string, string>;
  start?: StartOptions;
  /**
   * Run on this database instead of a new one: a second instance of one deployment. The
   * database is then not dropped with this server (its creator drops it).
   */
  database?: ScratchDatabase;
}

export async function startTestServer(dialect: Dialect, opts: TestServerOptions = {}): Promise<TestServer> {
  const scratch = opts.database ?? (await createScratchDatabase(dialect));
  const ownsDatabase = opts.database === undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-server-'));
  const config = loadConfig(testEnv(scratch.target, dataDir, opts.env));
  let server: RunningServer;
  try {
    server = await startServer(config, { logger: createLogger('silent'), drainMs: 500, ...opts.start });
  } catch (error) {
    if (ownsDatabase) await scratch.drop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const wsUrl = `${server.url.replace(/^http/, 'ws')}/trpc`;
  const sockets = new Set<SocketClient>();

  const http = (token: string | null = null): ApiClient =>
    createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: `${server.url}/trpc`, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })],
    });

  const socket = (token: string | null = null): SocketClient => {
    const client = connectSocket(wsUrl, token);
    const tracked: SocketClient = {
      ...client,
      close: async () => {
        sockets.delete(tracked);
        await client.close();
      },
      [Symbol.asyncDispose]: () => tracked.close(),
    };
    sockets.add(tracked);
    return tracked;
  };

  return {
    server,
    database: scratch,
    url: server.url,
    wsUrl,
    http,
    socket,
    async signUp(username) {
      const { token, user } = await http().auth.register.mutate({ username, password: PASSWORD });
      return { id: user.id, token };
    },
    async [Symbol.asyncDispose]() {
      await Promise.all([...sockets].map((client) => client.close()));
      await server.close();
      if (ownsDatabase) await scratch.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A tRPC client over one WebSocket to `wsUrl` (a server, or a proxy in front of one),
 * presenting `token` in its connectionParams. Like the web app, it reconnects by itself and
 * resumes tracked subscriptions from their last event id.
 */
export function connectSocket(wsUrl: string, token: string | null = null, opts: { retryDelayMs?: number } = {}): SocketClient {
  const closes: SocketClient['closes'] = [];
  const retryDelayMs = opts.retryDelayMs ?? 50;
  const wsClient = createWSClient({
    url: wsUrl,
    connectionParams: token ? { token } : null,
    onClose: (event) => closes.push(event?.code ?? 0),
    // Short retries: a pending retry timer must not outlive the test by long.
    retryDelayMs: () => retryDelayMs,
  });
  const client: SocketClient = {
    api: createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] }),
    closes,
    close: () => wsClient.close(),
    [Symbol.asyncDispose]: () => client.close(),
  };
  return client;
}

/** A token with the payload changed and the signature kept: what a forger can produce. */
export function forge(token: string, claims: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) throw new Error('not a JWT');
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  return [header, Buffer.from(JSON.stringify({ ...decoded, ...claims })).toString('base64url'), signature].join('.');
}
