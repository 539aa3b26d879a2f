/**
 * The tRPC WebSocket endpoint, on the HTTP server's port at /trpc.
 *
 * Who a socket belongs to is decided once, when the client sends its connectionParams
 * ({ token }): a valid token makes an authenticated socket, counted in presence and in
 * the per-user socket cap. Every call still re-verifies the token (packages/api), so a
 * logout reaches open sockets on their next call.
 *
 * A socket whose token is forged, expired or revoked is kept open as an anonymous one, and
 * each protected call on it answers UNAUTHORIZED. The adapter could refuse the socket
 * instead (throwing from createContext), but the tRPC client never sees that error (it
 * arrives without a request id) and reconnects at once, forever: the per-call answer is
 * what lets the web app sign the user out.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  appRouter,
  createContextInner,
  publishPresence,
  publishTyping,
  sessionsTopic,
  tokenFrom,
  verifyToken,
  type ApiDeps,
  type Context,
  type Presence,
  type RateLimitStore,
  type RateRule,
} from '@parley/api';
import { UserSchema } from '@parley/db';
import { TRPCError } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocket, WebSocketServer } from 'ws';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

/** Path of the WebSocket endpoint (the same path as the HTTP API). */
export const WS_PATH = '/trpc';
export const WS_MAX_PAYLOAD_BYTES = 64 * 1024;
/** Close code for policy refusals (RFC 6455 1008), e.g. too many sockets. */
export const CLOSE_POLICY_VIOLATION = 1008;
/** Close code for "try again later" (1013), e.g. the database is unreachable. */
export const CLOSE_TRY_AGAIN_LATER = 1013;
/** Close code when the server goes away (1001). */
export const CLOSE_GOING_AWAY = 1001;

export interface WebSocketOptions {
  config: Config;
  deps: ApiDeps;
  presence: Presence;
  logger: Logger;
  maxSocketsPerUser: number;
  /**
   * Upgrades per client address. A client refused after it connected (socket cap) comes
   * straight back, because the tRPC client only backs off when connecting fails; this
   * makes it fail, so a refused tab retries every few seconds instead of in a tight loop.
   */
  upgradeRateLimit: RateRule;
  rateLimitStore: RateLimitStore;
  clientIpOf: (req: IncomingMessage) => string;
  /** True once shutdown began: new sockets are refused. */
  isShuttingDown: () => boolean;
  /** Called for every tRPC error; the server logs them. */
  onError: (opts: { error: TRPCError; path: string | undefined; type: string }) => void;
  keepAlive: { pingMs: number; pongWaitMs: number };
  /** Unsent bytes after which a client that stopped reading is disconnected. */
  maxBufferedBytes: number;
}

interface SocketContextOptions {
  req: IncomingMessage;
  res: WebSocket;
  info: { connectionParams: Record<string, string | undefined> | null };
}

export function createWebSocketEndpoint(opts: WebSocketOptions) {
  const { config, deps, presence, logger } = opts;
  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD_BYTES });
  /** Work left by closed sockets (presence, typing): shutdown waits for it before closing the database. */
  const closing = new Set<Promise<void>>();
  /** Authenticated sockets by user, so a logout on any instance can close them here. */
  const socketsByUser = new Map<number, Set<WebSocket>>();
  const stopSessions = deps.bus.subscribe(sessionsTopic, ({ userId }) => {
    for (const socket of socketsByUser.get(userId) ?? []) socket.close(CLOSE_POLICY_VIOLATION, 'Signed out');
  });

  // Typed here rather than with the adapter's CreateWSSContextFnOptions, whose `ws` import
  // does not resolve from inside @trpc/server and would leave `res` untyped.
  async function createContext({ req, res: socket, info }: SocketContextOptions): Promise<Context> {
    const token = tokenFrom(undefined, info.connectionParams);
    const context = createContextInner(deps, { token, clientIp: opts.clientIpOf(req) });
    if (!token) return context;

    let userId: number | null;
    try {
      userId = await authenticatedUser(deps, token);
    } catch (cause) {
      logger.warn({ err: cause }, 'could not check a WebSocket token: the database is unreachable');
      socket.close(CLOSE_TRY_AGAIN_LATER, 'The server cannot check your session right now, try again shortly');
      throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'The database is unavailable, try again shortly', cause });
    }
    if (userId === null) {
      logger.debug('WebSocket presented an invalid or revoked token: treated as anonymous');
      return context;
    }
    // The client may have gone while the token was checked.
    if (socket.readyState !== WebSocket.OPEN) return context;
    if (presence.localSocketsOf(userId) >= opts.maxSocketsPerUser) {
      logger.info({ userId, limit: opts.maxSocketsPerUser }, 'WebSocket refused: too many open sockets for this user');
      socket.close(CLOSE_POLICY_VIOLATION, `Too many open connections: at most ${opts.maxSocketsPerUser} per user`);
      throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: `At most ${opts.maxSocketsPerUser} open connections per user` });
    }
    const sockets = socketsByUser.get(userId) ?? new Set();
    socketsByUser.set(userId, sockets.add(socket));
    const counted = presence.connected(userId);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) socketsByUser.delete(userId);
      // Uncounted only after it was counted, however quickly the socket closes.
      const recorded = counted
        .then(() => socketClosed(userId, context))
        .catch((error: unknown) => logger.warn({ err: error }, 'could not record a closed WebSocket'))
        .finally(() => closing.delete(recorded));
      closing.add(recorded);
    });
    // Connecting counts as activity (daily and monthly active users in the admin statistics).
    deps.db.em
      .fork()
      .nativeUpdate(UserSchema, { id: userId }, { lastSeenAt: new Date() })
      .catch((error: unknown) => logger.warn({ err: error }, 'could not record when a user was last seen'));
    const cameOnline = await counted;
    logger.debug({ userId, cameOnline }, 'authenticated WebSocket opened');
    if (cameOnline) await publishPresence(deps, userId, true);
    return context;
  }

  /** A socket's typing ends with it; the user goes offline with their last socket anywhere. */
  async function socketClosed(userId: number, context: Context): Promise<void> {
    await Promise.all([...context.typingIn].map((conversationId) => publishTyping(deps, userId, conversationId, false)));
    context.typingIn.clear();
    const wentOffline = await presence.disconnected(userId);
    logger.debug({ userId, wentOffline }, 'authenticated WebSocket closed');
    if (wentOffline) await publishPresence(deps, userId, false);
  }

  const handler = applyWSSHandler({
    wss,
    router: appRouter,
    createContext,
    onError: opts.onError,
    // The server pings a quiet socket and drops it when no answer comes: dead peers
    // (a laptop lid closed, a dropped network) free their presence and their slot.
    keepAlive: { enabled: true, pingMs: opts.keepAlive.pingMs, pongWaitMs: opts.keepAlive.pongWaitMs },
  });

  wss.on('connection', (socket) => {
    deps.metrics.socketOpened();
    socket.once('close', () => deps.metrics.socketClosed());
    socket.on('error', (error) => logger.debug({ err: error }, 'WebSocket error'));
    disconnectWhenNotReading(socket, opts.maxBufferedBytes, logger);
  });

  /** The HTTP server's `upgrade` listener. */
  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (error) => logger.debug({ err: error }, 'socket error during the WebSocket upgrade'));
    const pathname = (req.url ?? '').split('?')[0];
    if (pathname !== WS_PATH) return refuse(socket, 404, 'Not Found', `WebSocket connections go to ${WS_PATH}\n`);
    if (opts.isShuttingDown()) return refuse(socket, 503, 'Service Unavailable', 'The server is restarting, try again shortly\n');
    if (!originAllowed(config, req)) {
      logger.warn({ origin: req.headers.origin }, 'WebSocket refused: origin not allowed');
      return refuse(socket, 403, 'Forbidden', 'This origin may not open a WebSocket here (see ALLOWED_ORIGINS)\n');
    }
    const clientIp = opts.clientIpOf(req);
    opts.rateLimitStore
      .hit(`ws-upgrade:${clientIp}`, opts.upgradeRateLimit.windowMs)
      .then(({ count, resetAt }) => {
        if (count > opts.upgradeRateLimit.limit) {
          const retryAfter = Math.max(1, Math.ceil((resetAt - Date.now()) / 1000));
          return refuse(socket, 429, 'Too Many Requests', 'Too many connection attempts, try again shortly\n', { 'Retry-After': String(retryAfter) });
        }
        if (socket.destroyed) return;
        wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'WebSocket upgrade failed');
        refuse(socket, 500, 'Internal Server Error', 'Internal error\n');
      });
  }

  return {
    wss,
    handleUpgrade,
    broadcastReconnectNotification: () => handler.broadcastReconnectNotification(),
    /** Stops listening for logouts and waits for the bookkeeping of closed sockets (the server is closing). */
    async stop(): Promise<void> {
      stopSessions();
      while (closing.size > 0) await Promise.allSettled([...closing]);
    },
  };
}

/**
 * A client that stops reading makes `ws` buffer what we send it. Past `maxBufferedBytes`
 * it is dropped, so it can neither grow server memory without bound nor hold up others;
 * when it reconnects, it resumes from its lastEventId and loses nothing.
 */
function disconnectWhenNotReading(socket: WebSocket, maxBufferedBytes: number, logger: Logger): void {
  const send = socket.send.bind(socket);
  socket.send = ((...args: Parameters<WebSocket['send']>) => {
    send(...args);
    if (socket.bufferedAmount > maxBufferedBytes && socket.readyState === WebSocket.OPEN) {
      logger.info({ bufferedBytes: socket.bufferedAmount }, 'WebSocket dropped: the client stopped reading');
      socket.terminate();
    }
  }) as WebSocket['send'];
}

/** The user a token belongs to, or null when it is forged, expired or revoked by a logout. */
async function authenticatedUser(deps: ApiDeps, token: string): Promise<number | null> {
  const claims = await verifyToken(deps.tokens, token);
  if (!claims) return null;
  const user = await deps.db.em.fork().findOne(UserSchema, claims.userId);
  return user && user.tokenVersion === claims.tokenVersion ? user.id : null;
}

const LOCAL_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Browsers always send Origin on a WebSocket handshake, and a page on another site must not
 * open a socket with our user's browser. Allowed: the page's own origin, ALLOWED_ORIGINS,
 * and (ALLOWED_ORIGINS unset, outside production) local development origins. No Origin at
 * all means a non-browser client, which could send any Origin anyway.
 */
export function originAllowed(config: Config, req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (!URL.canParse(origin)) return false;
  const url = new URL(origin);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (config.allowedOrigins.has(url.origin)) return true;
  const forwardedHost = config.trustProxy ? firstHeaderValue(req.headers['x-forwarded-host']) : undefined;
  const host = (forwardedHost ?? req.headers.host)?.toLowerCase();
  if (host !== undefined && url.host === host) return true;
  return config.allowLocalhostOrigins && url.protocol === 'http:' && LOCAL_HOSTNAMES.has(url.hostname);
}

function firstHeaderValue(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first?.split(',')[0]?.trim() || undefined;
}

function refuse(socket: Duplex, status: number, statusText: string, body: string, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const lines = [
    `HTTP/1.1 ${status} ${statusText}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
