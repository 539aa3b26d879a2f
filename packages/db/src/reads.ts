/**
 * The hot read paths in plain SQL (docs/ARCHITECTURE.md, "Performance"): who is calling
 * (their user, and the membership member calls check), the members a change is published
 * to, the inbox page with what each item shows, and history pages. Each is a fixed SQL
 * text (prepared once, see direct-sql.ts) whose cost follows the page, not the data: ranges
 * of one index each. Rows come back plain, for the API's views; no entity is built.
 */
import { directSql, FOLD_FUNCTION, foldCase, timeOf, type DirectSql, type SqlValue } from './direct-sql.ts';
import type { MessageRow } from './conversation-log.ts';
import { EVENT_TYPES, type ConversationEventType, type ConversationKind, type ParticipantRole, type UserRole } from './entities.ts';
import type { EntityManager } from './orm.ts';

/** The calling user: what calls check (the token's version) and show of them. */
export interface UserRow {
  id: number;
  username: string;
  displayName: string;
  role: UserRole;
  /** Bumped on logout: a token carrying an older version is dead. */
  tokenVersion: number;
}

/** A conversation as the inbox shows it. */
export interface ConversationRow {
  id: number;
  kind: ConversationKind;
  title: string | null;
  /** Who created it (a group's first owner; ownership can pass on, this does not). */
  createdBy: number;
  createdAt: Date;
  lastMessageAt: Date;
  lastSeq: number;
  messageCount: number;
}

/** My membership of a conversation, with the conversation as it was when read. */
export interface MembershipRow {
  conversation: ConversationRow;
  userId: number;
  role: ParticipantRole;
  lastReadSeq: number;
}

/** A member of a conversation, with the user's names. */
export interface MemberRow {
  conversationId: number;
  userId: number;
  username: string;
  displayName: string;
  role: ParticipantRole;
  joinedAt: Date;
  lastReadSeq: number;
}

/** One of my conversations on an inbox page, as I see it. */
export interface InboxRow {
  conversation: ConversationRow;
  myRole: ParticipantRole;
  /** Whether I muted it, and until when (null: until I unmute): muted only before that instant. */
  muted: boolean;
  mutedUntil: Date | null;
  /** Its newest message, deleted or not. */
  lastMessage: MessageRow | null;
  /** Messages after my read marker, by others, not deleted. */
  unreadCount: number;
  /**
   * The members its summary names, in the order they joined: its first `firstMembers`
   * members to join, and its newest message's sender while they are a member.
   */
  namedMembers: MemberRow[];
  /** How many members it has. */
  memberCount: number;
}

export interface InboxPageQuery {
  userId: number;
  limit: number;
  /** Only conversations after this one in inbox order (newest activity first): a keyset cursor. */
  after?: { lastMessageAt: Date; conversationId: number } | undefined;
  /**
   * Only groups whose title, conversations where another member's username or display name,
   * or my notes whose name (SELF_CONVERSATION_NAME) contains it (case-insensitively).
   */
  search?: string | undefined;
  /** How many of each conversation's first members to join `namedMembers` holds. */
  firstMembers: number;
}

/**
 * A page of my conversations, newest activity first: a backward range of
 * participants_inbox_idx (user, the conversation's lastMessageAt, conversation), so it
 * reads the page and no more (a search reads on until the page is full). Each row comes
 * with its newest message (NEWEST_OF: the end of the messages' key), my unread
 * count (counted as unreadCountsOf does), the members it names with their names and its
 * member count (ranges of participants_join_order_idx, a key probe per named member), all
 * for the rows of the page only, in one statement: on PostgreSQL one round trip. A DM
 * nobody has written in yet is listed only for whoever opened it (`hiddenUntilMessage`).
 */
export async function inboxPage(em: EntityManager, query: InboxPageQuery): Promise<InboxRow[]> {
  const direct = await directSql(em);
  const params: SqlValue[] = [query.userId];
  // A DM someone opened with me and wrote nothing in yet is theirs alone until they do (or I open it).
  let where = 'p.user_id = ? and (c.last_seq > 0 or not p.hidden_until_message)';
  if (query.after) {
    // A row value compares like the index orders: a range, not a filter.
    where += ' and (p.conversation_last_message_at, p.conversation_id) < (?, ?)';
    params.push(query.after.lastMessageAt, query.after.conversationId);
  }
  if (query.search) {
    const pattern = containsPattern(query.search);
    where += ` and (${folded(direct, 'c.title')} like ? escape '\\'
      or (c.kind = 'self' and ? like ? escape '\\')
      or exists (select 1 from participants other join users u on u.id = other.user_id
                  where other.conversation_id = p.conversation_id and other.user_id <> p.user_id
                    and (${folded(direct, 'u.username')} like ? escape '\\' or ${folded(direct, 'u.display_name')} like ? escape '\\')))`;
    params.push(pattern, foldCase(SELF_CONVERSATION_NAME), pattern, pattern, pattern);
  }
  params.push(query.limit);
  const rows = await direct.query<InboxColumns>(
    `select ${conversationColumns(direct)}, p.role, p.muted, p.muted_until, ${UNREAD_OF_P} as unread, ${NAMED_MEMBERS_OF(direct, 'p.conversation_id', query.firstMembers)} as named_members,
            (select count(*) from participants m where m.conversation_id = p.conversation_id) as member_count,
            ${messageColumns(direct, 'newest', 'newest_')}
       from participants p
       join conversations c on c.id = p.conversation_id
       ${NEWEST_OF(direct, 'p.conversation_id')}
      where ${where}
      order by p.conversation_last_message_at desc, p.conversation_id desc
      limit ?`,
    params,
  );
  return rows.map((row) => ({
    conversation: conversationRow(row),
    myRole: row.role,
    muted: Boolean(row.muted),
    mutedUntil: row.muted_until === null ? null : timeOf(row.muted_until),
    lastMessage: newestMessage(row),
    unreadCount: Number(row.unread),
    namedMembers: namedMembers(row.id, row.named_members),
    memberCount: Number(row.member_count),
  }));
}

/**
 * The caller's user: every signed-in call reads it, to check the token is still theirs. A
 * plain query, not grouped as the send path's reads are (`lookup`): the calls that read it
 * do not come in the send path's bursts, and grouped it made a conversations.list made
 * during a resync wait behind the repairs (inbox-live.test.ts).
 */
export async function findUser(em: EntityManager, userId: number): Promise<UserRow | null> {
  const direct = await directSql(em);
  const [row] = await direct.query<UserColumns>(`select ${USER_COLUMNS} from users u where u.id = ?`, [userId]);
  return row ? userRow(row) : null;
}

/**
 * The caller's user and their membership of a conversation (null when they are not a
 * member), in one statement: what a member call checks first. On PostgreSQL one round trip
 * instead of two, the largest cost of a read there.
 */
export async function findCaller(
  em: EntityManager,
  userId: number,
  conversationId: number,
): Promise<{ user: UserRow | null; membership: MembershipRow | null }> {
  const direct = await directSql(em);
  const [row] = await direct.lookup<UserColumns & MembershipColumns>(
    `select ${USER_COLUMNS}, ${membershipColumns(direct)}
       from users u
       left join participants p on p.conversation_id = ? and p.user_id = u.id
       left join conversations c on c.id = p.conversation_id
      where u.id = ?`,
    [conversationId, userId],
  );
  if (!row) return { user: null, membership: null };
  return { user: userRow(row), membership: row.membership_id == null ? null : membershipRow(row) };
}

const USER_COLUMNS = 'u.id, u.username, u.display_name, u.role, u.token_version';
type UserColumns = { id: number; username: string; display_name: string; role: UserRole; token_version: number };

const userRow = (columns: UserColumns): UserRow => ({
  id: Number(columns.id),
  username: columns.username,
  displayName: columns.display_name,
  role: columns.role,
  tokenVersion: Number(columns.token_version),
});

/**
 * My membership of a conversation with the conversation, as findCaller reads it beside
 * the caller's user: the columns of MembershipColumns from participants `p` and
 * conversations `c`, each named `membership_…` so they can sit beside another table's
 * columns; two primary-key probes, and plain rows, a fifth of the CPU of entities.
 */
const membershipColumns = (direct: DirectSql) =>
  `p.user_id as membership_user_id, p.role as membership_role, p.last_read_seq as membership_last_read_seq, ` +
  `c.id as membership_id, c.kind as membership_kind, c.title as membership_title, c.created_by_id as membership_created_by_id, ` +
  `${ms(direct, 'c.created_at')} as membership_created_at, ` +
  `${ms(direct, 'c.last_message_at')} as membership_last_message_at, c.last_seq as membership_last_seq, c.message_count as membership_message_count`;

type MembershipColumns = {
  membership_user_id: number;
  membership_role: ParticipantRole;
  membership_last_read_seq: number;
} & { [Column in keyof ConversationColumns as `membership_${Column}`]: ConversationColumns[Column] };

function membershipRow(columns: MembershipColumns): MembershipRow {
  return {
    conversation: conversationRow({
      id: columns.membership_id,
      kind: columns.membership_kind,
      title: columns.membership_title,
      created_by_id: columns.membership_created_by_id,
      created_at: columns.membership_created_at,
      last_message_at: columns.membership_last_message_at,
      last_seq: columns.membership_last_seq,
      message_count: columns.membership_message_count,
    }),
    userId: Number(columns.membership_user_id),
    role: columns.membership_role,
    lastReadSeq: Number(columns.membership_last_read_seq),
  };
}

/**
 * Who is in a conversation now (user ids, in the order they joined): whom a committed change
 * is published to. A range of participants_join_order_idx, which holds all it reads.
 */
export async function conversationMemberIds(em: EntityManager, conversationId: number): Promise<number[]> {
  const direct = await directSql(em);
  const rows = await direct.query<{ user_id: number }>(MEMBER_IDS_SQL, [conversationId]);
  return rows.map((row) => Number(row.user_id));
}

/** conversationMemberIds' statement (the send path runs it inside its own transaction). */
export const MEMBER_IDS_SQL = 'select user_id from participants where conversation_id = ? order by joined_at, user_id';

/**
 * My unread count in each of these conversations I am in: messages after my read marker,
 * by others, not deleted (UNREAD_OF_P). Conversations I am not in have no entry.
 */
export async function unreadCountsOf(em: EntityManager, userId: number, conversationIds: readonly number[]): Promise<Map<number, number>> {
  if (conversationIds.length === 0) return new Map();
  const direct = await directSql(em);
  const rows = await direct.query<{ conversation_id: number; unread: number | string }>(
    `select p.conversation_id, ${UNREAD_OF_P} as unread
       from participants p
       join conversations c on c.id = p.conversation_id
      where p.user_id = ? and p.conversation_id ${inList(direct)}`,
    [userId, idList(direct, conversationIds)],
  );
  return new Map(rows.map((row) => [Number(row.conversation_id), Number(row.unread)]));
}

/**
 * My unread further down the inbox than a position (the end of the pages loaded): how many
 * conversations after it hold messages new to me, and how many messages, muted ones left
 * out as the tab's title leaves them out. My rows after the position are a range of
 * participants_inbox_idx; only those whose marker is behind their conversation's last seq
 * are counted (as unreadCountsOf counts).
 */
export async function unreadAfter(
  em: EntityManager,
  query: { userId: number; after: { lastMessageAt: Date; conversationId: number }; now: Date },
): Promise<{ conversations: number; messages: number }> {
  const direct = await directSql(em);
  const rows = await direct.query<{ unread: number | string }>(
    `select ${UNREAD_OF_P} as unread
       from participants p
       join conversations c on c.id = p.conversation_id
      where p.user_id = ? and (p.conversation_last_message_at, p.conversation_id) < (?, ?)
        and p.last_read_seq < c.last_seq
        and not (p.muted and (p.muted_until is null or p.muted_until > ?))`,
    [query.userId, query.after.lastMessageAt, query.after.conversationId, query.now],
  );
  const unread = rows.map((row) => Number(row.unread)).filter((count) => count > 0);
  return { conversations: unread.length, messages: unread.reduce((sum, count) => sum + count, 0) };
}

export interface UserSearch {
  /** Matched as a case-insensitive substring of username or display name; `%` and `_` are literal. */
  query: string;
  /** Never found (the caller). */
  excludeUserId: number;
  /** Members of this conversation are never found: whom "Add people" can still add. */
  notInConversationId?: number;
  /** Never found either: the people already picked for a group being made (at most a group's size). */
  excludeUserIds?: readonly number[];
  /** Counted after the users left out, so a page is full whenever enough others match. */
  limit: number;
}

/**
 * Users whose username or display name contains the query, by username. Walking the
 * username index and testing each user stops after `limit` matches: quick when matches are
 * common, but a query few users match walks them all (100,000 users: 16-18 ms on SQLite's
 * event loop). On SQLite a trigram index (`users_search`, FTS5, kept by triggers.ts) first
 * finds the candidates of a query of three characters or more: when there are at most
 * SEARCH_CANDIDATES, only they are tested and sorted; when there are more, matches are
 * common enough that the walk ends early. The same condition decides in either case, so
 * the answer is the same. On PostgreSQL, pg_trgm's GIN indexes (dialect-indexes.ts) do
 * the same inside the planner, which weighs them against the walk for each call's pattern.
 */
export async function searchUsers(em: EntityManager, search: UserSearch): Promise<UserRow[]> {
  const direct = await directSql(em);
  const pattern = containsPattern(search.query);
  let matches = `u.id <> ? and (${folded(direct, 'u.username')} like ? escape '\\' or ${folded(direct, 'u.display_name')} like ? escape '\\')`;
  const params: SqlValue[] = [search.excludeUserId, pattern, pattern];
  if (search.notInConversationId !== undefined) {
    // One probe of participants' primary key (conversation, user) per match. The walk reads
    // past at most the members (a group has at most 256), so a common query still ends it early.
    matches += ' and not exists (select 1 from participants p where p.conversation_id = ? and p.user_id = u.id)';
    params.push(search.notInConversationId);
  }
  if (search.excludeUserIds?.length) {
    matches += ` and not (u.id ${inList(direct)})`;
    params.push(idList(direct, search.excludeUserIds));
  }
  if (direct.dialect === 'sqlite' && [...search.query].length >= 3) {
    // A phrase of the trigram index: the query's text, quoted (its quotes doubled).
    const phrase = `"${search.query.replaceAll('"', '""')}"`;
    const candidates = await direct.query<{ id: number }>('select rowid as id from users_search where users_search match ? limit ?', [
      phrase,
      SEARCH_CANDIDATES + 1,
    ]);
    if (candidates.length <= SEARCH_CANDIDATES) {
      const rows = await direct.query<UserColumns>(
        `select ${USER_COLUMNS} from users u where u.id ${inList(direct)} and ${matches} order by u.username limit ?`,
        [idList(direct, candidates.map((row) => Number(row.id))), ...params, search.limit],
      );
      return rows.map(userRow);
    }
  }
  // On PostgreSQL the trigram indexes (dialect-indexes.ts) or the username index's walk, whichever the values favour.
  const rows = await direct.queryPlannedEachCall<UserColumns>(`select ${USER_COLUMNS} from users u where ${matches} order by u.username limit ?`, [
    ...params,
    search.limit,
  ]);
  return rows.map(userRow);
}

/** How many trigram candidates users.search tests and sorts before it walks the username index instead. */
const SEARCH_CANDIDATES = 1_000;

/**
 * The users with these ids, by id; ids with no user are left out. What users.byIds answers:
 * one primary-key probe per id, so its cost follows the (bounded) list, never the table.
 */
export async function findUsersByIds(em: EntityManager, userIds: readonly number[]): Promise<UserRow[]> {
  if (userIds.length === 0) return [];
  const direct = await directSql(em);
  const rows = await direct.query<UserColumns>(`select ${USER_COLUMNS} from users u where u.id ${inList(direct)} order by u.id`, [
    idList(direct, userIds),
  ]);
  return rows.map(userRow);
}

/** A conversation as every member's inbox summary shows it: what inbox.onEvent's shared read needs first. */
export interface ConversationHead {
  conversation: ConversationRow;
  /** Every member, in the order they joined. */
  memberIds: number[];
  /** Its newest message, deleted or not. */
  lastMessage: MessageRow | null;
  /** The members its summary names, as inboxPage's rows name them. */
  namedMembers: MemberRow[];
}

/**
 * A conversation's row, its members, its newest message and the members its summary names
 * (`firstMembers` of the first to join, and the newest message's sender), in one statement:
 * null when there is no such conversation. What differs between members (role, unread
 * count) is membersInboxState's. Both are grouped per turn as the send path's reads are
 * (`lookup`): under fan-out the changes of one turn are one statement each on PostgreSQL.
 */
export async function conversationHead(em: EntityManager, conversationId: number, firstMembers: number): Promise<ConversationHead | null> {
  const direct = await directSql(em);
  const memberIds =
    direct.dialect === 'sqlite'
      ? '(select json_group_array(a.user_id order by a.joined_at, a.user_id) from participants a where a.conversation_id = c.id)'
      : 'array(select a.user_id from participants a where a.conversation_id = c.id order by a.joined_at, a.user_id)';
  const [row] = await direct.lookup<ConversationColumns & NewestColumns & { member_ids: string | number[]; named_members: string | NamedMember[] }>(
    `select ${conversationColumns(direct)}, ${memberIds} as member_ids, ${NAMED_MEMBERS_OF(direct, 'c.id', firstMembers)} as named_members,
            ${messageColumns(direct, 'newest', 'newest_')}
       from conversations c
       ${NEWEST_OF(direct, 'c.id')}
      where c.id = ?`,
    [conversationId],
  );
  if (!row) return null;
  const ids = typeof row.member_ids === 'string' ? (JSON.parse(row.member_ids) as number[]) : row.member_ids;
  return {
    conversation: conversationRow(row),
    memberIds: ids.map(Number),
    lastMessage: newestMessage(row),
    namedMembers: namedMembers(row.id, row.named_members),
  };
}

/** A member's own state of a conversation, as their inbox shows it. */
export interface MemberInboxState {
  role: ParticipantRole;
  muted: boolean;
  mutedUntil: Date | null;
  unreadCount: number;
}

/**
 * Each of these members' role, mute and unread count (as unreadCountsOf counts) in one
 * conversation, in one query: the rest of inbox.onEvent's shared read (conversationHead).
 * Users who are not (or no longer) members have no entry.
 *
 * One read for all of them: their rows, the conversation's last seq, and the seqs after the
 * lowest of their markers that are not unread messages (SKIPPED_AFTER); each member's count
 * is then arithmetic and a binary search, however far behind they are.
 */
export async function membersInboxState(
  em: EntityManager,
  conversationId: number,
  userIds: readonly number[],
): Promise<Map<number, MemberInboxState>> {
  const direct = await directSql(em);
  const rows = await direct.lookup<{
    kind: 'member' | 'last' | 'skipped';
    user_id: number | null;
    role: ParticipantRole | null;
    muted: boolean | number | null;
    muted_until: unknown;
    seq: number;
  }>(
    `with wanted as (select p.user_id, p.role, p.muted, p.muted_until, p.last_read_seq from participants p
                      where p.conversation_id = ? and p.user_id ${inList(direct)})
     select 'member' as kind, user_id, role, muted, muted_until, last_read_seq as seq from wanted
     union all
     select 'last', null, null, null, null, c.last_seq from conversations c where c.id = ?
     union all
     select 'skipped', null, null, null, null, skipped.seq from (${SKIPPED_AFTER('?', '(select min(last_read_seq) from wanted)')}) skipped`,
    [conversationId, idList(direct, userIds), conversationId, conversationId, conversationId],
  );
  let lastSeq = 0;
  const skipped: number[] = [];
  const members: (Omit<MemberInboxState, 'unreadCount'> & { userId: number; lastReadSeq: number })[] = [];
  for (const row of rows) {
    const seq = Number(row.seq);
    if (row.kind === 'last') lastSeq = seq;
    else if (row.kind === 'skipped') skipped.push(seq);
    else if (row.role !== null) {
      const mutedUntil = row.muted_until === null ? null : timeOf(row.muted_until);
      members.push({ userId: Number(row.user_id), role: row.role, muted: Boolean(row.muted), mutedUntil, lastReadSeq: seq });
    }
  }
  // A union's rows come in no promised order.
  skipped.sort((a, b) => a - b);
  return new Map(
    members.map(({ userId, lastReadSeq, ...mine }) => [
      userId,
      { ...mine, unreadCount: lastSeq - lastReadSeq - countAfter(skipped, lastReadSeq) },
    ]),
  );
}

/** How many of `ascending` are greater than `seq` (a binary search). */
function countAfter(ascending: readonly number[], seq: number): number {
  let low = 0;
  let high = ascending.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((ascending[middle] ?? 0) <= seq) low = middle + 1;
    else high = middle;
  }
  return ascending.length - low;
}

/** The message a sender stored under a clientId (the idempotency key of a send), if any. */
export async function findMessageByClientId(em: EntityManager, senderId: number, clientId: string): Promise<MessageRow | null> {
  const direct = await directSql(em);
  const [row] = await direct.lookup<MessageColumns>(
    `select ${messageColumns(direct, 'messages')} from messages where sender_id = ? and client_id = ?`,
    [senderId, clientId],
  );
  return row ? messageRow(row) : null;
}

export interface HistoryQuery {
  conversationId: number;
  /** Only messages with a lower seq (older), newest of them first. */
  before?: number | undefined;
  /** Only messages with a higher seq (newer), oldest of them first. */
  after?: number | undefined;
  /** Messages a page holds at most. */
  limit: number;
  /** Notices a page holds at most. */
  noticeLimit: number;
}

/**
 * A conversation's events shown between its messages: every event that is not about a
 * message (members added, removed or left, role changes, renames).
 */
export type NoticeType = Exclude<ConversationEventType, `message.${string}`>;
const NOTICE_TYPES = EVENT_TYPES.filter((type): type is NoticeType => !type.startsWith('message.'));

/** One event of NOTICE_TYPES, as the log holds it. */
export interface NoticeRow {
  conversationId: number;
  seq: number;
  type: NoticeType;
  actorId: number;
  payload: Record<string, unknown> | null;
  createdAt: Date;
}

export interface HistoryRows {
  /** Descending by seq, except ascending with `after`. */
  messages: MessageRow[];
  /** More messages or notices exist beyond these, in the direction read. */
  hasMore: boolean;
  /**
   * The notices from these messages' first to the next page's (for the page that ends the
   * history, to its end), ascending: consecutive pages carry each once. At most
   * `noticeLimit`, the nearest the end the page was read from; when there are more, the page
   * ends at its last notice (its messages beyond it are left to the next page) and the next
   * page is read from there.
   */
  notices: NoticeRow[];
}

/**
 * A page of history: up to `limit` messages from one end of a seq range (a range of the
 * messages' (conversation_id, seq) key), and the notices among them (a range of
 * conversation_events_changes_idx, which holds only events that are not a new message, so
 * it costs nothing where only messages happened). One statement, one snapshot: on
 * PostgreSQL one round trip. The span the notices cover needs the page's far end, so the
 * statement reads one message more than the page (which also says whether there are more).
 */
export async function historyPage(em: EntityManager, query: HistoryQuery): Promise<HistoryRows> {
  const direct = await directSql(em);
  const forward = query.after !== undefined;
  const position = forward ? query.after : query.before;
  const range = position === undefined ? '' : forward ? ' and seq > ?' : ' and seq < ?';
  // The seq of the page's last message when a next page exists: the row read beyond it is the next page's.
  const farEnd = `case when (select count(*) from page) > ? then (select seq from page order by seq ${forward ? 'desc' : 'asc'} limit 1 offset 1) end`;
  const noticeSpan = forward
    ? ` and e.seq > ? and ((select far_end from bounds) is null or e.seq < (select far_end from bounds))`
    : ` and e.seq > coalesce((select far_end from bounds), 0)${position === undefined ? '' : ' and e.seq < ?'}`;
  const params: SqlValue[] = [query.conversationId];
  if (position !== undefined) params.push(position);
  params.push(query.limit + 1, query.limit, query.conversationId);
  if (position !== undefined) params.push(position);
  params.push(query.noticeLimit + 1);
  const rows = await direct.query<MessageColumns & { type: NoticeType | null; payload: unknown }>(
    `with page as (
       select ${messageColumns(direct, 'messages')} from messages
        where conversation_id = ?${range}
        order by seq ${forward ? 'asc' : 'desc'}
        limit ?
     ), bounds as (select ${farEnd} as far_end)
     select id, conversation_id, seq, sender_id, body, client_id, created_at, edited_at, deleted_at, null as type, null as payload
       from page
     union all
     -- Typed nulls: a subquery's bare null would be text on PostgreSQL, unlike the page's columns.
     select * from (
       select cast(null as integer) as id, e.conversation_id, e.seq, e.actor_id as sender_id, cast(null as text) as body,
              cast(null as text) as client_id, ${ms(direct, 'e.created_at')} as created_at,
              cast(null as double precision) as edited_at, cast(null as double precision) as deleted_at, e.type, e.payload
         from conversation_events e
        where e.conversation_id = ?${noticeSpan}
          and e.type <> 'message.created' and e.type in (${NOTICE_TYPES.map((type) => `'${type}'`).join(', ')})
        order by e.seq ${forward ? 'asc' : 'desc'}
        limit ?
     ) notices`,
    params,
  );
  const messages: MessageRow[] = [];
  const notices: NoticeRow[] = [];
  for (const row of rows) {
    // A message's row has no event type.
    if (row.type === null) {
      messages.push(messageRow(row));
      continue;
    }
    notices.push({
      conversationId: Number(row.conversation_id),
      seq: Number(row.seq),
      type: row.type,
      actorId: Number(row.sender_id),
      // JSON text on SQLite, parsed by the driver on PostgreSQL.
      payload: (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<string, unknown> | null,
      createdAt: timeOf(row.created_at),
    });
  }
  const order = forward ? 1 : -1;
  messages.sort((a, b) => order * (a.seq - b.seq));
  notices.sort((a, b) => a.seq - b.seq);
  const page = messages.slice(0, query.limit);
  if (notices.length <= query.noticeLimit) return { messages: page, hasMore: messages.length > query.limit, notices };
  // More notices than a page holds: the page ends at the last one it keeps, and the messages
  // beyond that come with the next page, which starts there (so none of the rest is skipped).
  const kept = forward ? notices.slice(0, query.noticeLimit) : notices.slice(-query.noticeLimit);
  const edge = (forward ? kept.at(-1) : kept[0])?.seq ?? 0;
  return { messages: page.filter((message) => (forward ? message.seq < edge : message.seq > edge)), hasMore: true, notices: kept };
}

/**
 * The seqs of conversation `conversationId` after `seq` (SQL expressions) that are not an
 * unread message: the events that are not a new message (edits, deletes, membership,
 * renames; a range of conversation_events_changes_idx) and the messages since deleted (a
 * range of messages_deleted_idx). Both indexes hold only such entries, so this reads only
 * what it returns: nothing while nobody edits or deletes.
 */
const SKIPPED_AFTER = (conversationId: string, seq: string) =>
  `select e.seq from conversation_events e where e.conversation_id = ${conversationId} and e.seq > ${seq} and e.type <> 'message.created'
   union all
   select d.seq from messages d where d.conversation_id = ${conversationId} and d.seq > ${seq} and d.deleted_at is not null`;

/**
 * The unread count of participant row `p` in conversation `c`: every seq after its marker
 * is an event, so the messages after it are the seqs after it less SKIPPED_AFTER; none of
 * them is its member's own, since a message moves its sender's marker (triggers.ts). Two
 * ranges of indexes that hold only edits, deletes and the like: the cost follows those,
 * never the unread messages or the history.
 */
const UNREAD_OF_P = `(c.last_seq - p.last_read_seq - (select count(*) from (${SKIPPED_AFTER('p.conversation_id', 'p.last_read_seq')}) skipped))`;

/**
 * The newest message of conversation `conversationId` (an SQL expression), deleted or not,
 * joined as `newest` (its columns all null when there is none): the last entry of the
 * messages' (conversation_id, seq) key. PostgreSQL reads it in one backward step of that
 * index (a lateral join); the max(seq) probe and the probe for that seq, as SQLite does it,
 * cost PostgreSQL ~0.3 ms more per inbox page (1.5 vs 1.8 ms for the statement, pgbench).
 */
const NEWEST_OF = (direct: DirectSql, conversationId: string) =>
  direct.dialect === 'sqlite'
    ? `left join messages newest on newest.conversation_id = ${conversationId}
        and newest.seq = (select max(top.seq) from messages top where top.conversation_id = ${conversationId})`
    : `left join lateral (select * from messages top where top.conversation_id = ${conversationId}
        order by top.seq desc limit 1) newest on true`;

/**
 * The members a conversation's summary names (the conversation: the SQL expression
 * `conversationId`; its `firstMembers` first to join, and the sender of message `newest`
 * while a member), in the order they joined, as a JSON array of NamedMember: the start of a
 * range of participants_join_order_idx, a key probe for the sender, and one for each user's
 * names. The count is written into the SQL, not bound: on SQLite a bound LIMIT made
 * conversationHead 3-4x slower (~90 vs ~25 us, the same plan), and callers use one count,
 * so it is still one SQL text.
 */
const NAMED_MEMBERS_OF = (direct: DirectSql, conversationId: string, firstMembers: number) => {
  if (!Number.isSafeInteger(firstMembers) || firstMembers < 0) throw new RangeError(`Not a member count: ${firstMembers}`);
  const [agg, entry] =
    direct.dialect === 'sqlite'
      ? ['json_group_array', 'json_array']
      : ['json_agg', 'json_build_array'];
  return `(select coalesce(${agg}(${entry}(m.user_id, u.username, u.display_name, m.role, ${ms(direct, 'm.joined_at')}, m.last_read_seq) order by m.joined_at, m.user_id), '[]')
      from (select * from (select f.user_id, f.role, f.joined_at, f.last_read_seq from participants f
                            where f.conversation_id = ${conversationId} order by f.joined_at, f.user_id limit ${firstMembers}) first_members
            union
            select s.user_id, s.role, s.joined_at, s.last_read_seq from participants s
             where s.conversation_id = ${conversationId} and s.user_id = newest.sender_id) m
      join users u on u.id = m.user_id)`;
};

/** A named member as NAMED_MEMBERS_OF writes it: user id, username, display name, role, joinedAt, lastReadSeq. */
type NamedMember = [number, string, string, ParticipantRole, unknown, number];

/** NAMED_MEMBERS_OF's column as rows: JSON text (SQLite) or as node-postgres parses json. */
function namedMembers(conversationId: number, column: string | NamedMember[]): MemberRow[] {
  return (typeof column === 'string' ? (JSON.parse(column) as NamedMember[]) : column).map(
    ([userId, username, displayName, role, joinedAt, lastReadSeq]) => ({
      conversationId: Number(conversationId),
      userId: Number(userId),
      username,
      displayName,
      role,
      joinedAt: timeOf(joinedAt),
      lastReadSeq: Number(lastReadSeq),
    }),
  );
}

/**
 * A time column as epoch milliseconds, as SQLite stores it: PostgreSQL's text form would
 * cost a date parse per value in JavaScript (a page's members alone hold hundreds).
 * Sub-millisecond digits (never written by Parley) are cut off, as a Date would.
 */
const ms = (direct: DirectSql, column: string) =>
  direct.dialect === 'sqlite' ? column : `(extract(epoch from ${column}) * 1000)::float8`;

/** A LIKE pattern (escape '\') for "contains `text`", case-folded (foldCase), its wildcards literal. */
const containsPattern = (text: string) => `%${foldCase(text).replace(/[\\%_]/g, (char) => `\\${char}`)}%`;

/**
 * `column` case-folded for a LIKE with containsPattern, for all of Unicode. PostgreSQL's
 * lower() folds by the database's LC_CTYPE (all of Unicode under a UTF-8 one, such as
 * C.UTF-8; docs/ARCHITECTURE.md, "Search"), and users.search's trigram indexes are built on
 * it. SQLite's lower() and LIKE fold only ASCII: text with other characters goes through
 * FOLD_FUNCTION (foldCase, as the pattern does), and ASCII text is left to LIKE itself, so
 * a walk over ASCII names costs what it did with lower() and never calls into JavaScript.
 */
const folded = (direct: DirectSql, column: string) =>
  direct.dialect === 'sqlite'
    ? `(case when length(${column}) = octet_length(${column}) then ${column} else ${FOLD_FUNCTION}(${column}) end)`
    : `lower(${column})`;

/**
 * What every client calls a notes-to-self conversation, which has no title: the inbox
 * search finds it by that name as it finds a group by its title.
 */
const SELF_CONVERSATION_NAME = 'Notes to self';

// A list of ids as one parameter, so each query is one SQL text whatever the page size.
const inList = (direct: DirectSql) => (direct.dialect === 'sqlite' ? 'in (select value from json_each(?))' : '= any(?::int[])');
const idList = (direct: DirectSql, ids: readonly number[]) =>
  direct.dialect === 'sqlite' ? `[${ids.map(Number).join(',')}]` : `{${ids.map(Number).join(',')}}`;

/** The columns of ConversationColumns from conversations `c`. */
const conversationColumns = (direct: DirectSql) =>
  `c.id, c.kind, c.title, c.created_by_id, ${ms(direct, 'c.created_at')} as created_at, ${ms(direct, 'c.last_message_at')} as last_message_at, c.last_seq, c.message_count`;

interface ConversationColumns {
  id: number;
  kind: ConversationKind;
  title: string | null;
  created_by_id: number;
  created_at: unknown;
  last_message_at: unknown;
  last_seq: number;
  message_count: number;
}

function conversationRow(columns: ConversationColumns): ConversationRow {
  return {
    id: Number(columns.id),
    kind: columns.kind,
    title: columns.title ?? null,
    createdBy: Number(columns.created_by_id),
    createdAt: timeOf(columns.created_at),
    lastMessageAt: timeOf(columns.last_message_at),
    lastSeq: Number(columns.last_seq),
    messageCount: Number(columns.message_count),
  };
}

/**
 * A page row: the conversation, my role and unread count, and its newest message (whose
 * columns are all null when it has none: read them only when newest_id is not).
 */
type InboxColumns = ConversationColumns &
  NewestColumns & {
    role: ParticipantRole;
    /** 0 or 1 on SQLite. */
    muted: boolean | number;
    muted_until: unknown;
    unread: number | string;
    /** JSON text (SQLite) or as node-postgres parses json. */
    named_members: string | NamedMember[];
    member_count: number | string;
  };

/** The newest message's columns (`messageColumns(direct, 'newest', 'newest_')`), null when there is none. */
type NewestColumns = { newest_id: number | null } & {
  [Column in Exclude<keyof MessageColumns, 'id'> as `newest_${Column}`]: MessageColumns[Column];
};

function newestMessage(row: NewestColumns): MessageRow | null {
  if (row.newest_id == null) return null;
  return messageRow({
    id: row.newest_id,
    conversation_id: row.newest_conversation_id,
    seq: row.newest_seq,
    sender_id: row.newest_sender_id,
    body: row.newest_body,
    client_id: row.newest_client_id,
    created_at: row.newest_created_at,
    edited_at: row.newest_edited_at,
    deleted_at: row.newest_deleted_at,
  });
}

interface MessageColumns {
  id: number;
  conversation_id: number;
  seq: number;
  sender_id: number;
  body: string;
  client_id: string;
  created_at: unknown;
  edited_at: unknown;
  deleted_at: unknown;
}

/** The columns of MessageColumns from `table`, each named with `prefix`. */
const messageColumns = (direct: DirectSql, table: string, prefix = '') =>
  [
    ...['id', 'conversation_id', 'seq', 'sender_id', 'body', 'client_id'].map((column) => `${table}.${column} as ${prefix}${column}`),
    ...['created_at', 'edited_at', 'deleted_at'].map((column) => `${ms(direct, `${table}.${column}`)} as ${prefix}${column}`),
  ].join(', ');

function messageRow(columns: MessageColumns): MessageRow {
  return {
    id: Number(columns.id),
    conversationId: Number(columns.conversation_id),
    seq: Number(columns.seq),
    senderId: Number(columns.sender_id),
    body: columns.body,
    clientId: columns.client_id,
    createdAt: timeOf(columns.created_at),
    editedAt: columns.edited_at == null ? null : timeOf(columns.edited_at),
    deletedAt: columns.deleted_at == null ? null : timeOf(columns.deleted_at),
  };
}
