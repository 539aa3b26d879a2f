/**
 * The stored statistics stay exact under load: 200 concurrent sends and 50 concurrent
 * deletes (some of the same message twice) through the real router, then messageCount,
 * lastSeq and every stored figure are checked against what the test itself sent and
 * deleted — on SQLite and PostgreSQL. Then the per-process cache admin.stats goes
 * through: figures up to STORED_STATS_TTL_MS old by design, shared by concurrent admins.
 */
import { MessageSchema, testDialects } from '@parley/db';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MessageView } from '../src/index.ts';
import { STORED_STATS_TTL_MS, storedStatsCache } from '../src/services/stats-cache.ts';
import { storedStats, type StoredStats } from '../src/services/stats.ts';
import type { TestUser } from './harness.ts';
import { clientIds, conversationRow, useTestApi } from './helpers.ts';

const DAY = 86_400_000;
const dayOf = (iso: string) => Math.floor(Date.parse(iso) / DAY);

describe.each(testDialects())('stored statistics under concurrent sends and deletes on %s', (dialect) => {
  const api = useTestApi(dialect);
  let boss: TestUser;
  let people: TestUser[];
  /** Each conversation with the people who may send to it. */
  let rooms: { id: number; members: TestUser[] }[];
  let sent: MessageView[];
  let deletedIds: Set<number>;

  beforeAll(async () => {
    boss = await api().seedUser('stats_boss', { role: 'admin' });
    people = [];
    for (const name of ['ann', 'ben', 'cal', 'dot', 'eve', 'fay']) people.push(await api().seedUser(`stats_${name}`));
    const [ann, ben, cal, dot, eve, fay] = people;
    if (!ann || !ben || !cal || !dot || !eve || !fay) throw new Error('fixture users missing');
    const group = await ann.api.conversations.create({ kind: 'group', title: 'Everyone', participantIds: people.slice(1).map((p) => p.id) });
    const small = await cal.api.conversations.create({ kind: 'group', title: 'Small', participantIds: [dot.id, eve.id] });
    const dmAnnBen = await ann.api.conversations.create({ kind: 'direct', participantIds: [ben.id] });
    const dmEveFay = await eve.api.conversations.create({ kind: 'direct', participantIds: [fay.id] });
    const notes = await fay.api.conversations.create({ kind: 'self' });
    rooms = [
      { id: group.id, members: people },
      { id: small.id, members: [cal, dot, eve] },
      { id: dmAnnBen.id, members: [ann, ben] },
      { id: dmEveFay.id, members: [eve, fay] },
      { id: notes.id, members: [fay] },
    ];

    // 200 sends at once, spread unevenly (the group gets the most), every sender a member.
    sent = await Promise.all(
      clientIds('load', 200).map((clientId, i) => {
        const room = rooms[i % 7 < 3 ? 0 : (i % 7) - 2] ?? rooms[0];
        const sender = room?.members[i % (room.members.length)];
        if (!room || !sender) throw new Error('fixture room missing');
        return sender.api.messages.send({ conversationId: room.id, body: `load ${i}`, clientId });
      }),
    );

    // 50 deletes at once: 40 messages by their senders, 10 of them asked twice, and the
    // group owner (ann) removing another 10 in her group.
    const ownDeletes = sent.filter((_, i) => i % 4 === 1).slice(0, 30);
    const groupDeletes = sent.filter((message) => message.conversationId === group.id && message.senderId !== ann.id && !ownDeletes.includes(message)).slice(0, 10);
    const bySender = (message: MessageView) => {
      const sender = people.find((person) => person.id === message.senderId);
      if (!sender) throw new Error(`no caller for user ${message.senderId}`);
      return sender.api.messages.delete({ id: message.id });
    };
    const deletes = [
      ...ownDeletes.map(bySender),
      ...ownDeletes.slice(0, 10).map(bySender),
      ...groupDeletes.map((message) => ann.api.messages.delete({ id: message.id })),
    ];
    expect(deletes).toHaveLength(50);
    await Promise.all(deletes);
    deletedIds = new Set([...ownDeletes, ...groupDeletes].map((message) => message.id));
    expect(deletedIds.size).toBe(40);
  });

  it('keeps every messageCount and lastSeq exact', async () => {
    for (const room of rooms) {
      const mine = sent.filter((message) => message.conversationId === room.id);
      const live = mine.filter((message) => !deletedIds.has(message.id)).length;
      const row = await conversationRow(api(), room.id);
      const stored = await api().db.em.fork().count(MessageSchema, { conversation: room.id, deletedAt: null });
      // One event per send and per (first) delete.
      expect({ messageCount: row.messageCount, live: stored, lastSeq: row.lastSeq }).toEqual({
        messageCount: live,
        live,
        lastSeq: mine.length + (mine.length - live),
      });
    }
  });

  it('gives stored figures equal to what was sent and deleted, through admin.stats', async () => {
    // The first admin.stats of this database: computed now, not served from a cache.
    const viaRouter = (await boss.api.admin.stats()).stored;
    const direct = await storedStats(api().db.em.fork());
    for (const stats of [viaRouter, direct]) expectFiguresOfTheLoad(stats);
  });

  function expectFiguresOfTheLoad(stats: StoredStats) {
    const today = dayOf(stats.generatedAt);
    const live = sent.filter((message) => !deletedIds.has(message.id));
    expect(stats.messages).toEqual({ total: live.length, today: live.filter((m) => dayOf(m.createdAt) === today).length });
    expect(stats.conversations).toEqual({
      total: rooms.length,
      byKind: { direct: 2, group: 2, self: 1 },
      averageMessages: Math.round((live.length / rooms.length) * 100) / 100,
    });
    // Active today: everyone who sent, deleted or not (nobody here connected a socket).
    const sendersToday = new Set(sent.filter((m) => dayOf(m.createdAt) === today).map((m) => m.senderId));
    expect(stats.users).toMatchObject({ total: people.length + 1, dailyActive: sendersToday.size, monthlyActive: new Set(sent.map((m) => m.senderId)).size });

    for (const day of stats.messagesPerDay) {
      const onDay = live.filter((m) => dayOf(m.createdAt) === dayOf(`${day.date}T00:00:00Z`));
      expect(day).toEqual({ date: day.date, messages: onDay.length, activeSenders: new Set(onDay.map((m) => m.senderId)).size });
    }
    const perRoom = rooms
      .map((room) => [room.id, live.filter((m) => m.conversationId === room.id).length] as const)
      .filter(([, count]) => count > 0)
      .sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    expect(stats.topConversations.map((c) => [c.id, c.messages])).toEqual(perRoom.slice(0, 5));
    const hours = Array.from({ length: 7 }, () => Array<number>(24).fill(0));
    for (const m of live) {
      const at = new Date(m.createdAt);
      const row = hours[at.getUTCDay()];
      if (row) row[at.getUTCHours()] = (row[at.getUTCHours()] ?? 0) + 1;
    }
    expect(stats.busiestHours).toEqual(hours);
  }

  it('serves admin.stats from a per-process cache for a short while, then computes it again', async () => {
    const [first] = people;
    const room = rooms[0];
    if (!first || !room) throw new Error('fixture missing');
    const cache = storedStatsCache(api().db);
    cache.invalidate();
    // Admins asking at the same time share one computation.
    const together = await Promise.all(Array.from({ length: 5 }, () => boss.api.admin.stats()));
    expect(new Set(together.map((result) => result.stored.generatedAt)).size).toBe(1);
    // And say for how long, so the admin view can tell why a refresh brought the same figures.
    expect(together[0]?.storedMaxAgeMs).toBe(STORED_STATS_TTL_MS);
    const before = together[0]?.stored;

    // A message sent now shows up only once the figures are computed again.
    await first.api.messages.send({ conversationId: room.id, body: 'after the snapshot', clientId: 'after-cache' });
    const cached = (await boss.api.admin.stats()).stored;
    expect(cached).toEqual(before);
    expect(Date.now() - Date.parse(cached.generatedAt)).toBeLessThan(STORED_STATS_TTL_MS);

    cache.invalidate();
    const fresh = (await boss.api.admin.stats()).stored;
    expect(fresh.messages.total).toBe((before?.messages.total ?? 0) + 1);
    expect(Date.parse(fresh.generatedAt)).toBeGreaterThan(Date.parse(before?.generatedAt ?? ''));
  });
});
