/**
 * Stored usage statistics for the admin view, computed in the database (never by loading
 * rows) with the same SQL on SQLite and PostgreSQL except for the two date buckets. All
 * days and hours are UTC. Deleted messages do not count.
 */
import { CONVERSATION_KINDS, ConversationSchema, dialectOf, type ConversationKind, type EntityManager } from '@parley/db';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
export const STATS_DAYS = 30;

export interface StoredStats {
  generatedAt: string;
  users: { total: number; newToday: number; newLast7Days: number; dailyActive: number; monthlyActive: number };
  conversations: { total: number; byKind: Record<ConversationKind, number>; averageMessages: number };
  messages: { total: number; today: number };
  /** The last 30 UTC days, oldest first, days without messages included. */
  messagesPerDay: { date: string; messages: number; activeSenders: number }[];
  /** Most messages in the last 7 days. */
  topConversations: { id: number; kind: ConversationKind; title: string | null; messages: number }[];
  /** Messages of the last 30 days by UTC weekday (0 = Sunday) and hour: busiestHours[weekday][hour]. */
  busiestHours: number[][];
}

/** SQL for the UTC day and hour number (since 1970-01-01) of a timestamp column. */
function buckets(em: EntityManager) {
  const sqlite = dialectOf(em) === 'sqlite';
  // SQLite keeps datetimes as epoch milliseconds; PostgreSQL as timestamptz, whose
  // date_part('epoch') is a float8 (extract() would be a much slower numeric).
  const per = (ms: number) => (column: string) =>
    sqlite ? `(${column} / ${ms})` : `floor(date_part('epoch', ${column}) / ${ms / 1000})::int`;
  return {
    day: per(DAY_MS),
    hour: per(HOUR_MS),
    /** A bound parameter for a datetime column. */
    at: (date: Date) => (sqlite ? date.getTime() : date.toISOString()),
  };
}

const num = (value: unknown) => Number(value ?? 0);

/**
 * Computes the figures at `now`. Every statement reads one snapshot (a read transaction),
 * so totals and per-day figures agree even while messages are being sent. The month of
 * messages is read through the partial index messages_live_created_idx (live messages by
 * time, with sender and conversation) and active users by probing
 * messages_sender_created_idx once per user and period: see docs/ARCHITECTURE.md.
 */
export async function storedStats(em: EntityManager, now = new Date()): Promise<StoredStats> {
  const postgres = dialectOf(em) === 'postgresql';
  // SQLite's transactions are snapshots already; PostgreSQL needs repeatable read for one.
  return em.transactional((tx) => computeStoredStats(tx, now), postgres ? { isolationLevel: 'repeatable read', readOnly: true } : {});
}

async function computeStoredStats(em: EntityManager, now: Date): Promise<StoredStats> {
  const { day, hour, at } = buckets(em);
  // em.execute runs inside the transaction this manager belongs to.
  const query = async <Row>(sql: string, params: unknown[] = []) => em.execute<Row[]>(sql, params);

  const today = Math.floor(now.getTime() / DAY_MS);
  const dayStart = (dayNumber: number) => new Date(dayNumber * DAY_MS);
  const todayStart = at(dayStart(today));
  const weekStart = at(dayStart(today - 6));
  const monthStart = at(dayStart(today - (STATS_DAYS - 1)));
  // Statements of one transaction run one after another on its connection.
  const users = await query<{ total: unknown; new_today: unknown; new_week: unknown }>(
    `select count(*) as total,
            sum(case when created_at >= ? then 1 else 0 end) as new_today,
            sum(case when created_at >= ? then 1 else 0 end) as new_week
       from users`,
    [todayStart, weekStart],
  );
  // Active = sent a message (deleted or not) or connected (lastSeenAt) in the period: two
  // index probes per user, instead of reading a month of messages.
  const sentSince = 'exists (select 1 from messages m where m.sender_id = u.id and m.created_at >= ?)';
  const active = await query<{ daily: unknown; monthly: unknown }>(
    `select sum(case when u.last_seen_at >= ? or ${sentSince} then 1 else 0 end) as daily,
            sum(case when u.last_seen_at >= ? or ${sentSince} then 1 else 0 end) as monthly
       from users u`,
    [todayStart, todayStart, monthStart, monthStart],
  );
  const kinds = await query<{ kind: ConversationKind; conversations: unknown; messages: unknown }>(
    'select kind, count(*) as conversations, sum(message_count) as messages from conversations group by kind',
  );
  // One bucket per UTC hour of the month gives messages per day and the hour x weekday grid.
  const byHour = await query<{ h: unknown; n: unknown }>(
    `select ${hour('created_at')} as h, count(*) as n
       from messages where deleted_at is null and created_at >= ? group by 1`,
    [monthStart],
  );
  const sendersByDay = await query<{ d: unknown; n: unknown }>(
    `select ${day('created_at')} as d, count(distinct sender_id) as n
       from messages where deleted_at is null and created_at >= ? group by 1`,
    [monthStart],
  );
  // Materialized, so SQLite reads the week by time rather than every message by conversation.
  const top = await query<{ conversation_id: unknown; n: unknown }>(
    `with recent as materialized (select conversation_id from messages where deleted_at is null and created_at >= ?)
     select conversation_id, count(*) as n from recent
      group by conversation_id order by n desc, conversation_id asc limit 5`,
    [weekStart],
  );

  const byKind = Object.fromEntries(CONVERSATION_KINDS.map((kind) => [kind, 0])) as Record<ConversationKind, number>;
  let conversations = 0;
  let totalMessages = 0;
  for (const row of kinds) {
    byKind[row.kind] = num(row.conversations);
    conversations += num(row.conversations);
    totalMessages += num(row.messages);
  }

  const perDay = new Map<number, number>();
  const busiestHours = Array.from({ length: 7 }, () => Array<number>(24).fill(0));
  let messagesToday = 0;
  for (const row of byHour) {
    const hourNumber = num(row.h);
    const dayNumber = Math.floor(hourNumber / 24);
    const messages = num(row.n);
    perDay.set(dayNumber, (perDay.get(dayNumber) ?? 0) + messages);
    if (dayNumber === today) messagesToday += messages;
    // 1970-01-01 was a Thursday (weekday 4).
    const hours = busiestHours[(dayNumber + 4) % 7];
    if (hours) hours[hourNumber % 24] = (hours[hourNumber % 24] ?? 0) + messages;
  }
  const senders = new Map(sendersByDay.map((row) => [num(row.d), num(row.n)]));
  const messagesPerDay = Array.from({ length: STATS_DAYS }, (_, i) => {
    const dayNumber = today - (STATS_DAYS - 1) + i;
    return {
      date: dayStart(dayNumber).toISOString().slice(0, 10),
      messages: perDay.get(dayNumber) ?? 0,
      activeSenders: senders.get(dayNumber) ?? 0,
    };
  });

  const topIds = top.map((row) => num(row.conversation_id));
  const topRows = topIds.length ? await em.find(ConversationSchema, { id: { $in: topIds } }) : [];
  const topConversations = top.flatMap((row) => {
    const conversation = topRows.find((candidate) => candidate.id === num(row.conversation_id));
    return conversation
      ? [{ id: conversation.id, kind: conversation.kind, title: conversation.title ?? null, messages: num(row.n) }]
      : [];
  });

  const [userRow] = users;
  const [activeRow] = active;
  return {
    generatedAt: now.toISOString(),
    users: {
      total: num(userRow?.total),
      newToday: num(userRow?.new_today),
      newLast7Days: num(userRow?.new_week),
      dailyActive: num(activeRow?.daily),
      monthlyActive: num(activeRow?.monthly),
    },
    conversations: {
      total: conversations,
      byKind,
      averageMessages: conversations ? Math.round((totalMessages / conversations) * 100) / 100 : 0,
    },
    messages: { total: totalMessages, today: messagesToday },
    messagesPerDay,
    topConversations,
    busiestHours,
  };
}
