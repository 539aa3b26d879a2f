export * from './entities.ts';
export * from './orm.ts';
export { pendingSchemaChanges } from './drift.ts';
export { createScratchDatabase, testDialects, testPostgresUrl, type ScratchDatabase } from './scratch.ts';
export { seedDemoData } from './seed.ts';
export * from './conversation-log.ts';
export { directSql, GROUP_COMMIT, statementTimings, timeOf, type DirectSql, type SqlValue, type StatementTiming } from './direct-sql.ts';
export {
  conversationHead,
  conversationMemberIds,
  findCaller,
  findMessageByClientId,
  findUser,
  findUsersByIds,
  historyPage,
  inboxPage,
  unreadAfter,
  membersInboxState,
  searchUsers,
  unreadCountsOf,
  type ConversationHead,
  type ConversationRow,
  type HistoryQuery,
  type InboxPageQuery,
  type InboxRow,
  type MemberInboxState,
  type MemberRow,
  type MembershipRow,
  type HistoryRows,
  type NoticeRow,
  type NoticeType,
  type UserRow,
  type UserSearch,
} from './reads.ts';
export { hashPassword, verifyPassword } from './passwords.ts';
export { DEMO_PASSWORD } from './seed.ts';
export { startCheckpoints, type Checkpoints } from './checkpoints.ts';
// ORM helpers the API needs, re-exported so the whole project uses this package's ORM.
export { ConnectionException, raw, ref, UniqueConstraintViolationException } from '@mikro-orm/core';
