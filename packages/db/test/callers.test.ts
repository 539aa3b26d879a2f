import { describe, expect, it } from 'vitest';
import { ConversationSchema, findCaller, findMessageByClientId, postMessage, testDialects } from '../src/index.ts';
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
        createdBy: alice.id,
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

  it('answers each of many send-path look-ups made at once with its own rows (on PostgreSQL one statement each kind)', async () => {
    await using db = await openTestDatabase(dialect);
    const [alice, bob, carol] = await createUsers(db.em(), 'alice', 'bob', 'carol');
    if (!alice || !bob || !carol) throw new Error('users not created');
    const ab = await createConversation(db.em(), 'group', [alice, bob]);
    const bc = await createConversation(db.em(), 'group', [bob, carol]);
    await onLocked(db.em(), ab, (tx, c) => postMessage(tx, c, { senderId: alice.id, body: 'to ab', clientId: 'same' }));
    await onLocked(db.em(), bc, (tx, c) => postMessage(tx, c, { senderId: carol.id, body: 'to bc', clientId: 'same' }));

    const em = db.em();
    const [callers, messages] = await Promise.all([
      Promise.all([
        findCaller(em, alice.id, ab),
        findCaller(em, alice.id, bc),
        findCaller(em, carol.id, bc),
        findCaller(em, carol.id + 1000, ab),
        findCaller(em, bob.id, ab),
      ]),
      Promise.all([
        findMessageByClientId(em, carol.id, 'same'),
        findMessageByClientId(em, bob.id, 'same'),
        findMessageByClientId(em, alice.id, 'same'),
      ]),
    ]);
    expect(callers.map((c) => [c.user?.username ?? null, c.membership?.conversation.id ?? null])).toEqual([
      ['alice', ab],
      ['alice', null],
      ['carol', bc],
      [null, null],
      ['bob', ab],
    ]);
    expect(messages.map((m) => m?.body ?? null)).toEqual(['to bc', null, 'to ab']);
  });
});
