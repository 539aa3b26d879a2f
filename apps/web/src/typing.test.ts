import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { TRPCClientError, type TRPCLink, type TRPCWebSocketClient } from '@trpc/client';
import { behaviorSubject, observable } from '@trpc/server/observable';
import { act, renderHook } from '@testing-library/react';
import { createElement, type ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { followConnection, type SocketState } from './connection.ts';
import { ConnectionContext } from './hooks.ts';
import { trpc, type AppRouter } from './trpc.ts';
import { typingLabel, useTypingSignal, useTypingUsers } from './typing.ts';

describe('typingLabel', () => {
  it('names one or two typists and counts more', () => {
    expect(typingLabel([])).toBe('');
    expect(typingLabel(['Bob'])).toBe('Bob is typing…');
    expect(typingLabel(['Bob', 'Carol'])).toBe('Bob and Carol are typing…');
    expect(typingLabel(['Bob', 'Carol', 'Dan'])).toBe('3 people are typing…');
  });
});

interface TypingCall {
  at: number;
  typing: boolean;
  refused: boolean;
}

/**
 * conversations.setTyping as the server answers it: a fixed window per conversation for
 * "typing" (packages/api/src/rate-limiter.ts), refusing with retryAfterMs; "stopped" is never limited.
 */
function fakeServer(rule: { limit: number; windowMs: number }) {
  const calls: TypingCall[] = [];
  let window = { count: 0, resetAt: 0 };
  const link: TRPCLink<AppRouter> =
    () =>
    ({ op }) =>
      observable((observer) => {
        const now = Date.now();
        const typing = typeof op.input === 'object' && op.input !== null && 'typing' in op.input && op.input.typing === true;
        if (typing && window.resetAt <= now) window = { count: 0, resetAt: now + rule.windowMs };
        const refused = typing && ++window.count > rule.limit;
        calls.push({ at: now, typing, refused });
        if (refused) {
          const retryAfterMs = window.resetAt - now;
          const data = { code: 'TOO_MANY_REQUESTS', httpStatus: 429, path: 'conversations.setTyping', zodError: null, retryAfterMs } as const;
          observer.error(TRPCClientError.from<AppRouter>({ error: { code: -32029, message: 'Too many requests', data } }));
          return;
        }
        observer.next({ result: { type: 'data', data: { typing } } });
        observer.complete();
      });
  return { calls, link };
}

/** useTypingSignal against `server`, and the keystrokes of a person typing 150 ms apart. */
function renderTypist(server: ReturnType<typeof fakeServer>) {
  const queryClient = new QueryClient();
  const client = trpc.createClient({ links: [server.link] });
  const wrapper = ({ children }: { children: ReactNode }) =>
    createElement(trpc.Provider, { client, queryClient, children: createElement(QueryClientProvider, { client: queryClient }, children) });
  const { result } = renderHook(() => useTypingSignal(7), { wrapper });
  // Lets the mutation reach the link and its error come back (react-query notifies on a timer).
  const settle = () => act(() => new Promise<void>((resolve) => setTimeout(resolve, 5)));
  const keystroke = async () => {
    vi.setSystemTime(Date.now() + 150);
    act(() => result.current(true));
    await settle();
  };
  const send = async () => {
    // Thread and Composer both say "stopped" on a send.
    act(() => result.current(false));
    act(() => result.current(false));
    await settle();
  };
  return { keystroke, send };
}

describe('useTypingSignal', () => {
  const start = new Date(2026, 10, 21, 10, 0).getTime();
  beforeEach(() => {
    // Only the clock: react-query's own timers must run.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(start);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('says "typing" again right after each send, and never more than the server allows', async () => {
    const server = fakeServer({ limit: 5, windowMs: 5_000 });
    const typist = renderTypist(server);
    const startedTyping: boolean[] = [];
    for (const text of ['ok', 'sounds good', 'see you', 'bye', 'yes', 'later']) {
      const before = server.calls.length;
      await typist.keystroke();
      startedTyping.push(server.calls.slice(before).some((call) => call.typing));
      for (let typed = 1; typed < text.length; typed++) await typist.keystroke();
      await typist.send();
    }
    // The first four starts come well within the 3 s refresh; the budget then holds the rest back.
    expect(startedTyping).toEqual([true, true, true, true, false, false]);
    expect(server.calls.filter((call) => call.refused)).toEqual([]);
    expect(server.calls.filter((call) => !call.typing)).toHaveLength(4);
  });

  it('after a refusal, waits the retryAfterMs it carries before trying again', async () => {
    // A stricter server than the app expects (another tab of mine spent it, say).
    const server = fakeServer({ limit: 1, windowMs: 4_000 });
    const typist = renderTypist(server);
    await typist.keystroke();
    await typist.send();
    for (let typed = 0; typed < 30; typed++) await typist.keystroke();
    const typingAt = server.calls.filter((call) => call.typing).map((call) => ({ after: call.at - start, refused: call.refused }));
    expect(typingAt).toEqual([
      { after: 150, refused: false },
      { after: 300, refused: true },
      // Refused at 300 with 3,850 ms to wait: the first keystroke from 4,150 on.
      { after: 4_200, refused: false },
    ]);
  });
});

/**
 * useTypingUsers(7) on a socket driven by hand: `report` its states (connected at first),
 * `say` who the server's onTyping stream names, `end` the stream.
 */
function renderWatcher() {
  const states = behaviorSubject<ReturnType<TRPCWebSocketClient['connectionState']['get']>>({ type: 'state', state: 'pending', error: null });
  const stream = { say: (_userIds: number[]) => {}, end: () => {} };
  const link: TRPCLink<AppRouter> = () => () =>
    observable((observer) => {
      stream.say = (userIds) => observer.next({ result: { type: 'data', data: { userIds } } });
      stream.end = () => observer.complete();
      observer.next({ result: { type: 'started' } });
    });
  const queryClient = new QueryClient();
  const client = trpc.createClient({ links: [link] });
  const wrapper = ({ children }: { children: ReactNode }) =>
    createElement(
      ConnectionContext,
      { value: followConnection(states) },
      createElement(trpc.Provider, { client, queryClient, children: createElement(QueryClientProvider, { client: queryClient }, children) }),
    );
  const { result } = renderHook(() => useTypingUsers(7, true), { wrapper });
  return {
    typing: () => result.current,
    report: (state: SocketState) => act(() => states.next({ type: 'state', state, error: null })),
    say: (userIds: number[]) => act(() => stream.say(userIds)),
    end: () => act(() => stream.end()),
  };
}

describe('useTypingUsers', () => {
  it('shows no one typing while the connection is down, and once it is back only what the server says then', () => {
    const watcher = renderWatcher();
    watcher.say([2]);
    expect(watcher.typing()).toEqual([2]);

    watcher.report('connecting');
    expect(watcher.typing()).toEqual([]);

    // Reconnected: what was said before the drop is not brought back...
    watcher.report('pending');
    expect(watcher.typing()).toEqual([]);
    // ...what the restarted stream says shows.
    watcher.say([2, 3]);
    expect(watcher.typing()).toEqual([2, 3]);
  });

  it('forgets who was typing when the stream ends, since it will not say when they stop', () => {
    const watcher = renderWatcher();
    watcher.say([2]);
    watcher.end();
    expect(watcher.typing()).toEqual([]);
  });
});
