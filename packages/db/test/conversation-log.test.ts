import { describe, expect, it } from 'vitest';
import {
  appendEvent,
  ConversationEventSchema,
  ConversationSchema,
  findMessageByClientId,
  MessageSchema,
  ParticipantSchema,
  postMessage,
  postMessageAsMember,
  UniqueConstraintViolationException,
  testDialects,
} from '../src/index.ts';
import { createConversation, createUsers, onLocked, openTestDatabase } from './helpers.ts';


describe.each(testDialects())('conversation log on %s', (dialect) => {
  it('gives each message the next seq and logs one event per change, with exact counters', async () => {
    await using db = await openTestDatabase(dialect);
    const [alice, bob] = await createUsers(db.em(), 'alice', 'bob');
    if (!alice || !bob) throw new Error('users not created');
    const id = await createConversation(db.em(), 'group', [alice, bob]);

    const times = [1, 2, 3].map((minute) => new Date(Date.UTC(2026, 0, 1, 12, minute)));
    for (const [i, at] of times.entries()) {
      const sender = i % 2 === 0 ? alice : bob;
      await onLocked(db.em(), id, (tx, c) => postMessage(tx, c, { senderId: sender.id, body: `m${i}`, clientId: `c${i}`, at }));
    }
    const renamedAt = new Date(Date.UTC(2026, 0, 1, 13, 0));
    await onLocked(db.em(), id, (tx, c) => {
      c.title = 'Renamed';
      appendEvent(tx, c, { type: 'conversation.renamed', actorId: alice.id, payload: { title: 'Renamed' }, at: renamedAt });
    });

    const em = db.em();
    const conversation = await em.findOneOrFail(ConversationSchema, id);
    expect(conversation).toMatchObject({ lastSeq: 4, messageCount: 3, title: 'Renamed' });
    // A rename is activity but not a message: the inbox order (lastMessageAt) does not move.
    expect(conversation.lastMessageAt).toEqual(times[2]);
    expect(conversation.updatedAt).toEqual(renamedAt);

    const messages = await em.find(MessageSchema, { conversation: id }, { orderBy: { seq: 'asc' } });
    expect(messages.map((m) => [m.seq, m.body, m.sender.id])).toEqual([
      [1, 'm0', alice.id],
      [2, 'm1', bob.id],
      [3, 'm2', alice.id],
    ]);

    const events = await em.find(ConversationEventSchema, { conversation: id }, { orderBy: { seq: 'asc' } });
    expect(events.map((e) => [e.seq, e.type, e.message?.id ?? null])).toEqual([
      [1, 'message.created', messages[0]?.id],
      [2, 'message.created', messages[1]?.id],
      [3, 'message.created', messages[2]?.id],
      [4, 'conversation.renamed', null],
    ]);
    expect(events[3]?.payload).toEqual({ title: 'Renamed' });
  });

  it('keeps seqs gap-free and unique when many senders post to one conversation at once', async () => {
    await using db = await openTestDatabase(dialect);
    const users = await createUsers(db.em(), 'u1', 'u2', 'u3', 'u4', 'u5');
    const id = await createConversation(db.em(), 'group', users);

    const senders = Array.from({ length: 20 }, (_, i) => users[i % users.length]);
    await Promise.all(
      senders.map((sender, i) =>
        onLocked(db.em(), id, (tx, c) => postMessage(tx, c, { senderId: sender?.id ?? 0, body: `hi ${i}`, clientId: `c${i}` })),
      ),
    );

    const em = db.em();
    const seqs = (await em.find(MessageSchema, { conversation: id }, { orderBy: { seq: 'asc' } })).map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await em.count(ConversationEventSchema, { conversation: id })).toBe(20);
    expect(await em.findOneOrFail(ConversationSchema, id)).toMatchObject({ lastSeq: 20, messageCount: 20 });
  });

  it('rolls back the seq, the event and the counters with a failed transaction', async () => {
    await using db = await openTestDatabase(dialect);
    const [alice] = await createUsers(db.em(), 'alice');
    if (!alice) throw new Error('user not created');
    const id = await createConversation(db.em(), 'self', [alice]);
    await onLocked(db.em(), id, (tx, c) => postMessage(tx, c, { senderId: alice.id, body: 'first', clientId: 'same' }));

    // The same clientId again violates (sender, clientId): nothing of the attempt may remain.
    await expect(
      onLocked(db.em(), id, (tx, c) => postMessage(tx, c, { senderId: alice.id, body: 'again', clientId: 'same' })),
    ).rejects.toThrow();

    const em = db.em();
    expect(await em.findOneOrFail(ConversationSchema, id)).toMatchObject({ lastSeq: 1, messageCount: 1 });
    expect(await em.count(ConversationEventSchema, { conversation: id })).toBe(1);
    expect(await em.count(MessageSchema, { conversation: id })).toBe(1);
  });

  describe('the plain-SQL send (postMessageAsMember)', () => {
    it('writes what postMessage writes: next seq, its event, counters, the sender read marker', async () => {
      await using db = await openTestDatabase(dialect);
      const [alice, bob] = await createUsers(db.em(), 'alice', 'bob');
      if (!alice || !bob) throw new Error('users not created');
      const id = await createConversation(db.em(), 'group', [alice, bob]);
      const at = new Date(Date.UTC(2026, 0, 1, 12, 0, 0, 123));

      const first = await postMessageAsMember(db.orm, { conversationId: id, senderId: alice.id, body: 'hello', clientId: 'c1', at });
      await onLocked(db.em(), id, (tx, c) => postMessage(tx, c, { senderId: bob.id, body: 'via the ORM', clientId: 'c2' }));
      const third = await postMessageAsMember(db.orm, { conversationId: id, senderId: bob.id, body: 'again', clientId: 'c3' });

      expect(first?.message).toMatchObject({ conversationId: id, seq: 1, senderId: alice.id, body: 'hello', clientId: 'c1', createdAt: at, deletedAt: null });
      expect(third?.message.seq).toBe(3);
      // Whom to publish to, as of the write: the members in the order they joined.
      expect(third?.memberIds).toEqual([alice.id, bob.id]);
      const em = db.em();
      const stored = await em.findOneOrFail(MessageSchema, { clientId: 'c1' });
      expect([stored.id, stored.seq, stored.body, stored.createdAt]).toEqual([first?.message.id, 1, 'hello', at]);
      // The ORM reads back exactly what plain SQL wrote, times included.
      expect(await findMessageByClientId(db.em(), alice.id, 'c1')).toEqual(first?.message);
      const events = await em.find(ConversationEventSchema, { conversation: id }, { orderBy: { seq: 'asc' } });
      expect(events.map((e) => [e.seq, e.type, e.actorId, e.message?.id])).toEqual([
        [1, 'message.created', alice.id, first?.message.id],
        [2, 'message.created', bob.id, expect.any(Number)],
        [3, 'message.created', bob.id, third?.message.id],
      ]);
      expect(await em.findOneOrFail(ConversationSchema, id)).toMatchObject({ lastSeq: 3, messageCount: 3, lastMessageAt: third?.message.createdAt });
      const markers = await em.find(ParticipantSchema, { conversation: id }, { orderBy: { user: 'asc' } });
      expect(markers.map((p) => p.lastReadSeq)).toEqual([1, 3]);
    });

    it('keeps seqs gap-free under concurrent senders, mixed with ORM writers', async () => {
      await using db = await openTestDatabase(dialect);
      const users = await createUsers(db.em(), 'u1', 'u2', 'u3');
      const id = await createConversation(db.em(), 'group', users);
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => {
          const senderId = users[i % users.length]?.id ?? 0;
          return i % 3 === 0
            ? onLocked(db.em(), id, (tx, c) => postMessage(tx, c, { senderId, body: `orm ${i}`, clientId: `c${i}` }))
            : postMessageAsMember(db.orm, { conversationId: id, senderId, body: `sql ${i}`, clientId: `c${i}` });
        }),
      );
      const em = db.em();
      const seqs = (await em.find(MessageSchema, { conversation: id }, { orderBy: { seq: 'asc' } })).map((m) => m.seq);
      expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(await em.count(ConversationEventSchema, { conversation: id })).toBe(30);
      expect(await em.findOneOrFail(ConversationSchema, id)).toMatchObject({ lastSeq: 30, messageCount: 30 });
    });

    it('refuses a non-member and a missing conversation, writing nothing', async () => {
      await using db = await openTestDatabase(dialect);
      const [alice, mallory] = await createUsers(db.em(), 'alice', 'mallory');
      if (!alice || !mallory) throw new Error('users not created');
      const id = await createConversation(db.em(), 'self', [alice]);
      expect(await postMessageAsMember(db.orm, { conversationId: id, senderId: mallory.id, body: 'x', clientId: 'm1' })).toBeNull();
      expect(await postMessageAsMember(db.orm, { conversationId: id + 1000, senderId: alice.id, body: 'x', clientId: 'm2' })).toBeNull();
      const em = db.em();
      expect(await em.count(MessageSchema, {})).toBe(0);
      expect(await em.findOneOrFail(ConversationSchema, id)).toMatchObject({ lastSeq: 0, messageCount: 0 });
    });

    it('refuses a sender whose removal commits while the send waits for the conversation', async () => {
      await using db = await openTestDatabase(dialect);
      const [alice, bob] = await createUsers(db.em(), 'alice', 'bob');
      if (!alice || !bob) throw new Error('users not created');
      const id = await createConversation(db.em(), 'group', [alice, bob]);
      let sending: ReturnType<typeof postMessageAsMember> | undefined;
      await onLocked(db.em(), id, async (tx, c) => {
        // Bob sends while Alice's removal of him holds the conversation…
        sending = postMessageAsMember(db.orm, { conversationId: id, senderId: bob.id, body: 'late', clientId: 'b1' });
        await new Promise((resolve) => setTimeout(resolve, 50));
        tx.remove(await tx.findOneOrFail(ParticipantSchema, { conversation: id, user: bob.id }));
        appendEvent(tx, c, { type: 'participant.removed', actorId: alice.id, payload: { userId: bob.id } });
      });
      // …and the send, let through after the commit, sees him gone.
      expect(await sending).toBeNull();
      const em = db.em();
      expect(await em.count(MessageSchema, { conversation: id })).toBe(0);
      expect(await em.findOneOrFail(ConversationSchema, id)).toMatchObject({ lastSeq: 1, messageCount: 0 });
    });

    it('commits sends started together, a failing one among them changing nothing of the others', async () => {
      await using db = await openTestDatabase(dialect);
      const [alice, bob, mallory] = await createUsers(db.em(), 'alice', 'bob', 'mallory');
      if (!alice || !bob || !mallory) throw new Error('users not created');
      const id = await createConversation(db.em(), 'group', [alice, bob]);
      const post = (senderId: number, clientId: string) => postMessageAsMember(db.orm, { conversationId: id, senderId, body: clientId, clientId });
      // One turn of the event loop: on SQLite one group commit; a send that fails is undone alone.
      const results = await Promise.allSettled([
        ...Array.from({ length: 10 }, (_, i) => post(i % 2 ? bob.id : alice.id, `c${i}`)),
        post(alice.id, 'c2'),
        post(mallory.id, 'm1'),
      ]);
      // The two sends of c2 race (on PostgreSQL on two connections): either may win, never both.
      const posts = results.slice(0, 11);
      const stored = posts.flatMap((result) => (result.status === 'fulfilled' && result.value ? [result.value.message.seq] : []));
      expect(stored.toSorted((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      const refused = posts.filter((result) => result.status === 'rejected');
      expect(refused).toEqual([{ status: 'rejected', reason: expect.any(UniqueConstraintViolationException) }]);
      expect(results[11]).toEqual({ status: 'fulfilled', value: null });
      const em = db.em();
      expect(await em.findOneOrFail(ConversationSchema, id)).toMatchObject({ lastSeq: 10, messageCount: 10 });
      expect(await em.count(ConversationEventSchema, { conversation: id })).toBe(10);
      const clientIds = (await em.find(MessageSchema, { conversation: id })).map((m) => m.clientId);
      expect(clientIds.toSorted()).toEqual(Array.from({ length: 10 }, (_, i) => `c${i}`));
    });

    it('stores the sends of one turn across many conversations, each gap-free, a clientId reused in two of them once', async () => {
      await using db = await openTestDatabase(dialect);
      const users = await createUsers(db.em(), 'u1', 'u2', 'u3', 'u4');
      const [first] = users;
      if (!first) throw new Error('users not created');
      // Four groups, created in an order that differs from the order sends reach them.
      const ids: number[] = [];
      for (let i = 0; i < 4; i++) ids.push(await createConversation(db.em(), 'group', users));
      const sends = Array.from({ length: 40 }, (_, i) => {
        const conversationId = ids[(i * 3) % ids.length] ?? 0;
        const senderId = users[i % users.length]?.id ?? 0;
        return postMessageAsMember(db.orm, { conversationId, senderId, body: `m${i}`, clientId: `c${i}` });
      });
      const reused = postMessageAsMember(db.orm, { conversationId: ids[1] ?? 0, senderId: first.id, body: 'again', clientId: 'c0' });
      const posted = await Promise.all(sends);
      await expect(reused).rejects.toBeInstanceOf(UniqueConstraintViolationException);
      const em = db.em();
      for (const id of ids) {
        const messages = await em.find(MessageSchema, { conversation: id }, { orderBy: { seq: 'asc' } });
        expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
        // Within a conversation, seqs follow the order the sends were made.
        const order = posted.filter((p) => p?.message.conversationId === id).map((p) => Number(p?.message.body.slice(1)));
        expect(order).toEqual(order.toSorted((a, b) => a - b));
        expect(await em.findOneOrFail(ConversationSchema, id)).toMatchObject({ lastSeq: 10, messageCount: 10 });
      }
      expect(await em.count(MessageSchema, { clientId: 'c0' })).toBe(1);
    });

    it('fails a reused clientId as a unique violation and rolls back the seq, the event and the counters', async () => {
      await using db = await openTestDatabase(dialect);
      const [alice] = await createUsers(db.em(), 'alice');
      if (!alice) throw new Error('user not created');
      const id = await createConversation(db.em(), 'self', [alice]);
      await postMessageAsMember(db.orm, { conversationId: id, senderId: alice.id, body: 'first', clientId: 'same' });
      await expect(
        postMessageAsMember(db.orm, { conversationId: id, senderId: alice.id, body: 'again', clientId: 'same' }),
      ).rejects.toBeInstanceOf(UniqueConstraintViolationException);
      const em = db.em();
      expect(await em.findOneOrFail(ConversationSchema, id)).toMatchObject({ lastSeq: 1, messageCount: 1 });
      expect(await em.count(ConversationEventSchema, { conversation: id })).toBe(1);
      expect(await em.count(MessageSchema, { conversation: id })).toBe(1);
    });
  });
});

describe.each(testDialects().filter((dialect) => dialect === 'postgresql'))('group commit of sends on %s', (dialect) => {
  it('fails alone a send the database refuses (a NUL in its body), storing the rest of its group', async () => {
    await using db = await openTestDatabase(dialect);
    const [alice, bob] = await createUsers(db.em(), 'alice', 'bob');
    if (!alice || !bob) throw new Error('users not created');
    const id = await createConversation(db.em(), 'group', [alice, bob]);
    const post = (body: string, clientId: string) => postMessageAsMember(db.orm, { conversationId: id, senderId: alice.id, body, clientId });
    // PostgreSQL's text cannot hold a NUL (the API refuses one before it gets here).
    const results = await Promise.allSettled([post('one', 'c1'), post('bad\u0000', 'c2'), post('three', 'c3')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const em = db.em();
    const messages = await em.find(MessageSchema, { conversation: id }, { orderBy: { seq: 'asc' } });
    expect(messages.map((m) => [m.seq, m.body])).toEqual([[1, 'one'], [2, 'three']]);
    expect(await em.findOneOrFail(ConversationSchema, id)).toMatchObject({ lastSeq: 2, messageCount: 2 });
  });
});
