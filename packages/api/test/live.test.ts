import { testDialects } from '@parley/db';
import { describe, expect, it } from 'vitest';
import { useTestApi } from './helpers.ts';

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
