import { behaviorSubject } from '@trpc/server/observable';
import type { TRPCWebSocketClient } from '@trpc/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CLOSE_WAIT_MS,
  followConnection,
  promptlyClosing,
  nextConnectionStatus,
  RECONNECT_BASE_MS,
  RECONNECT_MAX_MS,
  OFFLINE_RETRY_MS,
  reconnectDelayMs,
  socketRetryDelayMs,
  webSocketUrl,
  type ConnectionStatus,
  type SocketState,
} from './connection.ts';

type ConnectionState = ReturnType<TRPCWebSocketClient['connectionState']['get']>;

/** The tRPC WsClient's own state subject, driven by hand: what the socket would report. */
function socketStates() {
  const states = behaviorSubject<ConnectionState>({ type: 'state', state: 'idle', error: null });
  return { states, report: (state: SocketState) => states.next({ type: 'state', state, error: null }) };
}

/** A socket's states followed as the app does, and every status its listeners heard. */
function followedSocket() {
  const { states, report } = socketStates();
  const connection = followConnection(states);
  const heard: ConnectionStatus[] = [];
  connection.subscribe(() => heard.push(connection.getStatus()));
  return { connection, report, heard };
}

describe('socketRetryDelayMs', () => {
  it('backs off while online, and tries every second while the browser knows it is offline', () => {
    const highest = () => 1 - Number.EPSILON;
    expect(socketRetryDelayMs(10, true, highest)).toBe(RECONNECT_MAX_MS - 1);
    expect(socketRetryDelayMs(10, false, highest)).toBe(OFFLINE_RETRY_MS);
    expect(OFFLINE_RETRY_MS).toBeLessThanOrEqual(1_000);
  });
});

describe('reconnectDelayMs', () => {
  it('never waits longer than base · 2^attempt, and never longer than the cap', () => {
    const highest = () => 1 - Number.EPSILON;
    expect(reconnectDelayMs(0, highest)).toBe(RECONNECT_BASE_MS - 1);
    expect(reconnectDelayMs(1, highest)).toBe(2 * RECONNECT_BASE_MS - 1);
    expect(reconnectDelayMs(3, highest)).toBe(8 * RECONNECT_BASE_MS - 1);
    for (const attempt of [6, 7, 20, 1_000, Infinity]) expect(reconnectDelayMs(attempt, highest)).toBe(RECONNECT_MAX_MS - 1);
    // However long the outage, the tab is back within 10 s of the server.
    expect(reconnectDelayMs(1_000, highest)).toBeLessThan(10_000);
  });

  it('draws the whole range from zero (full jitter), so tabs dropped together do not return together', () => {
    expect(reconnectDelayMs(4, () => 0)).toBe(0);
    expect(reconnectDelayMs(4, () => 0.5)).toBe(4_000);
    // A source that returns out-of-range values still yields a delay within the bounds.
    expect(reconnectDelayMs(4, () => 1)).toBeLessThan(8_000);
    expect(reconnectDelayMs(4, () => -1)).toBe(0);

    const delays = Array.from({ length: 2_000 }, () => reconnectDelayMs(2));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(4 * RECONNECT_BASE_MS);
    // Spread over the range, not bunched at one end (each half gets well over a quarter).
    expect(delays.filter((delay) => delay < RECONNECT_BASE_MS * 2).length).toBeGreaterThan(500);
    expect(delays.filter((delay) => delay >= RECONNECT_BASE_MS * 2).length).toBeGreaterThan(500);
    expect(delays.every(Number.isInteger)).toBe(true);
  });

  it('treats a negative or missing attempt number as the first attempt', () => {
    const highest = () => 1 - Number.EPSILON;
    expect(reconnectDelayMs(-3, highest)).toBe(RECONNECT_BASE_MS - 1);
    expect(reconnectDelayMs(Number.NaN, highest)).toBe(RECONNECT_BASE_MS - 1);
  });
});

describe('webSocketUrl', () => {
  it('connects to /trpc on the page’s own host, encrypted when the page is', () => {
    expect(webSocketUrl({ protocol: 'http:', host: '127.0.0.1:5173' })).toBe('ws://127.0.0.1:5173/trpc');
    expect(webSocketUrl({ protocol: 'https:', host: 'chat.example.com' })).toBe('wss://chat.example.com/trpc');
  });
});

describe('connection status', () => {
  it('says "reconnecting" only for a socket that was up and dropped', () => {
    const seen: ConnectionStatus[] = [];
    let status: ConnectionStatus = 'idle';
    for (const state of ['connecting', 'connecting', 'pending', 'connecting', 'connecting', 'pending', 'idle', 'connecting'] as const) {
      status = nextConnectionStatus(status, state);
      seen.push(status);
    }
    // First connect (even with failed tries) is not an outage; a close on purpose (idle) is not either.
    expect(seen).toEqual(['connecting', 'connecting', 'open', 'reconnecting', 'reconnecting', 'open', 'idle', 'connecting']);
  });

  it('follows the WebSocket client’s states and tells listeners only about real changes', () => {
    const { connection, report, heard } = followedSocket();
    report('connecting');
    report('pending');
    report('connecting');
    report('connecting');
    report('pending');
    expect(heard).toEqual(['connecting', 'open', 'reconnecting', 'open']);

    connection.dispose();
    report('connecting');
    expect(connection.getStatus()).toBe('open');
    expect(heard).toHaveLength(4);
  });

  it('keeps quiet about a reconnect it was told of, unless it takes longer than the grace', () => {
    vi.useFakeTimers();
    try {
      const { connection, report, heard } = followedSocket();
      report('connecting');
      report('pending');

      // A renewed token's reconnect, back in time: nothing to say.
      connection.expectReconnect(3_000);
      report('connecting');
      vi.advanceTimersByTime(400);
      report('pending');
      vi.advanceTimersByTime(5_000);
      expect(heard).toEqual(['connecting', 'open']);

      // One that is not back within the grace is said as any other.
      connection.expectReconnect(3_000);
      report('connecting');
      vi.advanceTimersByTime(2_999);
      expect(connection.getStatus()).toBe('open');
      vi.advanceTimersByTime(1);
      expect(connection.getStatus()).toBe('reconnecting');
      report('pending');
      // And a drop after the grace is news at once.
      report('connecting');
      expect(heard).toEqual(['connecting', 'open', 'reconnecting', 'open', 'reconnecting']);
      connection.dispose();
    } finally {
      vi.useRealTimers();
    }
  });
});

/**
 * A socket whose close is reported only when `report()` says so: a browser's WebSocket on a
 * dead network, whose closing handshake never completes.
 */
class StuckSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readyState = StuckSocket.OPEN;
  readonly url: string;
  constructor(url: string | URL) {
    super();
    this.url = String(url);
  }
  close(): void {
    this.readyState = StuckSocket.CLOSING;
  }
  report(): void {
    this.readyState = StuckSocket.CLOSED;
    this.dispatchEvent(new CloseEvent('close', { code: 1000, wasClean: true }));
  }
}

describe('promptlyClosing', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  // The test's stand-in for the browser's class: only what promptlyClosing uses of it.
  const Socket = promptlyClosing(StuckSocket as unknown as typeof WebSocket);

  /** A socket the page has just closed, with the close codes its listeners have heard, and the browser's late report. */
  function closedSocket() {
    vi.useFakeTimers();
    const socket = new Socket('ws://parley.test/trpc');
    const closes: number[] = [];
    socket.addEventListener('close', (event) => closes.push(event.code));
    socket.close();
    return { closes, browserReports: () => (socket as unknown as StuckSocket).report() };
  }

  it('reports a close the page asked for after CLOSE_WAIT_MS when the browser has not, and never twice', () => {
    const { closes, browserReports } = closedSocket();
    vi.advanceTimersByTime(CLOSE_WAIT_MS - 1);
    expect(closes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(closes).toEqual([1006]);
    // The browser's own report, once the network is back, reaches no one.
    browserReports();
    expect(closes).toEqual([1006]);
  });

  it('leaves a close the browser reports in time as it is', () => {
    const { closes, browserReports } = closedSocket();
    browserReports();
    vi.advanceTimersByTime(CLOSE_WAIT_MS * 2);
    expect(closes).toEqual([1000]);
  });
});
