/** Races the database must judge: concurrent DM creates, concurrent sends, retried sends. */
import { ConversationSchema, MessageSchema, ParticipantSchema, testDialects } from '@parley/db';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from './harness.ts';
import { clientIds, conversationRow, eventsOf, useTestApi } from './helpers.ts';

describe.each(testDialects())('concurrency on %s', (dialect) => {
  const getApi = useTestApi(dialect);
  let ann: TestUser;
  let ben: TestUser;
  let cal: TestUser;

  beforeAll(async () => {
    const api = getApi();
    ann = await api.seedUser('ann');
    ben = await api.seedUser('ben');
    cal = await api.seedUser('cal');
  });

  it('10 concurrent creates of one DM, from both sides, make one conversation', async () => {
    const api = getApi();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2
          ? ann.api.conversations.create({ kind: 'direct', participantIds: [ben.id] })
          : ben.api.conversations.create({ kind: 'direct', participantIds: [ann.id] }),
      ),
    );
    const [first] = results;
    expect(new Set(results.map((result) => result.id))).toEqual(new Set([first?.id]));
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(results.every((result) => result.participants.length === 2)).toBe(true);

    const em = api.db.em.fork();
    expect(await em.count(ConversationSchema, { kind: 'direct' })).toBe(1);
    expect(await em.count(ParticipantSchema, { conversation: first?.id })).toBe(2);
  });

  it('10 concurrent creates of notes to self make one conversation', async () => {
    const api = getApi();
    const results = await Promise.all(Array.from({ length: 10 }, () => cal.api.conversations.create({ kind: 'self' })));
    expect(new Set(results.map((result) => result.id)).size).toBe(1);
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(await api.db.em.fork().count(ConversationSchema, { kind: 'self', createdBy: cal.id })).toBe(1);
  });

  it('50 concurrent sends by three senders get seqs 1..50 with one event each', async () => {
    const api = getApi();
    const group = await ann.api.conversations.create({ kind: 'group', title: 'Rush', participantIds: [ben.id, cal.id] });
    const senders = [ann, ben, cal];
    const sent = await Promise.all(
      clientIds('rush', 50).map((clientId, i) =>
        (senders[i % senders.length] ?? ann).api.messages.send({ conversationId: group.id, body: `message ${i}`, clientId }),
      ),
    );
    const range = Array.from({ length: 50 }, (_, i) => i + 1);
    expect(sent.map((message) => message.seq).sort((a, b) => a - b)).toEqual(range);

    const row = await conversationRow(api, group.id);
    expect({ lastSeq: row.lastSeq, messageCount: row.messageCount }).toEqual({ lastSeq: 50, messageCount: 50 });
    const events = await eventsOf(api, group.id);
    expect(events.map((event) => event.seq)).toEqual(range);
    const messageIdBySeq = new Map(sent.map((message) => [message.seq, message.id]));
    const matching = events.filter((event) => event.type === 'message.created' && event.messageId === messageIdBySeq.get(event.seq));
    expect(matching).toHaveLength(50);
    const history = await cal.api.messages.list({ conversationId: group.id, limit: 100 });
    expect(history.items.map((message) => message.seq)).toEqual(range);
  });

  describe('a send retried with the same clientId', () => {
    let dmId: number;
    beforeAll(async () => {
      dmId = (await ann.api.conversations.create({ kind: 'direct', participantIds: [cal.id] })).id;
    });

    it('returns the same message when retried one after another, even with another body', async () => {
      const api = getApi();
      const first = await ann.api.messages.send({ conversationId: dmId, body: 'once', clientId: 'retry-seq' });
      const again = await ann.api.messages.send({ conversationId: dmId, body: 'once', clientId: 'retry-seq' });
      const changed = await ann.api.messages.send({ conversationId: dmId, body: 'twice?', clientId: 'retry-seq' });
      expect(again).toEqual(first);
      expect(changed).toEqual(first);
      expect(await api.db.em.fork().count(MessageSchema, { conversation: dmId, clientId: 'retry-seq' })).toBe(1);
      const row = await conversationRow(api, dmId);
      expect({ lastSeq: row.lastSeq, messageCount: row.messageCount }).toEqual({ lastSeq: first.seq, messageCount: 1 });
    });

    it('returns the same message to 10 concurrent attempts, storing and logging it once', async () => {
      const api = getApi();
      const before = await conversationRow(api, dmId);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => ann.api.messages.send({ conversationId: dmId, body: 'hello', clientId: 'retry-race' })),
      );
      const [first] = results;
      expect(results.every((result) => JSON.stringify(result) === JSON.stringify(first))).toBe(true);
      expect(await api.db.em.fork().count(MessageSchema, { clientId: 'retry-race' })).toBe(1);
      const after = await conversationRow(api, dmId);
      expect({ lastSeq: after.lastSeq, messageCount: after.messageCount }).toEqual({
        lastSeq: before.lastSeq + 1,
        messageCount: before.messageCount + 1,
      });
      const events = await eventsOf(api, dmId);
      expect(events.filter((event) => event.messageId === first?.id)).toHaveLength(1);
    });

    it('answers CONFLICT when the clientId was used in another conversation', async () => {
      const notes = await ann.api.conversations.create({ kind: 'self' });
      await ann.api.messages.send({ conversationId: dmId, body: 'here', clientId: 'retry-elsewhere' });
      await expect(
        ann.api.messages.send({ conversationId: notes.id, body: 'there', clientId: 'retry-elsewhere' }),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      expect((await conversationRow(getApi(), notes.id)).lastSeq).toBe(0);
    });

    it('is scoped to the sender: another person may use the same clientId', async () => {
      const mine = await ann.api.messages.send({ conversationId: dmId, body: 'from ann', clientId: 'shared-key' });
      const theirs = await cal.api.messages.send({ conversationId: dmId, body: 'from cal', clientId: 'shared-key' });
      expect(theirs.id).not.toBe(mine.id);
      expect(theirs).toMatchObject({ senderId: cal.id, body: 'from cal', seq: mine.seq + 1 });
    });
  });
});
