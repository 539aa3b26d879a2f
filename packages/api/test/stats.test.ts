/**
 * admin.stats on a database with known contents: every stored figure equals the value
 * computed here, independently, from the fixtures — on SQLite and PostgreSQL, whose date
 * arithmetic differs, across a UTC day boundary, after an edit, a delete and a leave.
 */
import { lockConversation, postMessage, testDialects, UserSchema } from '@parley/db';
import { describe, expect, it } from 'vitest';
import { storedStats } from '../src/services/stats.ts';
import { useTestApi } from './helpers.ts';

const DAY = 86_400_000;
const NOW = new Date('2026-11-21T10:30:00.000Z');
const t = (iso: string) => new Date(iso);

describe.each(testDialects())('stored statistics on %s', (dialect) => {
  const api = useTestApi(dialect, { admins: ['boss'] });

  it('match figures computed independently from the fixtures', async () => {
    const users = {
      old: await api().seedUser('stat_old'),
      week: await api().seedUser('stat_week'),
      today: await api().seedUser('stat_today'),
      midnight: await api().seedUser('stat_midnight'),
    };
    const created = { old: t('2026-10-01T08:00:00Z'), week: t('2026-11-18T12:00:00Z'), today: t('2026-11-21T09:00:00Z'), midnight: t('2026-11-21T00:00:00.000Z') };
    const seen: Partial<Record<keyof typeof users, Date>> = { midnight: t('2026-11-21T08:00:00Z') };
    const em = api().db.em.fork();
    for (const [name, user] of Object.entries(users) as [keyof typeof users, (typeof users)[keyof typeof users]][]) {
      await em.nativeUpdate(UserSchema, { id: user.id }, { createdAt: created[name], lastSeenAt: seen[name] ?? null });
    }

    const dm = await users.old.api.conversations.create({ kind: 'direct', participantIds: [users.week.id] });
    const group = await users.old.api.conversations.create({ kind: 'group', title: 'Stats', participantIds: [users.week.id, users.today.id] });
    const notes = await users.old.api.conversations.create({ kind: 'self' });

    const fixtures = [
      { conversation: dm.id, sender: users.old.id, at: t('2026-11-20T23:59:59.999Z') },
      { conversation: dm.id, sender: users.week.id, at: t('2026-11-21T00:00:00.000Z') },
      { conversation: dm.id, sender: users.old.id, at: t('2026-11-21T10:00:00Z') },
      { conversation: dm.id, sender: users.week.id, at: t('2026-11-21T09:00:00Z'), deleted: true },
      { conversation: group.id, sender: users.today.id, at: t('2026-11-19T15:00:00Z') },
      { conversation: group.id, sender: users.today.id, at: t('2026-11-10T15:20:00Z') },
      { conversation: group.id, sender: users.old.id, at: t('2026-10-01T12:00:00Z') },
      { conversation: group.id, sender: users.week.id, at: t('2026-11-19T15:45:00Z') },
      { conversation: notes.id, sender: users.old.id, at: t('2026-11-21T01:00:00Z') },
    ];
    const ids: number[] = [];
    for (const [i, fixture] of fixtures.entries()) {
      const message = await em.transactional(async (tx) => {
        const conversation = await lockConversation(tx, fixture.conversation);
        if (!conversation) throw new Error('fixture conversation missing');
        return postMessage(tx, conversation, { senderId: fixture.sender, body: `m${i}`, clientId: `stats-${i}`, at: fixture.at }).message;
      });
      ids.push(message.id);
    }
    const senderApi = (id: number) => Object.values(users).find((user) => user.id === id)?.api;
    for (const [i, fixture] of fixtures.entries()) {
      const id = ids[i];
      if (fixture.deleted && id) await senderApi(fixture.sender)?.messages.delete({ id });
    }
    // Changes that must not move any figure: an edit and a member leaving.
    const firstId = ids[0];
    if (firstId) await users.old.api.messages.edit({ id: firstId, body: 'edited' });
    await users.today.api.conversations.leave({ id: group.id });

    // The same figures, computed from the fixtures.
    const dayOf = (date: Date) => Math.floor(date.getTime() / DAY);
    const today = dayOf(NOW);
    const live = fixtures.filter((fixture) => !fixture.deleted);
    const inLastDays = (date: Date, days: number) => dayOf(date) > today - days;
    const activeWithin = (days: number) =>
      new Set([
        ...fixtures.filter((f) => inLastDays(f.at, days)).map((f) => f.sender),
        ...Object.entries(seen).filter(([, at]) => at && inLastDays(at, days)).map(([name]) => users[name as keyof typeof users].id),
      ]).size;
    const perConversation = (days: number) => {
      const counts = new Map<number, number>();
      for (const f of live.filter((f) => inLastDays(f.at, days))) counts.set(f.conversation, (counts.get(f.conversation) ?? 0) + 1);
      return counts;
    };
    const busiest = Array.from({ length: 7 }, () => Array<number>(24).fill(0));
    for (const f of live.filter((f) => inLastDays(f.at, 30))) {
      const row = busiest[f.at.getUTCDay()];
      if (row) row[f.at.getUTCHours()] = (row[f.at.getUTCHours()] ?? 0) + 1;
    }

    const stats = await storedStats(api().db.em.fork(), NOW);
    const createdDates = Object.values(created);
    expect(stats.users).toEqual({
      total: 4,
      newToday: createdDates.filter((at) => dayOf(at) === today).length,
      newLast7Days: createdDates.filter((at) => inLastDays(at, 7)).length,
      dailyActive: activeWithin(1),
      monthlyActive: activeWithin(30),
    });
    expect(stats.conversations).toEqual({
      total: 3,
      byKind: { direct: 1, group: 1, self: 1 },
      averageMessages: Math.round((live.length / 3) * 100) / 100,
    });
    expect(stats.messages).toEqual({ total: live.length, today: live.filter((f) => dayOf(f.at) === today).length });
    expect(stats.messagesPerDay).toHaveLength(30);
    expect(stats.messagesPerDay.at(-1)?.date).toBe('2026-11-21');
    expect(stats.messagesPerDay[0]?.date).toBe('2026-10-23');
    for (const entry of stats.messagesPerDay) {
      const day = dayOf(new Date(`${entry.date}T00:00:00Z`));
      const onDay = live.filter((f) => dayOf(f.at) === day);
      expect(entry).toEqual({ date: entry.date, messages: onDay.length, activeSenders: new Set(onDay.map((f) => f.sender)).size });
    }
    const top = [...perConversation(7)].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 5);
    expect(stats.topConversations.map((c) => [c.id, c.messages])).toEqual(top);
    expect(stats.topConversations.find((c) => c.id === group.id)?.title).toBe('Stats');
    expect(stats.busiestHours).toEqual(busiest);
    // The day boundary: 23:59:59.999 counts for the 20th, 00:00:00.000 for the 21st.
    expect(stats.messagesPerDay.find((d) => d.date === '2026-11-20')?.messages).toBe(1);
  });

  it('zero-fills days, hours and the top list when the period holds no messages', async () => {
    const stats = await storedStats(api().db.em.fork(), new Date('2030-01-01T00:00:00Z'));
    expect(stats.messagesPerDay.every((day) => day.messages === 0 && day.activeSenders === 0)).toBe(true);
    expect(stats.topConversations).toEqual([]);
    expect(stats.busiestHours.flat().every((n) => n === 0)).toBe(true);
  });
});
