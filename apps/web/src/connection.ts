/**
 * The live connection's rules, free of React: when to retry, where to connect, and what the
 * user should be told about the socket's state.
 */
import type { TRPCWebSocketClient } from '@trpc/client';

/** First retry waits up to this long; each failed attempt doubles the ceiling... */
export const RECONNECT_BASE_MS = 500;
/**
 * ...up to this, so a tab left open through a long outage is back within 10 s of the server
 * (5 s on average; with 30 s users waited 11–16 s, and nothing on screen says why). A try at
 * a server that is down is a refused connection: cheap, even from every tab at once.
 */
export const RECONNECT_MAX_MS = 10_000;

/**
 * How long to wait before reconnect attempt `attempt` (0 for the first): exponential backoff
 * with full jitter, a uniform draw in [0, min(max, base · 2^attempt)). Jitter spreads the
 * reconnects of thousands of tabs after a server restart instead of landing them at once.
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  // tRPC counts attempts from 0; anything below (or NaN) counts as the first.
  const exponent = attempt > 0 ? Math.floor(attempt) : 0;
  const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** exponent);
  // Math.random() is in [0, 1); clamp in case a custom source returns 1.
  return Math.floor(Math.min(Math.max(random(), 0), 1 - Number.EPSILON) * ceiling);
}

/** While the browser knows it is offline, the socket tries again this often (see socketRetryDelayMs). */
export const OFFLINE_RETRY_MS = 1_000;

/**
 * How long the socket waits before reconnect attempt `attempt`: the backoff above, which
 * spares a server that is down or restarting, except while the browser knows it is offline,
 * when a try reaches no server and costs nothing: then every second, so the socket is back
 * within a second of the network (with the backoff alone, up to 10 s after a long outage).
 */
export function socketRetryDelayMs(attempt: number, online: boolean, random: () => number = Math.random): number {
  return online ? reconnectDelayMs(attempt, random) : OFFLINE_RETRY_MS;
}

/** How long a socket the page closes may take to say it closed before it is taken as closed. */
export const CLOSE_WAIT_MS = 1_000;

/**
 * `Base` (the browser's WebSocket), except that a close the page asks for is over within
 * CLOSE_WAIT_MS. On a dead network the closing handshake cannot complete and the browser
 * reports the close only once the network is back (52 s in a test): tRPC's keep-alive closes
 * the socket when a pong is late, then waits for that report before it reconnects, so the app
 * showed a live view that was not, and never said "Reconnecting…". Without the report in time,
 * the socket reports an abnormal closure itself (1006), and the browser's own, if it comes
 * later, reaches no one.
 */
export function promptlyClosing(Base: typeof WebSocket): typeof WebSocket {
  return class PromptlyClosingWebSocket extends Base {
    #reportedClosed = false;

    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      // Registered before anyone else's listener, so it can stop a late report from reaching them.
      this.addEventListener('close', (event) => {
        if (this.#reportedClosed) event.stopImmediatePropagation();
      });
    }

    override close(code?: number, reason?: string): void {
      super.close(code, reason);
      setTimeout(() => {
        if (this.readyState === Base.CLOSED || this.#reportedClosed) return;
        this.dispatchEvent(new CloseEvent('close', { code: 1006, reason: 'The connection did not close in time', wasClean: false }));
        this.#reportedClosed = true;
      }, CLOSE_WAIT_MS);
    }
  };
}

/** The WebSocket endpoint on the page's own origin: the server (or Vite's proxy) serves it at /trpc. */
export function webSocketUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/trpc`;
}

/**
 * - `idle`: no socket wanted (nothing subscribed yet, or closed on purpose)
 * - `connecting`: the first connection is being made (the page is still loading: say nothing)
 * - `open`: connected
 * - `reconnecting`: the socket was up and dropped; the client is trying to get it back
 */
export type ConnectionStatus = 'idle' | 'connecting' | 'open' | 'reconnecting';

/** The tRPC client's own connection states: `pending` means connected. */
export type SocketState = ReturnType<TRPCWebSocketClient['connectionState']['get']>['state'];

/** What the user should see after the socket reports `state`, given what they saw before. */
export function nextConnectionStatus(previous: ConnectionStatus, state: SocketState): ConnectionStatus {
  switch (state) {
    case 'pending':
      return 'open';
    case 'idle':
      return 'idle';
    case 'connecting':
      return previous === 'open' || previous === 'reconnecting' ? 'reconnecting' : 'connecting';
  }
}

/** An external store (for useSyncExternalStore) of one socket's ConnectionStatus. */
export interface ConnectionStatusStore {
  getStatus: () => ConnectionStatus;
  subscribe: (listener: () => void) => () => void;
  /**
   * The socket is about to reconnect on purpose (with a renewed token): keep saying `open`
   * unless it is not back within `graceMs`, so a reconnect nobody needs to hear of is not
   * announced ("Reconnecting…", to screen readers too) every time.
   */
  expectReconnect: (graceMs?: number) => void;
  /** Stops following the socket. */
  dispose: () => void;
}

/** How long a reconnect asked for may take before the user is told (one usually takes well under a second). */
export const PLANNED_RECONNECT_GRACE_MS = 3_000;

/**
 * Follows a socket's connection states from its creation on, so "was it ever up?" is known
 * even before any component looks. Takes the WsClient's `connectionState` subject.
 */
export function followConnection(states: TRPCWebSocketClient['connectionState']): ConnectionStatusStore {
  let socketState = states.get().state;
  let status: ConnectionStatus = nextConnectionStatus('idle', socketState);
  let quietUntil = 0;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const listeners = new Set<() => void>();
  const show = (next: ConnectionStatus) => {
    if (next === status) return;
    status = next;
    for (const listener of listeners) listener();
  };
  const subscription = states.subscribe({
    next: ({ state }) => {
      socketState = state;
      const next = nextConnectionStatus(status, state);
      if (next === 'reconnecting' && status === 'open' && Date.now() < quietUntil) return;
      show(next);
    },
  });
  return {
    getStatus: () => status,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    expectReconnect: (graceMs = PLANNED_RECONNECT_GRACE_MS) => {
      quietUntil = Date.now() + graceMs;
      clearTimeout(graceTimer);
      graceTimer = setTimeout(() => {
        quietUntil = 0;
        if (socketState === 'connecting') show(nextConnectionStatus(status, socketState));
      }, graceMs);
    },
    dispose: () => {
      clearTimeout(graceTimer);
      subscription.unsubscribe();
      listeners.clear();
    },
  };
}
