import { describe, expect, it } from 'vitest';
import {
  ConversationSchema,
  directKeyOf,
  selfKeyOf,
  testDialects,
  UniqueConstraintViolationException,
} from '../src/index.ts';
import { createConversation, createUsers, openTestDatabase } from './helpers.ts';

it('gives a pair of users one directKey, whichever of them asks', () => {
  expect(directKeyOf(7, 42)).toBe('7:42');
  expect(directKeyOf(42, 7)).toBe('7:42');
  expect(directKeyOf(10, 9)).toBe('9:10'); // numeric order, not string order
  expect(selfKeyOf(7)).toBe('self:7');
});

describe.each(testDialects())('directKey on %s', (dialect) => {
  it('lets the database refuse a second DM for the same pair, even when both creates race', async () => {
    await using db = await openTestDatabase(dialect);
    const [alice, bob, carol] = await createUsers(db.em(), 'alice', 'bob', 'carol');
    if (!alice || !bob || !carol) throw new Error('users not created');

    // Two requests that each checked "no DM yet" and now both insert: exactly one may win.
    const attempts = await Promise.allSettled([
      createConversation(db.em(), 'direct', [alice, bob], directKeyOf(alice.id, bob.id)),
      createConversation(db.em(), 'direct', [bob, alice], directKeyOf(bob.id, alice.id)),
    ]);
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    const refused = attempts.find((a) => a.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(UniqueConstraintViolationException);

    // A different pair is a different DM.
    await createConversation(db.em(), 'direct', [alice, carol], directKeyOf(alice.id, carol.id));
    expect(await db.em().count(ConversationSchema, { kind: 'direct' })).toBe(2);
  });

  it('allows one notes-to-self per user and any number of groups', async () => {
    await using db = await openTestDatabase(dialect);
    const [alice, bob] = await createUsers(db.em(), 'alice', 'bob');
    if (!alice || !bob) throw new Error('users not created');

    await createConversation(db.em(), 'self', [alice], selfKeyOf(alice.id));
    await expect(createConversation(db.em(), 'self', [alice], selfKeyOf(alice.id))).rejects.toBeInstanceOf(
      UniqueConstraintViolationException,
    );
    // Groups carry no key (null): the constraint must not make them collide with each other.
    await createConversation(db.em(), 'group', [alice, bob]);
    await createConversation(db.em(), 'group', [alice, bob]);
    expect(await db.em().count(ConversationSchema, {})).toBe(3);
  });
});
