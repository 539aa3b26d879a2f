import { describe, expect, it } from 'vitest';
import {
  ConversationEventSchema,
  ConversationSchema,
  DEMO_PASSWORD,
  MessageSchema,
  ParticipantSchema,
  seedDemoData,
  testDialects,
  unreadCountsOf,
  UserSchema,
  verifyPassword,
} from '../src/index.ts';
import { openTestDatabase } from './helpers.ts';

describe.each(testDialects())('demo seed on %s', (dialect) => {
  it('loads the quick-start people and conversations with a consistent log', async () => {
    await using db = await openTestDatabase(dialect);
    expect(await seedDemoData(db.em())).toMatch(/^seeded 4 users/);

    const em = db.em();
    const users = await em.find(UserSchema, {}, { orderBy: { username: 'asc' }, populate: ['passwordHash'] });
    expect(users.map((u) => [u.username, u.role])).toEqual([
      ['admin', 'admin'],
      ['alice', 'user'],
      ['bob', 'user'],
      ['carol', 'user'],
    ]);
    // The README tells people to sign in with this password.
    const [anyone] = users;
    expect(anyone && (await verifyPassword(DEMO_PASSWORD, anyone.passwordHash))).toBe(true);

    const memberNames = async (conversationId: number) =>
      (await em.find(ParticipantSchema, { conversation: conversationId }, { populate: ['user'] }))
        .map((p) => p.user.getEntity().username)
        .sort();
    const conversations = await em.find(ConversationSchema, {}, { orderBy: { id: 'asc' } });
    const kinds = await Promise.all(conversations.map(async (c) => [c.kind, await memberNames(c.id)]));
    expect(kinds).toContainEqual(['direct', ['alice', 'bob']]);
    expect(kinds).toContainEqual(['group', ['alice', 'bob', 'carol']]);

    const total = await em.count(MessageSchema, {});
    expect(total).toBeGreaterThanOrEqual(200);
    expect(total).toBeLessThanOrEqual(1000);

    for (const conversation of conversations) {
      const messages = await em.find(MessageSchema, { conversation: conversation.id }, { orderBy: { seq: 'asc' } });
      const n = messages.length;
      expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect(await em.count(ConversationEventSchema, { conversation: conversation.id, type: 'message.created' })).toBe(n);
      expect(conversation).toMatchObject({ lastSeq: n, messageCount: n });
      expect(conversation.lastMessageAt).toEqual(messages.at(-1)?.createdAt);
      // History lies in the past, so new messages sort after it.
      expect(conversation.lastMessageAt.getTime()).toBeLessThan(Date.now());
    }
  });

  it("leaves the newest messages unread, none of them the reader's own", async () => {
    await using db = await openTestDatabase(dialect);
    await seedDemoData(db.em());
    const em = db.em();
    const unreadOf = async (username: string) => {
      const user = await em.findOneOrFail(UserSchema, { username });
      const memberships = await em.find(ParticipantSchema, { user: user.id }, { populate: ['conversation'] });
      const counts = await unreadCountsOf(em, user.id, memberships.map((m) => m.conversation.id));
      const titleOf = (m: (typeof memberships)[number]) => m.conversation.getEntity().title ?? m.conversation.getEntity().kind;
      return Object.fromEntries(memberships.map((m) => [titleOf(m), counts.get(m.conversation.id)]));
    };
    // alice's DMs are with bob and with the admin: told apart by their counts.
    expect(await unreadOf('alice')).toEqual({ direct: expect.any(Number), 'Weekend trip': 3, self: 0 });
    const alice = await em.findOneOrFail(UserSchema, { username: 'alice' });
    const byPartner = await em.find(ParticipantSchema, { user: alice.id, conversation: { kind: 'direct' } }, { populate: ['conversation'] });
    const counts = await unreadCountsOf(em, alice.id, byPartner.map((m) => m.conversation.id));
    expect([...counts.values()].sort()).toEqual([1, 3]);
    expect(await unreadOf('bob')).toEqual({ direct: 0, 'Weekend trip': 1 });
    expect(await unreadOf('carol')).toEqual({ 'Weekend trip': 0 });
  });

  it('leaves a database that already has users alone', async () => {
    await using db = await openTestDatabase(dialect);
    await seedDemoData(db.em());
    const before = await db.em().count(MessageSchema, {});

    expect(await seedDemoData(db.em())).toMatch(/skipped/);
    expect(await db.em().count(UserSchema, {})).toBe(4);
    expect(await db.em().count(MessageSchema, {})).toBe(before);
  });

  it('does nothing to a database where someone already signed up', async () => {
    await using db = await openTestDatabase(dialect);
    const em = db.em();
    em.create(UserSchema, { username: 'zoe', displayName: 'Zoe', passwordHash: 'x' });
    await em.flush();

    expect(await seedDemoData(db.em())).toMatch(/skipped/);
    expect(await db.em().count(UserSchema, {})).toBe(1);
    expect(await db.em().count(ConversationSchema, {})).toBe(0);
  });
});
