/**
 * Ephemeral signals over real sockets: "is typing…" for the others in a conversation, and
 * presence that follows a user's tabs (online from the first socket to the last).
 */
import { describe, expect, it, vi } from 'vitest';
import { newClientId, realtimeSetups, sharedInstance, WAIT, watchInbox, watchTyping } from './helpers.ts';

/** Short enough to keep the test quick, long enough that clearing by other means is clearly earlier. */
const TYPING_TTL_MS = 1_500;

// The setups run side by side; the tests of one setup run in order, on their shared server.
describe.each(realtimeSetups())('typing and presence ($name)', { concurrent: true }, (setup) => {
  const shared = sharedInstance(setup, ['alice', 'bob', 'dave'], { start: { typingTtlMs: TYPING_TTL_MS } });
  const { users } = shared;

  it('shows who is typing to the others; stop, send, disconnect and silence each clear it', { concurrent: false }, async () => {
    const { t } = shared;
    const { alice, bob } = users;
    const group = await t.http(alice.token).conversations.create.mutate({ kind: 'group', title: 'Typing', participantIds: [bob.id] });

    await using bobSocket = t.socket(bob.token);
    using bobSees = watchTyping(bobSocket.api, group.id);
    const aliceTab = t.socket(alice.token);
    using aliceSees = watchTyping(aliceTab.api, group.id);
    // Each stream starts with who is typing now: nobody.
    await vi.waitFor(() => expect([bobSees.items, aliceSees.items]).toEqual([[[]], [[]]]), WAIT);
    const typing = (value: boolean) => aliceTab.api.conversations.setTyping.mutate({ id: group.id, typing: value });
    /** Runs `clear` while Alice is typing and returns how long Bob kept seeing her typing. */
    const timeToClear = async (clear: () => Promise<unknown>) => {
      const seen = bobSees.items.length;
      await typing(true);
      await vi.waitFor(() => expect(bobSees.items.slice(seen)).toEqual([[alice.id]]), WAIT);
      const started = performance.now();
      await clear();
      await vi.waitFor(() => expect(bobSees.items.slice(seen)).toEqual([[alice.id], []]), WAIT);
      return performance.now() - started;
    };

    expect(await timeToClear(() => typing(false))).toBeLessThan(TYPING_TTL_MS);
    expect(
      await timeToClear(() => t.http(alice.token).messages.send.mutate({ conversationId: group.id, body: 'done', clientId: newClientId() })),
    ).toBeLessThan(TYPING_TTL_MS);
    // Silence: no refresh, and the signal expires by itself; a refresh restarts the clock.
    const expiry = await timeToClear(async () => {
      await new Promise((resolve) => setTimeout(resolve, TYPING_TTL_MS / 2));
      await typing(true);
    });
    expect(expiry).toBeGreaterThanOrEqual(TYPING_TTL_MS * 1.5 - 50);
    // The socket that said "typing" goes away (a closed tab), and the signal goes with it.
    expect(await timeToClear(() => aliceTab.close())).toBeLessThan(TYPING_TTL_MS);

    // Alice never saw herself typing.
    expect(aliceSees.items).toEqual([[]]);
  });

  it('keeps showing someone typing in one tab when another tab of theirs that typed there closes', { concurrent: false }, async () => {
    const { t } = shared;
    const { alice, bob } = users;
    const group = await t.http(alice.token).conversations.create.mutate({ kind: 'group', title: 'Two tabs', participantIds: [bob.id] });
    await using bobSocket = t.socket(bob.token);
    using bobSees = watchTyping(bobSocket.api, group.id);
    await vi.waitFor(() => expect(bobSees.items).toEqual([[]]), WAIT);
    const firstTab = t.socket(alice.token);
    await using secondTab = t.socket(alice.token);
    await firstTab.api.conversations.setTyping.mutate({ id: group.id, typing: true });
    await secondTab.api.conversations.setTyping.mutate({ id: group.id, typing: true });
    await vi.waitFor(() => expect(bobSees.items).toEqual([[], [alice.id]]), WAIT);

    // The first tab closes: she is still typing in the second, and Bob sees no blink.
    await firstTab.close();
    await new Promise((resolve) => setTimeout(resolve, TYPING_TTL_MS / 3));
    expect(bobSees.items).toEqual([[], [alice.id]]);
    // Her last typing tab closes: it ends at once.
    const started = performance.now();
    await secondTab.close();
    await vi.waitFor(() => expect(bobSees.items).toEqual([[], [alice.id], []]), WAIT);
    expect(performance.now() - started).toBeLessThan(TYPING_TTL_MS);
  });

  it('shows a user online from their first open tab until their last one closes', { concurrent: false }, async () => {
    const { t } = shared;
    const { alice, bob, dave } = users;
    await t.http(alice.token).conversations.create.mutate({ kind: 'group', title: 'Presence', participantIds: [bob.id, dave.id] });

    await using bobSocket = t.socket(bob.token);
    using bobInbox = watchInbox(bobSocket.api);
    await vi.waitFor(() => expect(bobInbox.started).toBe(1), WAIT);
    const presenceOf = (userId: number) =>
      bobInbox.items.flatMap((event) => (event.type === 'presence' && event.userId === userId ? [event.online] : []));
    const aliceOnline = async () => (await t.http(bob.token).users.search.query({ query: 'alice' }))[0]?.online;

    const firstTab = t.socket(alice.token);
    await firstTab.api.auth.me.query();
    await vi.waitFor(() => expect(presenceOf(alice.id)).toEqual([true]), WAIT);
    await using secondTab = t.socket(alice.token);
    await secondTab.api.auth.me.query();
    await firstTab.close();

    // Dave coming and going passes through the same path: once Bob has seen it, Alice's first
    // tab was handled long before, and it did not take her offline.
    const daveTab = t.socket(dave.token);
    await daveTab.api.auth.me.query();
    await daveTab.close();
    await vi.waitFor(() => expect(presenceOf(dave.id)).toEqual([true, false]), WAIT);
    expect(presenceOf(alice.id)).toEqual([true]);
    expect(await aliceOnline()).toBe(true);

    await secondTab.close();
    await vi.waitFor(() => expect(presenceOf(alice.id)).toEqual([true, false]), WAIT);
    expect(await aliceOnline()).toBe(false);
    expect(bobInbox.errors).toEqual([]);
  });
});
