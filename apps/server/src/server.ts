/**
 * The Parley process: one HTTP server on one port serving
 *   /trpc     the API over HTTP (batched) and, on upgrade, over the WebSocket
 *   /healthz  liveness + database check, for load balancers
 *   /metrics  Prometheus: live figures and request counters (loopback, or METRICS_TOKEN)
 *   /*        the built web app (apps/web/dist), with index.html for client-side routes
 * and the shutdown that lets clients move elsewhere without losing anything.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  appRouter,
  createContextInner,
  DEFAULT_RATE_LIMITS,
  createRealtimeBackends,
  RateLimiter,
  type RealtimeBackends,
  tokenFrom,
  type ApiDeps,
  type RateLimits,
  type RateRule,
} from '@parley/api';
import { openDatabase, seedDemoData, startCheckpoints, type Checkpoints, type Database } from '@parley/db';
import { TRPCError } from '@trpc/server';
import { nodeHTTPRequestHandler } from '@trpc/server/adapters/node-http';
import type { Config } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetricsExporter, handleMetricsRequest, type HttpRoute } from './metrics.ts';
import { setSecurityHeaders } from './security-headers.ts';
import { createStaticHandler, sendText } from './static-files.ts';
import { CLOSE_GOING_AWAY, createWebSocketEndpoint, msUntilNextUtcDay, WS_PATH } from './websocket.ts';

/** Where `pnpm --filter @parley/web build` puts the web app. */
export const DEFAULT_WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../web/dist');
export const MAX_SOCKETS_PER_USER = 20;
/** Calls per HTTP batch; the web app's httpBatchLink must not set maxItems above this. */
export const MAX_BATCH_SIZE = 100;
export const MAX_BODY_BYTES = 1024 * 1024;
const HEALTH_TIMEOUT_MS = 2_000;

export interface StartOptions {
  /** The built web app to serve; default apps/web/dist. */
  webRoot?: string;
  /** Load the demo users and conversations when the database has no users yet. */
  seedDemo?: boolean;
  /** Default: a pino logger at config.logLevel writing to stdout. */
  logger?: Logger;
  /** Overrides of the API's rate limits (tests). */
  rateLimits?: Partial<RateLimits>;
  maxSocketsPerUser?: number;
  upgradeRateLimit?: RateRule;
  /** How long shutdown waits for clients to leave before closing their connections; default 2 s. */
  drainMs?: number;
  /** Server → client keep-alive on WebSockets; default ping after 30 s of silence, drop 5 s later. */
  keepAlive?: { pingMs: number; pongWaitMs: number };
  /** A client whose unsent output passes this many bytes (it stopped reading) is disconnected; default 4 MiB. */
  maxBufferedBytes?: number;
  /** Bus, presence and rate-limit store; default from config.redisUrl (Redis, or in process). */
  realtime?: RealtimeBackends;
  /** How long "is typing" lasts without a refresh; default 6 s (tests shorten it). */
  typingTtlMs?: number;
  /** How long until the next day, when connected users are recorded as seen; default: until 00:00 UTC (tests shorten it). */
  msUntilNextDay?: () => number;
}




export interface RunningServer extends AsyncDisposable {
  /** http://host:port, with the port actually bound. */
  url: string;
  port: number;
  /** Stops accepting, asks WebSocket clients to reconnect, drains, closes everything. Idempotent. */
  close(): Promise<void>;
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  for (const note of config.notes) logger.info(note);

  const db = await openDatabase(config.database);
  const checkpoints = await startCheckpoints(db);
  try {
    logger.info({ dialect: config.database.dialect }, 'database ready, migrations applied');
    if (opts.seedDemo) logger.info(await seedDemoData(db.em.fork()));
    return await listen(config, opts, logger, db, checkpoints);
  } catch (error) {
    await checkpoints.stop();
    await db.close(true);
    throw error;
  }
}

/** WebSocket upgrades per client address: a refused tab retries every few seconds, not in a tight loop. */
const UPGRADE_RATE_LIMIT: RateRule = { limit: 60, windowMs: 10_000 };

/** The same rules with every limit multiplied by `scale` (RATE_LIMIT_SCALE). */
function scaled<Name extends string>(rules: Readonly<Record<Name, RateRule>>, scale: number): Record<Name, RateRule> {
  const entries = Object.entries<RateRule>(rules).map(([name, rule]) => [name, { ...rule, limit: Math.max(1, Math.round(rule.limit * scale)) }]);
  return Object.fromEntries(entries) as Record<Name, RateRule>;
}

async function listen(config: Config, opts: StartOptions, logger: Logger, db: Database, checkpoints: Checkpoints): Promise<RunningServer> {
  const realtime = opts.realtime ?? (await createRealtimeBackends({ redisUrl: config.redisUrl ?? undefined, redisPrefix: config.redisPrefix, logger }));
  logger.info({ kind: realtime.kind }, realtime.kind === 'redis' ? 'live fan-out, presence and rate limits through Redis' : 'live fan-out, presence and rate limits in this process');
  const { presence, rateLimitStore } = realtime;
  const deps: ApiDeps = {
    db,
    tokens: config.tokens,
    rateLimiter: new RateLimiter(rateLimitStore),
    rateLimits: { ...scaled(DEFAULT_RATE_LIMITS, config.rateLimitScale), ...opts.rateLimits },
    presence,
    bus: realtime.bus,
    logger,
    admins: config.admins,
    typingTtlMs: opts.typingTtlMs,
    metrics: realtime.metrics,
    liveStats: realtime.liveStats,
  };
  const clientIpOf = (req: IncomingMessage) => clientIp(req, config.trustProxy);
  let shuttingDown = false;
  let activeRequests = 0;

  function logTrpcError({ error, path, type }: { error: TRPCError; path: string | undefined; type: string }) {
    // Client mistakes are routine; only a server fault deserves attention. Inputs and causes
    // of refusals are never logged: they may hold what the client typed.
    if (isWebSocketProtocolError(error.cause)) logger.debug({ reason: error.cause.message }, 'WebSocket protocol error from a client');
    else if (error.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: error.cause ?? error, path, type }, 'procedure failed');
    else if (error.code === 'SERVICE_UNAVAILABLE') logger.warn({ err: error.cause ?? error, path, type }, 'database unavailable');
    else logger.debug({ code: error.code, path, type }, 'procedure refused');
  }

  const serveWebApp = createStaticHandler(opts.webRoot ?? DEFAULT_WEB_ROOT, logger);
  const exporter = createMetricsExporter({ metrics: realtime.metrics, presence });

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setSecurityHeaders(res);
    if (shuttingDown) res.setHeader('Connection', 'close');
    const rawUrl = req.url ?? '/';
    if (!rawUrl.startsWith('/')) return sendText(res, 400, 'Bad request\n');
    const pathname = rawUrl.split('?')[0] ?? '/';

    if (pathname === '/trpc' || pathname.startsWith('/trpc/')) {
      res.setHeader('Cache-Control', 'no-store');
      return nodeHTTPRequestHandler({
        req,
        res,
        path: pathname.slice('/trpc/'.length),
        router: appRouter,
        allowBatching: true,
        maxBatchSize: MAX_BATCH_SIZE,
        maxBodySize: MAX_BODY_BYTES,
        createContext: ({ req: request, info }) => {
          // tRPC would serve a subscription over HTTP as an event stream, outside what the
          // WebSocket endpoint enforces: the per-user socket cap, and closing a user's streams
          // when they sign out or their token expires. Streams are the WebSocket's only.
          if (info.type === 'subscription') {
            throw new TRPCError({ code: 'METHOD_NOT_SUPPORTED', message: `Subscriptions are served over the WebSocket at ${WS_PATH}` });
          }
          return createContextInner(deps, { token: tokenFrom(request.headers.authorization, undefined), clientIp: clientIpOf(request) });
        },
        onError: logTrpcError,
      });
    }
    if (pathname === '/healthz') return health(res);
    if (pathname === '/metrics') {
      return handleMetricsRequest(req, res, exporter, { token: config.metricsToken, trustProxy: config.trustProxy });
    }
    return serveWebApp(req, res, pathname);
  }

  async function health(res: ServerResponse): Promise<void> {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    const healthy = await databaseResponds(db);
    if (!healthy) logger.warn('health check: the database does not respond');
    res.statusCode = healthy ? 200 : 503;
    res.end(JSON.stringify(healthy ? { status: 'ok', db: 'ok' } : { status: 'error', db: 'unavailable' }));
  }

  const server: Server = createServer((req, res) => {
    activeRequests += 1;
    const started = performance.now();
    res.once('close', () => {
      activeRequests -= 1;
      exporter.recordHttp(routeOf(req.url), req.method, res.statusCode);
      logger.debug(
        { method: req.method, path: (req.url ?? '').split('?')[0], status: res.statusCode, ms: Math.round(performance.now() - started) },
        'request',
      );
    });
    handleRequest(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'request failed');
      if (!res.headersSent) sendText(res, 500, 'Internal error\n');
      else res.destroy();
    });
  });
  // A slow or stalled client cannot hold a connection open for long.
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;

  const websocket = createWebSocketEndpoint({
    config,
    deps,
    presence,
    logger,
    maxSocketsPerUser: opts.maxSocketsPerUser ?? MAX_SOCKETS_PER_USER,
    upgradeRateLimit: opts.upgradeRateLimit ?? scaled({ upgrade: UPGRADE_RATE_LIMIT }, config.rateLimitScale).upgrade,
    rateLimitStore,
    clientIpOf,
    isShuttingDown: () => shuttingDown,
    onError: logTrpcError,
    keepAlive: opts.keepAlive ?? { pingMs: 15_000, pongWaitMs: 5_000 },
    maxBufferedBytes: opts.maxBufferedBytes ?? 4 * 1024 * 1024,
    msUntilNextDay: opts.msUntilNextDay ?? msUntilNextUtcDay,
  });
  server.on('upgrade', websocket.handleUpgrade);

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(config.port, config.host, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  }).catch((error: unknown) => {
    if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
      throw new Error(`Port ${config.port} on ${config.host} is already in use: stop the other process or set PORT`, { cause: error });
    }
    throw error;
  });
  server.on('error', (error) => logger.error({ err: error }, 'HTTP server error'));

  const { port } = server.address() as AddressInfo;
  const url = `http://${urlHost(config.host)}:${port}`;
  logger.info({ url, host: config.host, port }, 'Parley is listening');

  async function shutdown(): Promise<void> {
    shuttingDown = true;
    logger.info('shutting down: no new connections, asking WebSocket clients to reconnect');
    const serverClosed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
    server.closeIdleConnections();
    websocket.broadcastReconnectNotification();

    const drainMs = opts.drainMs ?? 2_000;
    await until(() => websocket.wss.clients.size === 0 && activeRequests === 0, drainMs);
    for (const socket of websocket.wss.clients) socket.close(CLOSE_GOING_AWAY, 'The server is shutting down');
    await until(() => websocket.wss.clients.size === 0, 1_000);
    for (const socket of websocket.wss.clients) socket.terminate();
    server.closeAllConnections();
    await serverClosed;
    await new Promise<void>((resolveClose) => websocket.wss.close(() => resolveClose()));
    await websocket.stop();
    exporter.close();
    await realtime.close();
    await checkpoints.stop();
    await db.close(true);
    logger.info('shut down cleanly');
  }

  let closing: Promise<void> | null = null;
  const close = () => (closing ??= shutdown());
  return { url, port, close, [Symbol.asyncDispose]: close };
}

/** The class of a request path, for the request counter of /metrics. */
function routeOf(url: string | undefined): HttpRoute {
  const pathname = (url ?? '').split('?')[0] ?? '';
  if (pathname === '/trpc' || pathname.startsWith('/trpc/')) return 'trpc';
  if (pathname === '/healthz') return 'healthz';
  if (pathname === '/metrics') return 'metrics';
  return 'web';
}

/** What `ws` reports about a client breaking the protocol (e.g. a message over maxPayload): the client's fault. */
function isWebSocketProtocolError(cause: unknown): cause is Error {
  return cause instanceof Error && 'code' in cause && typeof cause.code === 'string' && cause.code.startsWith('WS_ERR_');
}

/** One cheap query, bounded in time: a hung connection pool must not hang the check. */
async function databaseResponds(db: Database): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout(false), HEALTH_TIMEOUT_MS);
  });
  try {
    const query = db.em
      .getConnection()
      .execute('select 1 as ok')
      .then(() => true)
      .catch(() => false);
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves when `done()` holds or after `ms`, whichever comes first. */
async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((resolveTick) => setTimeout(resolveTick, 10));
}

/**
 * The client's address for per-IP limits. Behind a reverse proxy (TRUST_PROXY) it is the
 * last X-Forwarded-For entry: the one our proxy added, which the client cannot forge.
 */
function clientIp(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const last = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded)?.split(',').pop()?.trim();
    if (last) return last;
  }
  const address = req.socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
