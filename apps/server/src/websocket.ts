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
import { CorkedWebSocket, type BufferLike, type SendOptions } from './corked-socket.ts';
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
  /** How long until the next day starts (UTC midnight; tests shorten it): who is connected then is recorded as seen that day. */
  msUntilNextDay: () => number;
}

/** Milliseconds until a second after the next 00:00 UTC (a second, so that a clock adjusted meanwhile still reads the new day). */
export function msUntilNextUtcDay(now = Date.now()): number {
  const day = 86_400_000;
  return day - (now % day) + 1000;
}

/** Users whose last seen time one statement sets. */
const SEEN_BATCH = 1000;

interface SocketContextOptions {
  res: EndpointSocket;
  info: { connectionParams: Record<string, string | undefined> | null };
}

/**
 * A server-side socket that keeps what the endpoint tracks per connection in its own fields,
 * with listeners shared by every socket: an idle connection costs a few hundred bytes less
 * than with a closure (and a timer) per socket, and a server holds tens of thousands.
 */
class EndpointSocket extends CorkedWebSocket {
  /** The client's address, taken from the upgrade request (which is not kept). */
  clientIp = 'unknown';
  /**
   * Set once connectionParams carried a valid token: the socket counts in presence and the
   * per-user cap, and is closed when that token expires (expiresAt, ms).
   */
  authenticated: { userId: number; expiresAt: number; context: Context; counted: Promise<boolean> } | null = null;
  /** When the peer last sent anything (ms); the keep-alive pings only a quiet socket. */
  lastHeardAt = Date.now();
  /** When the keep-alive's PING went out unanswered (ms), or null. */
  pingSentAt: number | null = null;
  /** Unsent bytes past which the peer is taken to have stopped reading, and who is told (one object per endpoint). */
  readingLimit: { maxBufferedBytes: number; exceeded: (bufferedBytes: number) => void } | null = null;

  /**
   * A client that stops reading makes `ws` buffer what we send it. Past `maxBufferedBytes`
   * it is dropped, so it can neither grow server memory without bound nor hold up others;
   * when it reconnects, it resumes from its lastEventId and loses nothing.
   */
  override send(data: BufferLike, cb?: (err?: Error) => void): void;
  override send(data: BufferLike, options: SendOptions, cb?: (err?: Error) => void): void;
  override send(data: BufferLike, optionsOrCb?: SendOptions | ((err?: Error) => void), cb?: (err?: Error) => void): void {
    if (typeof optionsOrCb === 'object') super.send(data, optionsOrCb, cb);
    else super.send(data, optionsOrCb);
    if (this.readingLimit && this.bufferedAmount > this.readingLimit.maxBufferedBytes && this.readyState === WebSocket.OPEN) {
      this.readingLimit.exceeded(this.bufferedAmount);
      this.terminate();
    }
  }
}

/** The peer said something: the keep-alive leaves it alone for another pingMs. */
function heard(this: WebSocket): void {
  if (!(this instanceof EndpointSocket)) return;
  this.lastHeardAt = Date.now();
  this.pingSentAt = null;
}

export function createWebSocketEndpoint(opts: WebSocketOptions) {
  const { config, deps, presence, logger } = opts;
  const wss = new WebSocketServer<typeof EndpointSocket>({ noServer: true, maxPayload: WS_MAX_PAYLOAD_BYTES, WebSocket: EndpointSocket });
  /** Work left by closed sockets (presence, typing): shutdown waits for it before closing the database. */
  const closing = new Set<Promise<void>>();
  /** Each user's open sockets' contexts on this instance: a closing tab does not end the typing of another. */
  const contextsOf = new Map<number, Set<Context>>();
  // A logout on any instance closes the user's sockets here. Logouts are rare: a look through
  // the sockets costs less than an index of them by user, which every socket would pay for.
  const stopSessions = deps.bus.subscribe(sessionsTopic, ({ userId }) => {
    for (const socket of wss.clients) if (socket.authenticated?.userId === userId) socket.close(CLOSE_POLICY_VIOLATION, 'Signed out');
  });

  // Typed here rather than with the adapter's CreateWSSContextFnOptions, whose `ws` import
  // does not resolve from inside @trpc/server and would leave `res` untyped.
  async function createContext({ res: socket, info }: SocketContextOptions): Promise<Context> {
    const token = tokenFrom(undefined, info.connectionParams);
    const context = createContextInner(deps, { token, clientIp: socket.clientIp });
    if (!token) return context;

    let session: { userId: number; expiresAt: number } | null;
    try {
      session = await authenticatedUser(deps, token);
    } catch (cause) {
      logger.warn({ err: cause }, 'could not check a WebSocket token: the database is unreachable');
      socket.close(CLOSE_TRY_AGAIN_LATER, 'The server cannot check your session right now, try again shortly');
      throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'The database is unavailable, try again shortly', cause });
    }
    if (session === null) {
      logger.debug('WebSocket presented an invalid or revoked token: treated as anonymous');
      return context;
    }
    const { userId, expiresAt } = session;
    // The client may have gone while the token was checked.
    if (socket.readyState !== WebSocket.OPEN) return context;
    if (presence.localSocketsOf(userId) >= opts.maxSocketsPerUser) {
      logger.info({ userId, limit: opts.maxSocketsPerUser }, 'WebSocket refused: too many open sockets for this user');
      socket.close(CLOSE_POLICY_VIOLATION, `Too many open connections: at most ${opts.maxSocketsPerUser} per user`);
      throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: `At most ${opts.maxSocketsPerUser} open connections per user` });
    }
    const counted = presence.connected(userId);
    socket.authenticated = { userId, expiresAt, context, counted };
    contextsOf.set(userId, (contextsOf.get(userId) ?? new Set()).add(context));
    socket.on('close', authenticatedSocketClosed);
    void recordSeen([userId]);
    const cameOnline = await counted;
    logger.debug({ userId, cameOnline }, 'authenticated WebSocket opened');
    if (cameOnline) await publishPresence(deps, userId, true);
    return context;
  }

  /**
   * Being connected counts as activity (daily and monthly active users in the admin
   * statistics): recorded when a socket opens, and at the start of each day (UTC) for everyone
   * connected here then, or a tab open across midnight would not count as today's.
   */
  async function recordSeen(userIds: readonly number[]): Promise<void> {
    const now = new Date();
    try {
      for (let from = 0; from < userIds.length; from += SEEN_BATCH) {
        await deps.db.em.fork().nativeUpdate(UserSchema, { id: { $in: userIds.slice(from, from + SEEN_BATCH) } }, { lastSeenAt: now });
      }
    } catch (error) {
      logger.warn({ err: error }, 'could not record when users were last seen');
    }
  }
  let newDay: ReturnType<typeof setTimeout>;
  const awaitNewDay = () => {
    newDay = setTimeout(() => {
      void recordSeen([...contextsOf.keys()]);
      awaitNewDay();
    }, opts.msUntilNextDay());
    newDay.unref();
  };
  awaitNewDay();

  function authenticatedSocketClosed(this: WebSocket): void {
    if (!(this instanceof EndpointSocket) || !this.authenticated) return;
    const { userId, context, counted } = this.authenticated;
    // Uncounted only after it was counted, however quickly the socket closes.
    const recorded = counted
      .then(() => socketClosed(userId, context))
      .catch((error: unknown) => logger.warn({ err: error }, 'could not record a closed WebSocket'))
      .finally(() => closing.delete(recorded));
    closing.add(recorded);
  }

  /**
   * A socket's typing ends with it, unless another of the user's tabs here is typing there
   * too (its next refresh would bring it back after a blink); the user goes offline with
   * their last socket anywhere.
   */
  async function socketClosed(userId: number, context: Context): Promise<void> {
    const others = contextsOf.get(userId);
    others?.delete(context);
    if (others?.size === 0) contextsOf.delete(userId);
    const stillTyping = (conversationId: number) => [...(others ?? [])].some((other) => other.typingIn.has(conversationId));
    const ended = [...context.typingIn].filter((conversationId) => !stillTyping(conversationId));
    await Promise.all(ended.map((conversationId) => publishTyping(deps, userId, conversationId, false)));
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
    // Off: the sweep below does it for every socket, where the adapter's keeps timers per socket.
    keepAlive: { enabled: false },
  });

  const countClosed = () => deps.metrics.socketClosed();
  const socketFailed = (error: Error) => logger.debug({ err: error }, 'WebSocket error');
  const readingLimit = {
    maxBufferedBytes: opts.maxBufferedBytes,
    exceeded: (bufferedBytes: number) => logger.info({ bufferedBytes }, 'WebSocket dropped: the client stopped reading'),
  };
  wss.on('connection', (socket) => {
    deps.metrics.socketOpened();
    socket.readingLimit = readingLimit;
    socket.on('close', countClosed);
    socket.on('error', socketFailed);
    socket.on('message', heard);
  });

  // The server pings a quiet socket (tRPC's text PING; its clients answer PONG) and drops it
  // when no answer comes within pongWaitMs: dead peers (a laptop lid closed, a dropped
  // network) free their presence and their slot. One sweep for all sockets, a fraction of
  // the shorter delay apart, instead of two timers per socket re-armed on every message.
  // The same sweep closes a socket whose token has expired: a call checks its token, but a
  // stream checked it once, when it started, and would go on delivering. The web app has
  // renewed its token long before and reconnects with it; a stale client reconnects without
  // a valid one, and its calls answer UNAUTHORIZED.
  const { pingMs, pongWaitMs } = opts.keepAlive;
  const keepAlive = setInterval(() => {
    const now = Date.now();
    for (const socket of wss.clients) {
      if (socket.readyState !== WebSocket.OPEN) continue;
      if (socket.authenticated && socket.authenticated.expiresAt <= now) {
        socket.close(CLOSE_POLICY_VIOLATION, 'Session expired');
        continue;
      }
      if (socket.pingSentAt === null) {
        if (now - socket.lastHeardAt < pingMs) continue;
        socket.pingSentAt = now;
        socket.send('PING');
      } else if (now - socket.pingSentAt >= pongWaitMs) socket.terminate();
    }
  }, Math.max(10, Math.min(pingMs, pongWaitMs) / 5));
  keepAlive.unref();

  // One function for every socket: a closure made in handleUpgrade would keep its request
  // (headers and all) and its first bytes for as long as the socket lives.
  const upgradeSocketFailed = (error: Error) => logger.debug({ err: error }, 'socket error during the WebSocket upgrade');

  /** The HTTP server's `upgrade` listener. */
  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', upgradeSocketFailed);
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
        wss.handleUpgrade(req, socket, head, (ws) => {
          ws.clientIp = clientIp;
          ws.transport = socket;
          // tRPC's adapter keeps the request it is given for the socket's whole life, and
          // reads only the URL (does the client send connectionParams?): the full request,
          // with its headers and stream state, would cost about 1 KiB per socket.
          wss.emit('connection', ws, { url: req.url, headers: {} });
        });
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
      clearInterval(keepAlive);
      clearTimeout(newDay);
      stopSessions();
      while (closing.size > 0) await Promise.allSettled([...closing]);
    },
  };
}

/** The user a token belongs to and when it expires, or null when it is forged, expired or revoked by a logout. */
async function authenticatedUser(deps: ApiDeps, token: string): Promise<{ userId: number; expiresAt: number } | null> {
  const claims = await verifyToken(deps.tokens, token);
  if (!claims) return null;
  const user = await deps.db.em.fork().findOne(UserSchema, claims.userId);
  return user && user.tokenVersion === claims.tokenVersion ? { userId: user.id, expiresAt: claims.expiresAt } : null;
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
