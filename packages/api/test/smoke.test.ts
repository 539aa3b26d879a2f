import { testDialects } from '@parley/db';
import { describe, expect, it } from 'vitest';
import { createTestApi } from './harness.ts';

describe.each(testDialects())('smoke on %s', (dialect) => {
  it('registers, creates a DM, sends and lists', async () => {
    await using api = await createTestApi(dialect);
    const alice = await api.signUp('alice');
    const bob = await api.signUp('bob');
    const dm = await alice.api.conversations.create({ kind: 'direct', participantIds: [bob.id] });
    expect(dm.created).toBe(true);
    const sent = await alice.api.messages.send({ conversationId: dm.id, body: '  hello  ', clientId: 'c1' });
    expect(sent).toMatchObject({ seq: 1, body: 'hello' });
    const inbox = await bob.api.conversations.list({ limit: 10 });
    expect(inbox.items).toHaveLength(1);
    expect(inbox.items[0]).toMatchObject({ unreadCount: 1, lastMessage: { body: 'hello' } });
    const found = await bob.api.conversations.list({ limit: 10, search: 'ali' });
    expect(found.items).toHaveLength(1);
    const history = await bob.api.messages.list({ conversationId: dm.id, limit: 10 });
    expect(history.items.map((m) => m.body)).toEqual(['hello']);
  });
});
