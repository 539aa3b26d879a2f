import { describe, expect, it } from 'vitest';
import { ConversationSchema, findCaller, postMessage, testDialects } from '../src/index.ts';
import { createConversation, createUsers, onLocked, openTestDatabase } from './helpers.ts';

describe.each(testDialects())('the caller look-up on %s', (dialect) => {
  it('reads the user and their membership in one go', async () => {
    await using db = await openTestDatabase(dialect);
    const [alice, bob, carol] = await createUsers(db.em(), 'alice', 'bob', 'carol');
    if (!alice || !bob || !carol) throw new Error('users not created');
    const id = await createConversation(db.em(), 'group', [alice, bob]);
    await onLocked(db.em(), id, (tx, c) => postMessage(tx, c, { senderId: alice.id, body: 'hi', clientId: 'c1' }));

    const asBob = await findCaller(db.em(), bob.id, id);
    // A plain row: what calls check and show, never the password hash.
    expect(asBob.user).toEqual({ id: bob.id, username: 'bob', displayName: bob.displayName, role: 'user', tokenVersion: 0 });
    const conversation = await db.em().findOneOrFail(ConversationSchema, id);
    expect(asBob.membership).toEqual({
      userId: bob.id,
      role: 'member',
      lastReadSeq: 0,
      conversation: {
        id,
        kind: 'group',
        title: conversation.title,
        createdAt: conversation.createdAt,
        lastMessageAt: conversation.lastMessageAt,
        lastSeq: 1,
        messageCount: 1,
      },
    });
    expect(asBob.membership).toMatchObject({ userId: bob.id, role: 'member', lastReadSeq: 0, conversation: { id, kind: 'group', lastSeq: 1, messageCount: 1 } });

    // Not a member, or no such conversation: the user alone.
    expect(await findCaller(db.em(), carol.id, id)).toMatchObject({ user: { username: 'carol' }, membership: null });
    expect(await findCaller(db.em(), alice.id, id + 1000)).toMatchObject({ user: { username: 'alice' }, membership: null });
    // No such user: nothing.
    expect(await findCaller(db.em(), carol.id + 1000, id)).toEqual({ user: null, membership: null });
  });
});
