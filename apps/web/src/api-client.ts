/**
 * The tRPC clients: queries and mutations over batched HTTP, subscriptions over one
 * WebSocket per signed-in session.
 *
 * A client belongs to one signed-in user. Signing in or out (here or in another tab) closes
 * the old client's socket and builds a new client, so a new user never rides the previous
 * user's socket: the server decides who a socket belongs to once, from its connectionParams.
 * The same user's renewed token (auth.renew) goes to the client they have: its calls carry
 * it at once, and its socket reconnects with it (resuming every stream where it was; the
 * user is told only if that takes long).
 */
import { createWSClient, httpBatchLink, splitLink, wsLink, type TRPCWebSocketClient } from '@trpc/client';
import { followConnection, promptlyClosing, socketRetryDelayMs, webSocketUrl, type ConnectionStatusStore } from './connection.ts';
import { sameUser, type Session } from './session.ts';
import { trpc } from './trpc.ts';

/** The server's limit of calls per HTTP batch (MAX_BATCH_SIZE in apps/server): more would be refused. */
const HTTP_BATCH_MAX_ITEMS = 100;
/** Ping the server this often when the socket is silent, and drop it if no pong comes back in time: a dead network shows within ~16 s (with promptlyClosing). */
const KEEP_ALIVE = { enabled: true, intervalMs: 10_000, pongTimeoutMs: 5_000 } as const;
/** With nothing subscribed for this long, the socket closes (it reopens on the next subscription). */
const IDLE_CLOSE_MS = 10_000;

export interface ApiClient {
  /** The token its calls carry. */
  readonly token: string | null;
  /** The same user's next token (a renewal): later calls carry it, and the socket reconnects with it. */
  renewToken: (token: string) => void;
  trpc: ReturnType<typeof trpc.createClient>;
  /** The socket's state for the UI; null when signed out (no socket then). */
  connection: ConnectionStatusStore | null;
  /** Closes the socket for good and ends every subscription on it. */
  close: () => void;
}

/**
 * The one call that is not a subscription and goes over the socket: "typing" belongs to a
 * connection, and the server ends it when that socket closes (a closed tab stops "is typing…"
 * at once, not at the server's expiry 6 s later). Sent over HTTP it belongs to no socket.
 */
const SOCKET_BOUND = 'conversations.setTyping';

export function createApiClient(initialToken: string | null): ApiClient {
  let token = initialToken;
  const http = httpBatchLink({
    url: '/trpc',
    maxItems: HTTP_BATCH_MAX_ITEMS,
    headers: () => (token ? { Authorization: `Bearer ${token}` } : {}),
  });
  if (!token) {
    // Signed out: only auth calls, nothing live, no socket.
    return { token, renewToken: () => undefined, trpc: trpc.createClient({ links: [http] }), connection: null, close: () => undefined };
  }

  const socket: TRPCWebSocketClient = createWSClient({
    url: () => webSocketUrl(window.location),
    WebSocket: promptlyClosing(WebSocket),
    connectionParams: () => (token === null ? null : { token }),
    retryDelayMs: (attempt) => socketRetryDelayMs(attempt, navigator.onLine),
    keepAlive: KEEP_ALIVE,
    // Lazy: the socket opens with the first subscription, so building a client (React may
    // build one it then discards) never opens a connection by itself.
    lazy: { enabled: true, closeMs: IDLE_CLOSE_MS },
  });
  const connection = followConnection(socket.connectionState);
  // The browser knows at once when its network goes; the keep-alive would notice ~15 s later,
  // with sends failing and the app saying nothing meanwhile. Closed now, the socket says
  // "Reconnecting…" and tries every second until the network is back (socketRetryDelayMs).
  const dropOnOffline = () => socket.connection?.ws.close();
  window.addEventListener('offline', dropOnOffline);
  const client = trpc.createClient({
    links: [splitLink({ condition: (op) => op.type === 'subscription' || op.path === SOCKET_BOUND, true: wsLink({ client: socket }), false: http })],
  });
  return {
    get token() {
      return token;
    },
    renewToken: (next) => {
      token = next;
      // The socket's user was settled by the old token, which the server stops taking at its
      // expiry; an open socket reconnects now (a socket opening sends the new one anyway).
      const open = socket.connection;
      if (open?.state !== 'open') return;
      connection.expectReconnect();
      open.ws.close();
    },
    trpc: client,
    connection,
    close: () => {
      window.removeEventListener('offline', dropOnOffline);
      connection.dispose();
      void socket.close();
    },
  };
}

/** An external store (for useSyncExternalStore) of the client for the current session. */
export interface ApiClientSource {
  getClient: () => ApiClient;
  subscribe: (listener: () => void) => () => void;
}

/**
 * Keeps one ApiClient per signed-in user. The swap happens in the session's own change
 * notification, before React renders anything for the new session, so nothing can
 * subscribe on the old socket in between.
 */
export function createApiClientSource(session: Session, create: (token: string | null) => ApiClient = createApiClient): ApiClientSource {
  let current = create(session.getState().token);
  const listeners = new Set<() => void>();
  let stopFollowingSession: (() => void) | null = null;

  const followSession = () => {
    const token = session.getState().token;
    if (token === current.token) return;
    if (token && sameUser(current.token, token)) return current.renewToken(token);
    current.close();
    current = create(token);
    for (const listener of listeners) listener();
  };

  return {
    getClient: () => current,
    subscribe: (listener) => {
      // Follow the session only while someone is listening, so a discarded source leaks nothing.
      if (!stopFollowingSession) {
        stopFollowingSession = session.subscribe(followSession);
        followSession();
      }
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          stopFollowingSession?.();
          stopFollowingSession = null;
        }
      };
    },
  };
}
