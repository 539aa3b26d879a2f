/**
 * conversations.onTyping for someone who opens a conversation while another member is
 * already typing: they see it at once, not at the typist's next refresh. Through the router
 * as the transports call it, on every realtime backend; with Redis the typist and those
 * watching are on two instances.
 */
import { describe, expect, it, vi } from 'vitest';
import { appRouter, createCallerFactory, createContextInner, type ApiDeps } from '../src/index.ts';
import { createTestBackends, newTestNamespace, testBusKinds } from './backends.ts';
import { createTestApi, type TestUser } from './harness.ts';

const createCaller = createCallerFactory(appRouter);
const TYPING_TTL_MS = 3_000;
const WAIT = { timeout: 10_000, interval: 10 };

/** `user`'s onTyping on the instance of `deps`: what it yields, recorded until disposed. */
async function watchTyping(deps: ApiDeps, user: TestUser, conversationId: number) {
  const stop = new AbortController();
  const caller = createCaller(createContextInner(deps, { token: user.token }), { signal: stop.signal });
  const stream = await caller.conversations.onTyping({ conversationId });
  const seen: number[][] = [];
  const errors: unknown[] = [];
  const pulling = (async () => {
    for await (const { userIds } of stream) seen.push(userIds);
  })().catch((error: unknown) => errors.push(error));
  return {
    seen,
    errors,
    async [Symbol.asyncDispose]() {
      stop.abort();
      await pulling;
    },
  };
}

describe.each(testBusKinds())('conversations.onTyping on the %s backend', (kind) => {
  it('starts with whoever is typing already, until they fall silent, stop or send', async () => {
    const namespace = newTestNamespace();
    await using alicesInstance = await createTestBackends(kind, { namespace, instanceId: 'alices' });
    // With Redis the others are on a second instance, as when their sockets reach another server.
    await using othersInstance = kind === 'redis' ? await createTestBackends(kind, { namespace, instanceId: 'others' }) : undefined;
    await using api = await createTestApi('sqlite', { realtime: alicesInstance, typingTtlMs: TYPING_TTL_MS });
    const others = api.instance(othersInstance ?? alicesInstance);
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((name) => api.seedUser(name)));
    if (!alice || !bob || !carol) throw new Error('users not seeded');
    const group = await alice.api.conversations.create({ kind: 'group', title: 'Typing', participantIds: [bob.id, carol.id] });
    const typing = (value: boolean) => alice.api.conversations.setTyping({ id: group.id, typing: value });
    /** What `user` sees first on opening the conversation. */
    const firstSeenBy = async (user: TestUser, deps = others) => {
      await using watch = await watchTyping(deps, user, group.id);
      await vi.waitFor(() => expect(watch.seen.length).toBeGreaterThan(0), WAIT);
      return watch.seen[0];
    };

    await typing(true);
    const typingSince = performance.now();
    await new Promise((resolve) => setTimeout(resolve, TYPING_TTL_MS / 2));
    // Bob opens the conversation half way through Alice's signal: he sees her typing at once…
    await using bobSees = await watchTyping(others, bob, group.id);
    await vi.waitFor(() => expect(bobSees.seen).toEqual([[alice.id]]), WAIT);
    // …(Alice never sees herself)…
    expect(await firstSeenBy(alice, api.deps)).toEqual([]);
    // …until her signal runs out: when it does, not a whole TTL after he opened.
    await vi.waitFor(() => expect(bobSees.seen).toEqual([[alice.id], []]), WAIT);
    expect(performance.now() - typingSince).toBeLessThan(TYPING_TTL_MS * 1.25);

    // Stopping ends it for those who open the conversation afterwards too.
    await typing(true);
    expect(await firstSeenBy(carol)).toEqual([alice.id]);
    await typing(false);
    expect(await firstSeenBy(carol)).toEqual([]);

    // So does a message from her.
    await typing(true);
    expect(await firstSeenBy(carol)).toEqual([alice.id]);
    await alice.api.messages.send({ conversationId: group.id, body: 'done', clientId: 'typed-1' });
    expect(await firstSeenBy(carol)).toEqual([]);

    // Bob, watching all along, saw each change once.
    await vi.waitFor(() => expect(bobSees.seen).toEqual([[alice.id], [], [alice.id], [], [alice.id], []]), WAIT);
    expect(bobSees.errors).toEqual([]);
  });

  it('ends the typing of a member who is removed or leaves, for those watching and those who open it after', async () => {
    const namespace = newTestNamespace();
    await using alicesInstance = await createTestBackends(kind, { namespace, instanceId: 'alices' });
    await using othersInstance = kind === 'redis' ? await createTestBackends(kind, { namespace, instanceId: 'others' }) : undefined;
    // A long signal: what ends it here can only be the removal.
    await using api = await createTestApi('sqlite', { realtime: alicesInstance, typingTtlMs: 60_000 });
    const others = api.instance(othersInstance ?? alicesInstance);
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((name) => api.seedUser(name)));
    if (!alice || !bob || !carol) throw new Error('users not seeded');
    const group = await alice.api.conversations.create({ kind: 'group', title: 'Typing', participantIds: [bob.id, carol.id] });
    await using aliceSees = await watchTyping(api.deps, alice, group.id);
    await vi.waitFor(() => expect(aliceSees.seen).toEqual([[]]), WAIT);

    await carol.api.conversations.setTyping({ id: group.id, typing: true });
    await bob.api.conversations.setTyping({ id: group.id, typing: true });
    await vi.waitFor(() => expect(aliceSees.seen.at(-1)).toEqual([bob.id, carol.id]), WAIT);
    await alice.api.conversations.removeParticipant({ id: group.id, userId: carol.id });
    await vi.waitFor(() => expect(aliceSees.seen.at(-1)).toEqual([bob.id]), WAIT);
    await bob.api.conversations.leave({ id: group.id });
    await vi.waitFor(() => expect(aliceSees.seen.at(-1)).toEqual([]), WAIT);

    // Opened afterwards (on the other instance too), nobody is typing there.
    await using aliceOpensAgain = await watchTyping(others, alice, group.id);
    await vi.waitFor(() => expect(aliceOpensAgain.seen).toEqual([[]]), WAIT);
    expect(aliceSees.errors).toEqual([]);
  });
});
