import { randomUUID } from 'node:crypto';
import { postMessageAsMember, testDialects } from '@parley/db';
import { isTrackedEnvelope } from '@trpc/server';
import { describe, expect, it, vi } from 'vitest';
import { publishAfterCommit } from '../src/realtime/publish.ts';
import { messageCreatedView, messageRowView, type ConversationEventView } from '../src/views.ts';
import { countQueries, useTestApi } from './helpers.ts';

describe.each(testDialects())('conversations.onEvent without a lastEventId (%s)', (dialect) => {
  const api = useTestApi(dialect);

  it('starts from the moment the subscription is answered: a message sent right after is delivered', async () => {
    const alice = await api().seedUser('alice');
    const bob = await api().seedUser('bob');
    const dm = await alice.api.conversations.create({ kind: 'direct', participantIds: [bob.id] });
    await alice.api.messages.send({ conversationId: dm.id, body: 'before', clientId: 'b-1' });

    // The subscription is answered (tRPC would now tell the client "started")…
    const stream = (await bob.api.conversations.onEvent({ conversationId: dm.id }))[Symbol.asyncIterator]();
    // …and a message is committed before the stream is first read.
    await alice.api.messages.send({ conversationId: dm.id, body: 'right after', clientId: 'b-2' });
    try {
      const first = await stream.next();
      expect(first.done).toBe(false);
      // Tracked events arrive as [id, data] envelopes through a direct caller.
      expect(JSON.stringify(first.value)).toContain('right after');
      expect(JSON.stringify(first.value)).not.toContain('before"');
    } finally {
      await stream.return?.();
    }
  });

  it('treats a lastEventId beyond the conversation as "from now", so live events still arrive', async () => {
    const alice = await api().seedUser('carol');
    const bob = await api().seedUser('dave');
    const dm = await alice.api.conversations.create({ kind: 'direct', participantIds: [bob.id] });
    const stream = (await bob.api.conversations.onEvent({ conversationId: dm.id, lastEventId: '999' }))[Symbol.asyncIterator]();
    await alice.api.messages.send({ conversationId: dm.id, body: 'still delivered', clientId: 'f-1' });
    try {
      const first = await stream.next();
      expect(JSON.stringify(first.value)).toContain('still delivered');
    } finally {
      await stream.return?.();
    }
  });
});

describe.each(testDialects())('conversations.onEvent when events reach the bus out of seq order (%s)', (dialect) => {
  const api = useTestApi(dialect);

  /**
   * Bob's stream of a new DM with Alice, running and subscribed; two of Alice's messages
   * committed by the send path's write but not yet published; and their publishes, made here
   * in whatever order a test likes (as when PostgreSQL's replies to two groups of sends, or
   * two instances' publishes through Redis, arrive the other way round).
   */
  async function twoUnpublishedMessages(names: [string, string]) {
    const alice = await api().seedUser(names[0]);
    const bob = await api().seedUser(names[1]);
    const dm = await alice.api.conversations.create({ kind: 'direct', participantIds: [bob.id] });
    const listenersBefore = api().deps.bus.listenerCount();
    const stream = (await bob.api.conversations.onEvent({ conversationId: dm.id }))[Symbol.asyncIterator]();
    const bodyOf = async () => {
      const { value } = await stream.next();
      // A direct caller yields tRPC's tracked envelope, [id, event].
      const event = isTrackedEnvelope<ConversationEventView>(value) ? value[1] : undefined;
      return { seq: event?.seq, body: event?.message?.body };
    };
    // The generator runs once it is first read; its first event is this read's.
    const firstRead = bodyOf();
    await vi.waitFor(() => expect(api().deps.bus.listenerCount()).toBeGreaterThan(listenersBefore), { timeout: 5_000, interval: 5 });
    const post = async (body: string) => {
      const posted = await postMessageAsMember(api().db, { conversationId: dm.id, senderId: alice.id, body, clientId: randomUUID() });
      if (!posted) throw new Error('not posted');
      return () =>
        publishAfterCommit(api().deps, {
          conversationId: dm.id,
          events: [messageCreatedView(messageRowView(posted.message))],
          memberIds: posted.memberIds,
        });
    };
    const publishFirst = await post('first');
    const publishSecond = await post('second');
    return { stream, firstRead, bodyOf, publishFirst, publishSecond };
  }

  it('puts them back in order from the bus, without reading the log, and times both deliveries', async () => {
    const { stream, firstRead, bodyOf, publishFirst, publishSecond } = await twoUnpublishedMessages(['gail', 'hank']);
    const delivered: number[] = [];
    const stopListening = api().deps.metrics.listen({ delivered: (latencyMs) => delivered.push(latencyMs) });
    try {
      using queries = await countQueries(api());
      await publishSecond();
      await publishFirst();
      expect([await firstRead, await bodyOf()]).toEqual([
        { seq: 1, body: 'first' },
        { seq: 2, body: 'second' },
      ]);
      // Both came live: none read again from the database, both in the send→deliver latency.
      expect(queries.count()).toBe(0);
      expect(delivered).toHaveLength(2);
    } finally {
      stopListening();
      await stream.return?.();
    }
  });

  it('reads a missing event from the log when the bus never brings it', async () => {
    const { stream, firstRead, bodyOf, publishSecond } = await twoUnpublishedMessages(['ivan', 'jill']);
    try {
      await publishSecond();
      expect([await firstRead, await bodyOf()]).toEqual([
        { seq: 1, body: 'first' },
        { seq: 2, body: 'second' },
      ]);
    } finally {
      await stream.return?.();
    }
  });
});
