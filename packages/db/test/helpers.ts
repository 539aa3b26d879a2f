/** A migrated throw-away database per test, on the dialect under test; dropped on dispose. */
import { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlDriver } from '@mikro-orm/sql';
import {
  ConversationSchema,
  createOrmConfig,
  createScratchDatabase,
  lockConversation,
  openDatabase,
  UserSchema,
  type Conversation,
  type ConversationKind,
  type Database,
  type DatabaseTarget,
  type Dialect,
  type EntityManager,
  type User,
} from '../src/index.ts';
import { dialectOf } from '../src/orm.ts';

export interface TestDatabase extends AsyncDisposable {
  orm: Database;
  target: DatabaseTarget;
  /** A fresh EntityManager, as every service call gets one. */
  em(): EntityManager;
}

export async function openTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const scratch = await createScratchDatabase(dialect);
  let orm: Database;
  try {
    orm = await openDatabase(scratch.target, { poolMax: 20 });
  } catch (error) {
    await scratch.drop();
    throw error;
  }
  return {
    orm,
    target: scratch.target,
    em: () => orm.em.fork(),
    async [Symbol.asyncDispose]() {
      await orm.close();
      await scratch.drop();
    },
  };
}

/**
 * A throw-away database migrated only up to `migration`, for tests of what a later migration
 * does to data written before it (`orm.migrator.up()` runs the rest); dropped on dispose.
 */
export async function openDatabaseAt(dialect: Dialect, migration: string): Promise<{ orm: MikroORM<AbstractSqlDriver> } & AsyncDisposable> {
  const scratch = await createScratchDatabase(dialect);
  const orm = await MikroORM.init<AbstractSqlDriver>(createOrmConfig(scratch.target));
  const dispose = async () => {
    await orm.close();
    await scratch.drop();
  };
  try {
    await orm.migrator.up({ to: migration });
  } catch (error) {
    await dispose();
    throw error;
  }
  return { orm, [Symbol.asyncDispose]: dispose };
}

/** Users with a placeholder hash: these tests are about storage, not sign-in. */
export async function createUsers(em: EntityManager, ...usernames: string[]): Promise<User[]> {
  const users = usernames.map((username) =>
    em.create(UserSchema, { username, displayName: username, passwordHash: 'not-a-hash' }),
  );
  await em.flush();
  return users;
}

export async function createConversation(
  em: EntityManager,
  kind: ConversationKind,
  members: User[],
  directKey: string | null = null,
): Promise<number> {
  const [owner] = members;
  if (!owner) throw new Error('a conversation needs a member');
  const conversation = em.create(ConversationSchema, {
    kind,
    title: kind === 'group' ? 'Test group' : null,
    directKey,
    createdBy: owner,
  });
  await em.flush();
  // Only the columns a participant has had from the start: the migration tests write with
  // this on databases migrated part of the way (em.create would write every column of today).
  const joinedAt = new Date();
  for (const user of members) {
    await em
      .getConnection()
      .execute('insert into participants (conversation_id, user_id, role, joined_at, last_read_seq) values (?, ?, ?, ?, 0)', [
        conversation.id,
        user.id,
        'member',
        // SQLite's datetime columns hold milliseconds.
        dialectOf(em) === 'sqlite' ? joinedAt.getTime() : joinedAt,
      ]);
  }
  return conversation.id;
}

/** Runs `work` the way the API does: in a transaction, on the locked conversation row. */
export function onLocked<T>(em: EntityManager, conversationId: number, work: (tx: EntityManager, c: Conversation) => T) {
  return em.transactional(async (tx) => {
    const conversation = await lockConversation(tx, conversationId);
    if (!conversation) throw new Error(`conversation ${conversationId} not found`);
    return work(tx, conversation);
  });
}
