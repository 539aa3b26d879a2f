/**
 * Stored usage statistics for the admin view, computed in the database (never by loading
 * rows) with the same SQL on SQLite and PostgreSQL except for the two date buckets. All
 * days and hours are UTC. Deleted messages do not count.
 */
import { CONVERSATION_KINDS, ConversationSchema, dialectOf, type ConversationKind, type EntityManager } from '@parley/db';

const DAY_MS = 86_400_000;
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

/** SQL for the UTC day number (days since 1970-01-01) and hour of a timestamp column. */
function buckets(em: EntityManager) {
  const sqlite = dialectOf(em) === 'sqlite';
  return {
    // SQLite keeps datetimes as epoch milliseconds; PostgreSQL as timestamptz.
    day: (column: string) => (sqlite ? `(${column} / ${DAY_MS})` : `floor(extract(epoch from ${column}) / 86400)::int`),
    hour: (column: string) => (sqlite ? `((${column} / 3600000) % 24)` : `extract(hour from ${column} at time zone 'UTC')::int`),
    /** A bound parameter for a datetime column. */
    at: (date: Date) => (sqlite ? date.getTime() : date.toISOString()),
  };
}

const num = (value: unknown) => Number(value ?? 0);

export async function storedStats(em: EntityManager, now = new Date()): Promise<StoredStats> {
  const { day, hour, at } = buckets(em);
  const connection = em.getConnection();
  const query = async <Row>(sql: string, params: unknown[] = []) => connection.execute<Row[]>(sql, params);

  const today = Math.floor(now.getTime() / DAY_MS);
  const dayStart = (dayNumber: number) => new Date(dayNumber * DAY_MS);
  const todayStart = at(dayStart(today));
  const weekStart = at(dayStart(today - 6));
  const monthStart = at(dayStart(today - (STATS_DAYS - 1)));

  const [users, active, kinds, messagesToday, byDayHour, sendersByDay, top] = await Promise.all([
    query<{ total: unknown; new_today: unknown; new_week: unknown }>(
      `select count(*) as total,
              sum(case when created_at >= ? then 1 else 0 end) as new_today,
              sum(case when created_at >= ? then 1 else 0 end) as new_week
         from users`,
      [todayStart, weekStart],
    ),
    // Active = sent a message or connected (lastSeenAt) in the period.
    query<{ daily: unknown; monthly: unknown }>(
      `select count(distinct case when seen >= ? then user_id end) as daily, count(distinct user_id) as monthly
         from (select sender_id as user_id, created_at as seen from messages where created_at >= ?
               union all
               select id as user_id, last_seen_at as seen from users where last_seen_at >= ?) as activity`,
      [todayStart, monthStart, monthStart],
    ),
    query<{ kind: ConversationKind; conversations: unknown; messages: unknown }>(
      'select kind, count(*) as conversations, sum(message_count) as messages from conversations group by kind',
    ),
    query<{ n: unknown }>('select count(*) as n from messages where deleted_at is null and created_at >= ?', [todayStart]),
    query<{ d: unknown; h: unknown; n: unknown }>(
      `select ${day('created_at')} as d, ${hour('created_at')} as h, count(*) as n
         from messages where deleted_at is null and created_at >= ? group by 1, 2`,
      [monthStart],
    ),
    query<{ d: unknown; n: unknown }>(
      `select ${day('created_at')} as d, count(distinct sender_id) as n
         from messages where deleted_at is null and created_at >= ? group by 1`,
      [monthStart],
    ),
    query<{ conversation_id: unknown; n: unknown }>(
      `select conversation_id, count(*) as n from messages
        where deleted_at is null and created_at >= ?
        group by conversation_id order by n desc, conversation_id asc limit 5`,
      [weekStart],
    ),
  ]);

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
  for (const row of byDayHour) {
    const dayNumber = num(row.d);
    perDay.set(dayNumber, (perDay.get(dayNumber) ?? 0) + num(row.n));
    // 1970-01-01 was a Thursday (weekday 4).
    const weekday = (dayNumber + 4) % 7;
    const hours = busiestHours[weekday];
    if (hours) hours[num(row.h)] = (hours[num(row.h)] ?? 0) + num(row.n);
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
    messages: { total: totalMessages, today: num(messagesToday[0]?.n) },
    messagesPerDay,
    topConversations,
    busiestHours,
  };
}
