/**
 * Unread counts (docs/ARCHITECTURE.md, "Unread"): the messages after a member's read marker,
 * by others, not deleted, counted as arithmetic on seqs (the seqs after the marker, less the
 * events that are not a new message and the messages since deleted). These tests hold every
 * way of counting to that definition, counted message by message.
 */
import { describe, expect, it } from 'vitest';
import {
  appendEvent,
  inboxPage,
  membersInboxState,
  MessageSchema,
  ParticipantSchema,
  postMessage,
  postMessageAsMember,
  testDialects,
  unreadCountsOf,
  type User,
} from '../src/index.ts';
import { createConversation, createUsers, onLocked, openDatabaseAt, openTestDatabase, type TestDatabase } from './helpers.ts';

/** Each member's unread count by its definition, one message at a time: the oracle. */
async function unreadByDefinition(db: TestDatabase, conversationId: number): Promise<Record<number, number>> {
  const rows = await db
    .em()
    .getConnection()
    .execute<{ user_id: number; unread: number | string }[]>(
      `select p.user_id, (select count(*) from messages m where m.conversation_id = p.conversation_id and m.seq > p.last_read_seq
                                                           and m.sender_id <> p.user_id and m.deleted_at is null) as unread
         from participants p where p.conversation_id = ?`,
      [conversationId],
    );
  return Object.fromEntries(rows.map((row) => [Number(row.user_id), Number(row.unread)]));
}

async function markers(db: TestDatabase, conversationId: number): Promise<Record<number, number>> {
  const rows = await db
    .em()
    .getConnection()
    .execute<{ user_id: number; last_read_seq: number }[]>('select user_id, last_read_seq from participants where conversation_id = ?', [conversationId]);
  return Object.fromEntries(rows.map((row) => [Number(row.user_id), Number(row.last_read_seq)]));
}

describe.each(testDialects())('unread counts on %s', (dialect) => {
  it('count, for every member, the messages after their marker by others and not deleted, whatever edits, deletes, renames and joins lie between', async () => {
    await using db = await openTestDatabase(dialect);
    const users = await createUsers(db.em(), 'ana', 'ben', 'cy', 'dee', 'eve');
    const [ana, ben, cy, dee, eve] = users;
    if (!ana || !ben || !cy || !dee || !eve) throw new Error('users not created');
    const id = await createConversation(db.em(), 'group', [ana, ben, cy, dee]);
    let sent = 0;
    const send = (sender: User) => postMessageAsMember(db.orm, { conversationId: id, senderId: sender.id, body: `m${++sent}`, clientId: `c${sent}` });
    const change = (work: Parameters<typeof onLocked>[2]) => onLocked(db.em(), id, work);
    const messageAt = (tx: Parameters<Parameters<typeof onLocked>[2]>[0], seq: number) => tx.findOneOrFail(MessageSchema, { conversation: id, seq });

    // seq 1-4: messages by ben, cy, ana, ben.
    for (const sender of [ben, cy, ana, ben]) await send(sender);
    // seq 5: a rename; 6: ben edits seq 4; 7-8: cy and ana.
    await change((tx, c) => appendEvent(tx, c, { type: 'conversation.renamed', actorId: ana.id, payload: { title: 'New' } }));
    await change(async (tx, c) => appendEvent(tx, c, { type: 'message.edited', actorId: ben.id, message: await messageAt(tx, 4) }));
    for (const sender of [cy, ana]) await send(sender);
    // seq 9: eve joins (her marker at the join's seq, as the API sets it); 10-11: ben, cy.
    await change(async (tx, c) => {
      appendEvent(tx, c, { type: 'participants.added', actorId: ana.id, payload: { userIds: [eve.id] } });
      tx.create(ParticipantSchema, { conversation: c, user: eve.id, lastReadSeq: c.lastSeq });
    });
    for (const sender of [ben, cy]) await send(sender);
    // seq 12: ana deletes cy's seq 7 (after several markers); 13: cy deletes her own seq 2 (before most).
    for (const [actor, seq] of [[ana, 7], [cy, 2]] as const) {
      await change(async (tx, c) => {
        const message = await messageAt(tx, seq);
        message.body = '';
        message.deletedAt = new Date();
        c.messageCount -= 1;
        appendEvent(tx, c, { type: 'message.deleted', actorId: actor.id, message });
      });
    }
    // seq 14: ana.
    await send(ana);
    // dee reads up to seq 6 (the API's markRead: forward only); the rest are where their sends left them.
    await db.em().getConnection().execute('update participants set last_read_seq = 6 where conversation_id = ? and user_id = ?', [id, dee.id]);

    expect(await markers(db, id)).toEqual({ [ana.id]: 14, [ben.id]: 10, [cy.id]: 11, [dee.id]: 6, [eve.id]: 9 });
    const expected = {
      [ana.id]: 0,
      [ben.id]: 2, // after 10: 11 (cy), 14 (ana)
      [cy.id]: 1, // after 11: 14 (ana)
      [dee.id]: 4, // after 6: 8 (ana), 10 (ben), 11 (cy), 14 (ana); not 7 (deleted)
      [eve.id]: 3, // after 9: 10, 11, 14
    };
    expect(await unreadByDefinition(db, id)).toEqual(expected);

    const everyone = users.map((user) => user.id);
    const summary = await membersInboxState(db.em(), id, [...everyone, 999_999]);
    expect(Object.fromEntries([...summary].map(([userId, { unreadCount }]) => [userId, unreadCount]))).toEqual(expected);
    for (const user of users) {
      expect((await unreadCountsOf(db.em(), user.id, [id])).get(id)).toBe(expected[user.id]);
      const [row] = await inboxPage(db.em(), { userId: user.id, limit: 10, firstMembers: 1 });
      expect(row?.unreadCount).toBe(expected[user.id]);
    }
  });

  it("moves a sender's read marker to their message, whichever path posts it", async () => {
    await using db = await openTestDatabase(dialect);
    const [ana, ben] = await createUsers(db.em(), 'ana', 'ben');
    if (!ana || !ben) throw new Error('users not created');
    const id = await createConversation(db.em(), 'group', [ana, ben]);
    await postMessageAsMember(db.orm, { conversationId: id, senderId: ben.id, body: 'plain SQL', clientId: 'b1' });
    await onLocked(db.em(), id, (tx, c) => postMessage(tx, c, { senderId: ana.id, body: 'the ORM', clientId: 'a1' }));
    expect(await markers(db, id)).toEqual({ [ana.id]: 2, [ben.id]: 1 });
    expect((await unreadCountsOf(db.em(), ben.id, [id])).get(id)).toBe(1);
  });

  it("are right after the migration for members whose markers were behind their own messages", async () => {
    await using db = await openDatabaseAt(dialect, 'Migration20261206120304_drop_user_conversation_index');
    const { orm } = db;
    const em = orm.em.fork();
    const [ana, ben] = await createUsers(em, 'ana', 'ben');
    if (!ana || !ben) throw new Error('users not created');
    const id = await createConversation(em, 'group', [ana, ben]);
    // Before it, the ORM's postMessage (the seeds) moved no marker: both stay at 0.
    for (const sender of [ana, ben, ana, ben]) {
      await onLocked(orm.em.fork(), id, (tx, c) => postMessage(tx, c, { senderId: sender.id, body: 'hi', clientId: `${c.lastSeq}` }));
    }
    await orm.migrator.up();
    const rows = await orm.em.getConnection().execute<{ user_id: number; last_read_seq: number }[]>(
      'select user_id, last_read_seq from participants where conversation_id = ? order by user_id',
      [id],
    );
    expect(rows.map((row) => Number(row.last_read_seq))).toEqual([3, 4]);
    expect((await unreadCountsOf(orm.em.fork(), ana.id, [id])).get(id)).toBe(1);
    expect((await unreadCountsOf(orm.em.fork(), ben.id, [id])).get(id)).toBe(0);
  });
});
