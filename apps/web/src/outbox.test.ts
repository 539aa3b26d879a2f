import { TRPCClientError } from '@trpc/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clearOutboxes, Outbox, RESEND_BACKOFF_FIRST_MS, RESEND_BACKOFF_MAX_MS, type SendMessage } from './outbox.ts';
import { message } from './test-fixtures.ts';
import type { Message } from './trpc.ts';
import type { AppRouter } from '@parley/api';

const ME = 1;
const DM = 7;

/** A server that stores what it is sent, in arrival order, unless `refuse` says otherwise for that call. */
function fakeServer(refuse: (call: number, body: string) => TRPCClientError<AppRouter> | null = () => null) {
  const stored: Message[] = [];
  const calls: string[] = [];
  const sendMessage: SendMessage = async ({ conversationId, body, clientId }) => {
    calls.push(body);
    await Promise.resolve();
    const refusal = refuse(calls.length, body);
    if (refusal) throw refusal;
    const known = stored.find((item) => item.clientId === clientId);
    if (known) return known;
    const stored1 = { ...message(ME, body), id: stored.length + 1, seq: stored.length + 1, conversationId, clientId };
    stored.push(stored1);
    return stored1;
  };
  return { stored, calls, sendMessage, bodies: () => stored.map((item) => item.body) };
}

/** A refusal as the tRPC client rejects with it. */
const refusal = (code: 'TOO_MANY_REQUESTS' | 'BAD_REQUEST', retryAfterMs: number | null) =>
  TRPCClientError.from<AppRouter>({ error: { code: -32600, message: 'refused', data: { code, httpStatus: 400, path: 'messages.send', zodError: null, retryAfterMs } } });
const tooFast = (retryAfterMs: number) => refusal('TOO_MANY_REQUESTS', retryAfterMs);
const noAnswer = () => TRPCClientError.from<AppRouter>(new TypeError('Failed to fetch'));
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('Outbox', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends one at a time, in the order written, and forgets each once stored', async () => {
    const server = fakeServer();
    const outbox = new Outbox(server.sendMessage, null, ME);
    const sent: string[] = [];
    outbox.onSent((stored) => sent.push(stored.body));
    for (const body of ['one', 'two', 'three']) outbox.send(DM, body);
    expect(outbox.pendingIn(DM).map((send) => [send.body, send.status])).toEqual([
      ['one', 'pending'],
      ['two', 'pending'],
      ['three', 'pending'],
    ]);
    await settle();
    expect(server.bodies()).toEqual(['one', 'two', 'three']);
    expect(sent).toEqual(['one', 'two', 'three']);
    expect(outbox.pendingIn(DM)).toEqual([]);
  });

  it('holds every later send behind one the rate limit refused, and sends them all in order after the longest wait', async () => {
    // m3's first call is refused for 9 s. (Had m4 and m5 been tried, the limit would have named
    // shorter and shorter waits, and timers of their own would have sent them before m3.)
    let refused = false;
    const server = fakeServer((_call, body) => {
      if (body !== 'm3' || refused) return null;
      refused = true;
      return tooFast(9_000);
    });
    const outbox = new Outbox(server.sendMessage, null, ME);
    for (const body of ['m1', 'm2', 'm3', 'm4', 'm5']) outbox.send(DM, body);
    await settle();
    expect(server.bodies()).toEqual(['m1', 'm2']);
    // m4 and m5 were not even tried: they wait with m3.
    expect(server.calls).toEqual(['m1', 'm2', 'm3']);
    expect(outbox.pendingIn(DM).map((send) => [send.body, send.status, send.resend])).toEqual([
      ['m3', 'failed', 'after-wait'],
      ['m4', 'failed', 'after-earlier'],
      ['m5', 'failed', 'after-earlier'],
    ]);
    // Written during the wait: behind them too.
    outbox.send(DM, 'm6');
    await settle();
    expect(server.calls).toHaveLength(3);

    await vi.advanceTimersByTimeAsync(9_000);
    expect(server.bodies()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    expect(outbox.pendingIn(DM)).toEqual([]);
  });

  it('sends again once online what got no answer, in order, and lets a refused one not hold the others', async () => {
    let online = false;
    const server = fakeServer((_call, body) =>
      body === 'refused' ? refusal('BAD_REQUEST', null) : online ? null : noAnswer(),
    );
    const outbox = new Outbox(server.sendMessage, null, ME);
    outbox.send(DM, 'refused');
    await settle();
    expect(outbox.pendingIn(DM)[0]).toMatchObject({ status: 'failed', resend: null });
    outbox.send(DM, 'offline 1');
    outbox.send(DM, 'offline 2');
    await settle();
    expect(outbox.pendingIn(DM).map((send) => send.resend)).toEqual([null, 'when-online', 'after-earlier']);

    online = true;
    outbox.resendWaiting('when-online');
    await settle();
    expect(server.bodies()).toEqual(['offline 1', 'offline 2']);
    // The refusal waits for the user: Retry or Discard.
    expect(outbox.pendingIn(DM).map((send) => send.body)).toEqual(['refused']);
    outbox.discard(outbox.pendingIn(DM)[0]?.clientId ?? '');
    expect(outbox.pendingIn(DM)).toEqual([]);
  });

  it('keeps what is unsent over a reload of the tab and sends it then, with the same clientIds; sign-out forgets it', async () => {
    const storage = window.sessionStorage;
    storage.clear();
    const offline = fakeServer(() => noAnswer());
    const before = new Outbox(offline.sendMessage, storage, ME);
    before.start();
    before.send(DM, 'written offline');
    before.send(DM + 1, 'elsewhere');
    await settle();
    const clientIds = [...before.pendingIn(DM), ...before.pendingIn(DM + 1)].map((send) => send.clientId);

    const server = fakeServer();
    const after = new Outbox(server.sendMessage, storage, ME);
    after.start();
    await settle();
    expect(server.stored.map((item) => [item.body, item.clientId])).toEqual([
      ['written offline', clientIds[0]],
      ['elsewhere', clientIds[1]],
    ]);
    // Another user of the same tab never sends them.
    const other = fakeServer();
    before.send(DM, 'still unsent');
    await settle();
    const someoneElse = new Outbox(other.sendMessage, storage, ME + 1);
    someoneElse.start();
    await settle();
    expect(other.calls).toEqual([]);

    clearOutboxes(storage);
    const afterSignOut = fakeServer();
    const next = new Outbox(afterSignOut.sendMessage, storage, ME);
    next.start();
    await settle();
    expect(afterSignOut.calls).toEqual([]);
  });

  it('sends a message waiting behind a failed one as soon as that one is stored by Retry', async () => {
    let reachable = false;
    const server = fakeServer(() => (reachable ? null : noAnswer()));
    const outbox = new Outbox(server.sendMessage, null, ME);
    outbox.send(DM, 'blocked C');
    outbox.send(DM, 'blocked D');
    await settle();
    expect(server.calls).toEqual(['blocked C']);
    expect(outbox.pendingIn(DM).map((send) => [send.body, send.status, send.error, send.resend])).toEqual([
      ['blocked C', 'failed', 'Parley cannot be reached.', 'when-online'],
      ['blocked D', 'failed', 'Waiting for the message before it.', 'after-earlier'],
    ]);

    reachable = true;
    const [blockedC] = outbox.pendingIn(DM);
    outbox.retry(blockedC?.clientId ?? '');
    // While C is on its way again, D still says what it waits for.
    expect(outbox.pendingIn(DM).map((send) => [send.body, send.status, send.error])).toEqual([
      ['blocked C', 'pending', null],
      ['blocked D', 'failed', 'Waiting for the message before it.'],
    ]);
    await settle();
    expect(server.bodies()).toEqual(['blocked C', 'blocked D']);
    expect(server.stored[0]?.clientId).toBe(blockedC?.clientId);
    expect(outbox.pendingIn(DM)).toEqual([]);
  });

  it('lets the waiting ones go when the failed one before them is discarded or confirmed, and Retry on a waiting one sends both in order', async () => {
    let reachable = false;
    const server = fakeServer(() => (reachable ? null : noAnswer()));
    const outbox = new Outbox(server.sendMessage, null, ME);
    const bodiesOf = () => outbox.pendingIn(DM).map((send) => send.body);
    const clientIdOf = (body: string) => outbox.pendingIn(DM).find((send) => send.body === body)?.clientId ?? '';
    for (const body of ['discarded', 'confirmed', 'retried', 'last']) outbox.send(DM, body);
    await settle();
    expect(server.calls).toEqual(['discarded']);

    outbox.discard(clientIdOf('discarded'));
    await settle();
    expect(server.calls).toEqual(['discarded', 'confirmed']);
    // Its answer was lost, but the live stream brings the server's copy.
    outbox.confirm([{ ...message(ME, 'confirmed'), clientId: clientIdOf('confirmed') }]);
    await settle();
    expect(server.calls).toEqual(['discarded', 'confirmed', 'retried']);
    expect(bodiesOf()).toEqual(['retried', 'last']);

    reachable = true;
    outbox.retry(clientIdOf('last'));
    await settle();
    expect(server.bodies()).toEqual(['retried', 'last']);
    expect(bodiesOf()).toEqual([]);
  });

  it('sends again by itself, after a growing wait, what got no answer while the socket stayed up; the one behind it follows', async () => {
    let reachable = false;
    const server = fakeServer((_call, body) => (reachable || body !== 'C' ? null : noAnswer()));
    const outbox = new Outbox(server.sendMessage, null, ME);
    outbox.send(DM, 'C');
    outbox.send(DM, 'D');
    await settle();
    expect(server.calls).toEqual(['C']);

    await vi.advanceTimersByTimeAsync(RESEND_BACKOFF_FIRST_MS);
    expect(server.calls).toEqual(['C', 'C']);
    // Still no answer: the next try waits twice as long.
    await vi.advanceTimersByTimeAsync(RESEND_BACKOFF_FIRST_MS);
    expect(server.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(RESEND_BACKOFF_FIRST_MS);
    expect(server.calls).toHaveLength(3);
    // However long the outage, never more than the cap between two tries.
    for (let tries = 4; tries <= 10; tries++) {
      await vi.advanceTimersByTimeAsync(RESEND_BACKOFF_MAX_MS);
      expect(server.calls).toHaveLength(tries);
    }
    expect(outbox.pendingIn(DM).map((send) => send.status)).toEqual(['failed', 'failed']);

    reachable = true;
    await vi.advanceTimersByTimeAsync(RESEND_BACKOFF_MAX_MS);
    expect(server.bodies()).toEqual(['C', 'D']);
    expect(outbox.pendingIn(DM)).toEqual([]);
    // Stored: the next failure starts again from the first, short wait.
    reachable = false;
    outbox.send(DM, 'C');
    await settle();
    reachable = true;
    await vi.advanceTimersByTimeAsync(RESEND_BACKOFF_FIRST_MS);
    expect(server.bodies()).toEqual(['C', 'D', 'C']);
  });

  it('while it tries again by itself one that got no answer, keeps saying it was not sent; a Retry by hand starts afresh', async () => {
    // Every call hangs until the test answers it: no answer, or stored.
    const answers: ((outcome: 'lost' | 'stored') => void)[] = [];
    const sendMessage: SendMessage = ({ conversationId, body, clientId }) =>
      new Promise((resolve, reject) => {
        answers.push((outcome) => (outcome === 'lost' ? reject(noAnswer()) : resolve({ ...message(ME, body), conversationId, clientId })));
      });
    const outbox = new Outbox(sendMessage, null, ME);
    const shown = () => outbox.pendingIn(DM).map(({ status, error }) => ({ status, error }));
    outbox.send(DM, 'frozen');
    await settle();
    expect(shown()).toEqual([{ status: 'pending', error: null }]);
    answers[0]?.('lost');
    await settle();
    const [failed] = shown();
    expect(failed?.status).toBe('failed');
    expect(failed?.error).toMatch(/cannot be reached/);

    // Tried again by itself: on its way, and still not sent as far as anyone knows.
    await vi.advanceTimersByTimeAsync(RESEND_BACKOFF_FIRST_MS);
    expect(answers).toHaveLength(2);
    expect(shown()).toEqual([{ status: 'pending', error: failed?.error }]);
    answers[1]?.('lost');
    await settle();
    // Retry by hand: a fresh try, "Sending…".
    const [again] = outbox.pendingIn(DM);
    outbox.retry(again?.clientId ?? '');
    await settle();
    expect(shown()).toEqual([{ status: 'pending', error: null }]);
    answers[2]?.('stored');
    await settle();
    expect(shown()).toEqual([]);
  });

  it('after a reload, sends by itself what fails again, without waiting for the socket', async () => {
    const storage = window.sessionStorage;
    storage.clear();
    const before = new Outbox(fakeServer(() => noAnswer()).sendMessage, storage, ME);
    before.send(DM, 'blocked C');
    before.send(DM, 'blocked D');
    await settle();
    before.dispose();

    let reachable = false;
    const server = fakeServer(() => (reachable ? null : noAnswer()));
    const after = new Outbox(server.sendMessage, storage, ME);
    after.start();
    await settle();
    expect(after.pendingIn(DM).map((send) => [send.status, send.resend])).toEqual([
      ['failed', 'when-online'],
      ['failed', 'after-earlier'],
    ]);
    reachable = true;
    await vi.advanceTimersByTimeAsync(RESEND_BACKOFF_FIRST_MS);
    expect(server.bodies()).toEqual(['blocked C', 'blocked D']);
    storage.clear();
  });

  it('never sends again by itself one the server refused, while the ones that got no answer go', async () => {
    let reachable = false;
    const server = fakeServer((_call, body) => (body === 'refused' ? refusal('BAD_REQUEST', null) : reachable ? null : noAnswer()));
    const outbox = new Outbox(server.sendMessage, null, ME);
    outbox.send(DM, 'refused');
    outbox.send(DM, 'no answer');
    await settle();
    reachable = true;
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(server.calls).toEqual(['refused', 'no answer', 'no answer']);
    expect(server.bodies()).toEqual(['no answer']);
    expect(outbox.pendingIn(DM).map((send) => [send.body, send.status, send.resend])).toEqual([['refused', 'failed', null]]);
  });

  it('stops sending again by itself once disposed (the page goes or its user signs out)', async () => {
    let reachable = false;
    const server = fakeServer(() => (reachable ? null : noAnswer()));
    const outbox = new Outbox(server.sendMessage, null, ME);
    outbox.send(DM, 'unsent');
    await settle();
    outbox.dispose();
    reachable = true;
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(server.calls).toEqual(['unsent']);
  });

  it('confirms a send whose copy came first from the live stream', async () => {
    const server = fakeServer(() => noAnswer());
    const outbox = new Outbox(server.sendMessage, null, ME);
    outbox.send(DM, 'hello');
    await settle();
    const [send] = outbox.pendingIn(DM);
    outbox.confirm([{ ...message(ME, 'hello'), clientId: send?.clientId ?? '' }]);
    expect(outbox.pendingIn(DM)).toEqual([]);
  });
});
