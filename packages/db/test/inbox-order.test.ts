/**
 * The inbox order's copy of lastMessageAt on every participant row (inbox-order.ts): exact
 * after every kind of write, since the inbox pages by it alone.
 */
import { describe, expect, it } from 'vitest';
import {
  appendEvent,
  inboxPage,
  conversationHead,
  membersInboxState,
  ParticipantSchema,
  postMessage,
  postMessageAsMember,
  testDialects,
  timeOf,
} from '../src/index.ts';
import { createConversation, createUsers, onLocked, openDatabaseAt, openTestDatabase, type TestDatabase } from './helpers.ts';


/** Each member's copy, and the conversation's own lastMessageAt, as epoch ms. */
async function copies(db: TestDatabase, conversationId: number) {
  const rows = await db
    .em()
    .getConnection()
    .execute<{ user_id: number; copied: unknown; original: unknown }[]>(
      `select p.user_id, p.conversation_last_message_at as copied, c.last_message_at as original
         from participants p join conversations c on c.id = p.conversation_id
        where p.conversation_id = ? order by p.user_id`,
      [conversationId],
    );
  const ms = (value: unknown) => (value === null ? null : timeOf(value).getTime());
  return rows.map((row) => ({ userId: Number(row.user_id), copied: ms(row.copied), original: ms(row.original) }));
}

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute));

describe.each(testDialects())('inbox order on %s', (dialect) => {
  it("copies a conversation's lastMessageAt to every member, whichever path posts the message", async () => {
    await using db = await openTestDatabase(dialect);
    const [ana, ben, cy] = await createUsers(db.em(), 'ana', 'ben', 'cy');
    if (!ana || !ben || !cy) throw new Error('users not created');
    const id = await createConversation(db.em(), 'group', [ana, ben, cy]);
    const created = await copies(db, id);
    expect(created.map((row) => row.copied)).toEqual(created.map((row) => row.original));

    await onLocked(db.em(), id, (tx, c) => postMessage(tx, c, { senderId: ana.id, body: 'orm', clientId: 'c1', at: at(1) }));
    expect((await copies(db, id)).map((row) => row.copied)).toEqual([at(1), at(1), at(1)].map((time) => time.getTime()));

    await postMessageAsMember(db.orm, { conversationId: id, senderId: ben.id, body: 'sql', clientId: 'c2', at: at(2) });
    expect((await copies(db, id)).map((row) => row.copied)).toEqual([at(2), at(2), at(2)].map((time) => time.getTime()));

    // A rename is not a message: the order does not move (nor does the original).
    await onLocked(db.em(), id, (tx, c) => {
      c.title = 'Renamed';
      appendEvent(tx, c, { type: 'conversation.renamed', actorId: ana.id, payload: { title: 'Renamed' }, at: at(3) });
    });
    expect((await copies(db, id)).map((row) => row.copied)).toEqual([at(2), at(2), at(2)].map((time) => time.getTime()));
  });

  it("gives a member who joins later the conversation's lastMessageAt, not the time they joined", async () => {
    await using db = await openTestDatabase(dialect);
    const [ana, ben, dee] = await createUsers(db.em(), 'ana', 'ben', 'dee');
    if (!ana || !ben || !dee) throw new Error('users not created');
    const id = await createConversation(db.em(), 'group', [ana, ben]);
    await postMessageAsMember(db.orm, { conversationId: id, senderId: ana.id, body: 'early', clientId: 'c1', at: at(1) });

    await onLocked(db.em(), id, (tx, c) => {
      tx.create(ParticipantSchema, { conversation: c, user: dee.id, joinedAt: at(30) });
    });
    const rows = await copies(db, id);
    expect(rows.find((row) => row.userId === dee.id)).toEqual({ userId: dee.id, copied: at(1).getTime(), original: at(1).getTime() });
  });

  it('pages one member\'s conversations by it, newest first, from a keyset cursor', async () => {
    await using db = await openTestDatabase(dialect);
    const [ana, ben] = await createUsers(db.em(), 'ana', 'ben');
    if (!ana || !ben) throw new Error('users not created');
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) ids.push(await createConversation(db.em(), 'group', [ana, ben]));
    // Two at the same instant: the id breaks the tie, highest first.
    const times = [at(5), at(1), at(5), at(3)];
    for (const [i, id] of ids.entries()) {
      await postMessageAsMember(db.orm, { conversationId: id, senderId: ben.id, body: 'x', clientId: `c${i}`, at: times[i] });
    }
    const [a = 0, b = 0, c = 0, d = 0] = ids;
    const page = await inboxPage(db.em(), { userId: ana.id, limit: 10, firstMembers: 5 });
    expect(page.map((row) => row.conversation.id)).toEqual([c, a, d, b]);
    const rest = await inboxPage(db.em(), { userId: ana.id, limit: 10, firstMembers: 5, after: { lastMessageAt: at(5), conversationId: c } });
    expect(rest.map((row) => row.conversation.id)).toEqual([a, d, b]);
  });

  it('names the first members to join and the newest message’s sender, and counts them all, on the inbox page and in the live summary alike', async () => {
    await using db = await openTestDatabase(dialect);
    const [ana, ben, cy, dee] = await createUsers(db.em(), 'ana', 'ben', 'cy', 'dee');
    if (!ana || !ben || !cy || !dee) throw new Error('users not created');
    const id = await createConversation(db.em(), 'group', [ana]);
    const later = Date.now() + 60_000;
    await onLocked(db.em(), id, (tx, c) => {
      // cy and ben join at the same instant (so by user id), dee after them.
      for (const user of [cy, ben]) tx.create(ParticipantSchema, { conversation: c, user: user.id, joinedAt: new Date(later) });
      tx.create(ParticipantSchema, { conversation: c, user: dee.id, joinedAt: new Date(later + 1_000) });
    });
    const named = async (firstMembers: number) => {
      const [row] = await inboxPage(db.em(), { userId: ana.id, limit: 10, firstMembers });
      return { memberCount: row?.memberCount, named: row?.namedMembers.map((member) => [member.userId, member.username, member.role]) };
    };
    expect(await named(2)).toEqual({ memberCount: 4, named: [[ana.id, 'ana', 'member'], [ben.id, 'ben', 'member']] });
    expect((await named(10)).named?.map(([userId]) => userId)).toEqual([ana.id, ben.id, cy.id, dee.id]);
    // The newest message's sender is named too, in join order, while a member.
    await postMessageAsMember(db.orm, { conversationId: id, senderId: dee.id, body: 'hi', clientId: 'd1' });
    expect((await named(2)).named?.map(([userId]) => userId)).toEqual([ana.id, ben.id, dee.id]);
    const [row] = await inboxPage(db.em(), { userId: ana.id, limit: 10, firstMembers: 2 });
    expect(row?.namedMembers[2]).toEqual({ conversationId: id, userId: dee.id, username: 'dee', displayName: 'dee', role: 'member', joinedAt: new Date(later + 1_000), lastReadSeq: 1 });

    // inbox.onEvent's read of the conversation names the same members, with every member's id.
    const head = await conversationHead(db.em(), id, 2);
    expect(head?.namedMembers).toEqual(row?.namedMembers);
    expect(head?.memberIds).toEqual([ana.id, ben.id, cy.id, dee.id]);
    expect(head?.lastMessage).toMatchObject({ senderId: dee.id, body: 'hi', seq: 1 });
    expect(await conversationHead(db.em(), id + 1000, 2)).toBeNull();

    await onLocked(db.em(), id, async (tx) => tx.remove(await tx.findOneOrFail(ParticipantSchema, { conversation: id, user: dee.id })));
    // Once dee has left, only the first members.
    expect((await named(2)).named?.map(([userId]) => userId)).toEqual([ana.id, ben.id]);
    expect((await conversationHead(db.em(), id, 2))?.namedMembers.map((member) => member.userId)).toEqual([ana.id, ben.id]);
  });

  it('answers live-summary reads made at once, for several conversations, each as it would alone (on PostgreSQL one statement each kind)', async () => {
    await using db = await openTestDatabase(dialect);
    const [ana, ben, cy] = await createUsers(db.em(), 'ana', 'ben', 'cy');
    if (!ana || !ben || !cy) throw new Error('users not created');
    const ab = await createConversation(db.em(), 'group', [ana, ben]);
    const bc = await createConversation(db.em(), 'group', [ben, cy]);
    const abc = await createConversation(db.em(), 'group', [ana, ben, cy]);
    await postMessageAsMember(db.orm, { conversationId: ab, senderId: ana.id, body: 'to ab', clientId: 'a1' });
    await postMessageAsMember(db.orm, { conversationId: bc, senderId: cy.id, body: 'to bc', clientId: 'c1' });
    await postMessageAsMember(db.orm, { conversationId: bc, senderId: cy.id, body: 'to bc again', clientId: 'c2' });
    const everyone = [ana.id, ben.id, cy.id];
    const conversations = [ab, bc, abc, abc + 1000];

    const alone = [];
    for (const id of conversations) alone.push([await conversationHead(db.em(), id, 1), await membersInboxState(db.em(), id, everyone)]);
    const em = db.em();
    const atOnce = await Promise.all(conversations.map((id) => Promise.all([conversationHead(em, id, 1), membersInboxState(em, id, everyone)])));

    expect(atOnce).toEqual(alone);
    // And alone they are right: each its own newest message, members and unread counts.
    expect(atOnce.map(([head]) => head?.lastMessage?.body ?? null)).toEqual(['to ab', 'to bc again', null, null]);
    expect(atOnce.map(([head]) => head?.memberIds ?? null)).toEqual([[ana.id, ben.id], [ben.id, cy.id], everyone, null]);
    expect(atOnce.map(([, state]) => Object.fromEntries([...state].map(([userId, { unreadCount }]) => [userId, unreadCount])))).toEqual([
      { [ana.id]: 0, [ben.id]: 1 },
      { [ben.id]: 2, [cy.id]: 0 },
      { [ana.id]: 0, [ben.id]: 0, [cy.id]: 0 },
      {},
    ]);
  });

  it('is filled in by the migration for conversations that existed before it', async () => {
    await using db = await openDatabaseAt(dialect, 'Migration20261121102836_stats_indexes');
    const { orm } = db;
    const connection = orm.em.getConnection();
    const time = (date: Date) => (dialect === 'sqlite' ? date.getTime() : date.toISOString());
    await connection.execute(
      `insert into users (id, username, display_name, password_hash, role, token_version, created_at) values (1, 'ana', 'Ana', '!', 'user', 0, ?)`,
      [time(at(0))],
    );
    for (const [id, minute] of [[1, 7], [2, 9]] as const) {
      await connection.execute(
        `insert into conversations (id, kind, title, created_by_id, created_at, updated_at, last_seq, last_message_at, message_count)
         values (?, 'group', 'old', 1, ?, ?, 0, ?, 0)`,
        [id, time(at(0)), time(at(0)), time(at(minute))],
      );
      await connection.execute(
        `insert into participants (conversation_id, user_id, role, joined_at, last_read_seq) values (?, 1, 'owner', ?, 0)`,
        [id, time(at(0))],
      );
    }
    await orm.migrator.up();
    const page = await inboxPage(orm.em.fork(), { userId: 1, limit: 10, firstMembers: 5 });
    expect(page.map((row) => [row.conversation.id, row.conversation.lastMessageAt])).toEqual([[2, at(9)], [1, at(7)]]);
    const [{ missing } = { missing: -1 }] = await connection.execute<{ missing: number | string }[]>(
      'select count(*) as missing from participants where conversation_last_message_at is null',
    );
    expect(Number(missing)).toBe(0);
  });
});
