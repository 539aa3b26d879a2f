/**
 * What keeps a long-running server healthy: subscriptions leave no bus listeners or timers
 * behind, a client that stops reading is cut off without holding up anyone else, and signing
 * out closes every socket of the user.
 */
import { createHook } from 'node:async_hooks';
import { describe, expect, it, vi } from 'vitest';
import { newClientId, openRawClient, realtimeSetups, sendMany, seqsOf, sharedInstance, WAIT, watchConversation, watchInbox, watchTyping } from './helpers.ts';

/** Unsent output past which the server drops a socket: small, so the test stays small. */
const MAX_BUFFERED_BYTES = 256 * 1024;

/**
 * Timers created by code in files whose path contains `fragment` and not yet fired or
 * cleared: a subscription that ends must leave none behind.
 */
function pendingTimersFrom(fragment: string): { count(): number } & Disposable {
  const pending = new Set<number>();
  const hook = createHook({
    init(asyncId, type) {
      if (type === 'Timeout' && new Error().stack?.includes(fragment)) pending.add(asyncId);
    },
    destroy(asyncId) {
      pending.delete(asyncId);
    },
  }).enable();
  return { count: () => pending.size, [Symbol.dispose]: () => void hook.disable() };
}

describe.each(realtimeSetups())('real-time hygiene ($name)', (setup) => {
  // A typing signal outlives every wait here, so a typing timer left behind cannot pass for one that fired.
  const shared = sharedInstance(setup, ['alice', 'bob', 'erin'], { start: { maxBufferedBytes: MAX_BUFFERED_BYTES, typingTtlMs: 60_000 } });
  const { users } = shared;

  it('returns bus listeners and typing timers to their baseline after unsubscribe and after disconnect', async () => {
    const { t } = shared;
    const { alice, bob, erin } = users;
    const bus = t.realtime.bus;
    const group = await t.http(alice.token).conversations.create.mutate({ kind: 'group', title: 'Leaks', participantIds: [bob.id] });
    using typingTimers = pendingTimersFrom('services/live.ts');
    const baseline = bus.listenerCount();
    await using aliceTab = t.socket(alice.token);

    /** Bob listens to everything there is, and Alice starts typing so his typing stream holds a timer. */
    const listenToEverything = async (api: typeof aliceTab.api) => {
      const streams = [watchConversation(api, group.id), watchTyping(api, group.id), watchInbox(api)];
      await vi.waitFor(() => expect(streams.map((stream) => stream.started)).toEqual([1, 1, 1]), WAIT);
      await aliceTab.api.conversations.setTyping.mutate({ id: group.id, typing: true });
      await vi.waitFor(() => expect(streams[1]?.items.at(-1)).toEqual([alice.id]), WAIT);
      expect(bus.listenerCount()).toBeGreaterThanOrEqual(baseline + 3);
      expect(typingTimers.count()).toBeGreaterThanOrEqual(1);
      return streams;
    };

    // Unsubscribing, socket still open.
    await using bobTab = t.socket(bob.token);
    for (const stream of await listenToEverything(bobTab.api)) stream.unsubscribe();
    await vi.waitFor(() => expect([bus.listenerCount(), typingTimers.count()]).toEqual([baseline, 0]), WAIT);

    // Closing the socket without unsubscribing (a closed tab).
    const bobOtherTab = t.socket(bob.token);
    await listenToEverything(bobOtherTab.api);
    await bobOtherTab.close();
    await vi.waitFor(() => expect([bus.listenerCount(), typingTimers.count()]).toEqual([baseline, 0]), WAIT);

    // Refused subscriptions hold nothing either.
    await using outsiderTab = t.socket(erin.token);
    using refused = watchConversation(outsiderTab.api, group.id);
    await vi.waitFor(() => expect(refused.errorCode).toBe('NOT_FOUND'), WAIT);
    expect(bus.listenerCount()).toBe(baseline);
  });

  it('drops a client that stops reading once its unsent output passes the bound; the others get every message', async () => {
    const { t } = shared;
    const { alice, bob } = users;
    const aliceApi = t.http(alice.token);
    const group = await aliceApi.conversations.create.mutate({ kind: 'group', title: 'Firehose', participantIds: [bob.id] });
    // ~4 KiB per event, replayed to many subscriptions of one socket: far more than the bound
    // plus what the kernel's socket buffers absorb.
    const longBody = 'x'.repeat(4_000);
    for (let n = 0; n < 60; n += 10) {
      await Promise.all(
        Array.from({ length: 10 }, () => aliceApi.messages.send.mutate({ conversationId: group.id, body: longBody, clientId: newClientId() })),
      );
    }

    await using aliceTab = t.socket(alice.token);
    using aliceEvents = watchConversation(aliceTab.api, group.id, '0');
    using aliceInbox = watchInbox(aliceTab.api);
    await vi.waitFor(() => expect(aliceEvents.items).toHaveLength(60), WAIT);
    const bobPresence = () => aliceInbox.items.flatMap((event) => (event.type === 'presence' && event.userId === bob.id ? [event.online] : []));

    const stalled = await openRawClient(t.wsUrl, bob.token);
    try {
      stalled.send({ id: 1, method: 'query', params: { path: 'auth.me', input: undefined } });
      await vi.waitFor(() => expect(stalled.messages.some((message) => message.id === 1)).toBe(true), WAIT);
      await vi.waitFor(() => expect(bobPresence()).toEqual([true]), WAIT);
      // Bob's client stops reading, with 40 replays of the whole conversation on their way.
      stalled.ws.pause();
      for (let id = 2; id < 42; id++) {
        stalled.send({ id, method: 'subscription', params: { path: 'conversations.onEvent', input: { conversationId: group.id, lastEventId: '0' } } });
      }
      // Meanwhile the conversation goes on, and Alice's own tab gets all of it.
      await sendMany(aliceApi, group.id, 20, 'meanwhile');
      await vi.waitFor(() => expect(seqsOf(aliceEvents.items)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1)), WAIT);

      // The server cut Bob off: he went offline for Alice.
      await vi.waitFor(() => expect(bobPresence()).toEqual([true, false]), WAIT);
      stalled.ws.resume();
      expect(await stalled.closed).toBe(1006);
      const replayed = stalled.messages.filter((message) => typeof message.id === 'number' && message.id > 1 && 'result' in message);
      expect(replayed.length).toBeLessThan(40 * 60);
      expect(aliceEvents.errors).toEqual([]);
    } finally {
      stalled.ws.terminate();
    }
  });

  it('closes every socket of a user who signs out over HTTP, and their streams end', async () => {
    const { t } = shared;
    const { alice, erin } = users;
    const aliceApi = t.http(alice.token);
    const group = await aliceApi.conversations.create.mutate({ kind: 'group', title: 'Sign-out', participantIds: [erin.id] });
    await using aliceTab = t.socket(alice.token);
    using aliceEvents = watchConversation(aliceTab.api, group.id, '0');
    await using laptop = t.socket(erin.token);
    await using phone = t.socket(erin.token);
    using laptopEvents = watchConversation(laptop.api, group.id, '0');
    using phoneEvents = watchConversation(phone.api, group.id, '0');
    using phoneInbox = watchInbox(phone.api);
    await vi.waitFor(() => expect([aliceEvents, laptopEvents, phoneEvents, phoneInbox].map((stream) => stream.started)).toEqual([1, 1, 1, 1]), WAIT);

    await aliceApi.messages.send.mutate({ conversationId: group.id, body: 'before', clientId: newClientId() });
    await vi.waitFor(() => expect([laptopEvents.items.length, phoneEvents.items.length]).toEqual([1, 1]), WAIT);

    await t.http(erin.token).auth.logout.mutate();
    // Both sockets are closed as signed out; their reconnects come back anonymous, and the
    // streams fail for good instead of resuming.
    await vi.waitFor(() => expect([laptop.closes, phone.closes]).toEqual([[1008], [1008]]), WAIT);
    await vi.waitFor(() => expect([laptopEvents.errorCode, phoneEvents.errorCode, phoneInbox.errorCode]).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED']), WAIT);

    await aliceApi.messages.send.mutate({ conversationId: group.id, body: 'after', clientId: newClientId() });
    await vi.waitFor(() => expect(aliceEvents.items).toHaveLength(2), WAIT);
    expect([laptopEvents.items.length, phoneEvents.items.length]).toEqual([1, 1]);
    expect(JSON.stringify(phoneInbox.items)).not.toContain('after');
    await expect(laptop.api.auth.me.query()).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
  });
});
