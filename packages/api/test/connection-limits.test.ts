/**
 * The per-connection subscription cap over one context that lives like a WebSocket's (one
 * caller, many calls): a subscription's slot comes back however its stream ends, and the
 * live statistics count a stream only from its first pull to its end.
 */
import { testDialects } from '@parley/db';
import { describe, expect, it } from 'vitest';
import { MAX_SUBSCRIPTIONS_PER_CONNECTION } from '../src/limits.ts';
import { rejectionOf, useTestApi } from './helpers.ts';

describe.each(testDialects())('per-connection subscription cap (%s)', (dialect) => {
  const api = useTestApi(dialect);
  const liveSubscriptions = () => api().deps.metrics.snapshot().stats.subscriptions;

  it('gives the slots back when the streams end by themselves: removed from a group, her 100 streams end and new ones start', async () => {
    const owner = await api().seedUser('owner');
    const alice = await api().seedUser('alice');
    const group = await owner.api.conversations.create({ kind: 'group', title: 'Full house', participantIds: [alice.id] });
    const streams = await Promise.all(
      Array.from({ length: MAX_SUBSCRIPTIONS_PER_CONNECTION }, () => alice.api.conversations.onEvent({ conversationId: group.id })),
    );
    expect((await rejectionOf(alice.api.inbox.onEvent())).code).toBe('TOO_MANY_REQUESTS');

    await owner.api.conversations.removeParticipant({ id: group.id, userId: alice.id });
    // Each stream delivers her removal and then ends on its own: nobody stops it.
    const lastEvents = await Promise.all(
      streams.map(async (stream) => {
        let last: unknown;
        for await (const event of stream) last = event;
        return JSON.stringify(last);
      }),
    );
    expect(lastEvents.every((event) => event.includes('participant.removed'))).toBe(true);

    const inbox = (await alice.api.inbox.onEvent())[Symbol.asyncIterator]();
    await inbox.return?.();
  });

  it('gives the slot back for a stream closed before its first pull, and counts it live only from its first pull to its end', async () => {
    const bob = await api().seedUser('bob');
    const before = liveSubscriptions();
    const inbox = (await bob.api.inbox.onEvent())[Symbol.asyncIterator]();
    const firstPull = inbox.next();
    expect(liveSubscriptions()).toBe(before + 1);

    // The rest of the slots, three times over: never pulled, never counted, each given back.
    for (let round = 0; round < 3; round++) {
      const unread = await Promise.all(Array.from({ length: MAX_SUBSCRIPTIONS_PER_CONNECTION - 1 }, () => bob.api.inbox.onEvent()));
      expect(liveSubscriptions()).toBe(before + 1);
      await Promise.all(unread.map(async (stream) => await stream[Symbol.asyncIterator]().return?.()));
      expect(liveSubscriptions()).toBe(before + 1);
    }

    const carol = await api().seedUser('carol');
    await carol.api.conversations.create({ kind: 'group', title: 'Slots', participantIds: [bob.id] });
    expect(JSON.stringify((await firstPull).value)).toContain('conversation.added');
    await inbox.return?.();
    expect(liveSubscriptions()).toBe(before);
  });
});
