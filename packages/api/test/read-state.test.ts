/** Unread counts, read markers and messageCount: what the inbox badge and read receipts show. */
import { testDialects } from '@parley/db';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from './harness.ts';
import { conversationRow, expectFieldError, useTestApi } from './helpers.ts';

describe.each(testDialects())('read state on %s', (dialect) => {
  const getApi = useTestApi(dialect);
  let uma: TestUser;
  let vic: TestUser;
  let wes: TestUser;
  let serial = 0;

  beforeAll(async () => {
    const api = getApi();
    uma = await api.seedUser('uma');
    vic = await api.seedUser('vic');
    wes = await api.seedUser('wes');
  });

  const newGroup = async () =>
    (await uma.api.conversations.create({ kind: 'group', title: 'Reads', participantIds: [vic.id, wes.id] })).id;
  const send = (user: TestUser, conversationId: number, body = 'hello') =>
    user.api.messages.send({ conversationId, body, clientId: `r-${(serial += 1)}` });
  /** The unread badge `user` sees for a conversation in the inbox. */
  const unreadOf = async (user: TestUser, conversationId: number) => {
    const inbox = await user.api.conversations.list({ limit: 100 });
    const item = inbox.items.find((summary) => summary.id === conversationId);
    if (!item) throw new Error(`conversation ${conversationId} is not in ${user.username}'s inbox`);
    return item.unreadCount;
  };
  const unreadOfAll = async (conversationId: number) => ({
    uma: await unreadOf(uma, conversationId),
    vic: await unreadOf(vic, conversationId),
    wes: await unreadOf(wes, conversationId),
  });

  it('counts messages by others as unread right after they are sent, never my own', async () => {
    const id = await newGroup();
    expect(await unreadOfAll(id)).toEqual({ uma: 0, vic: 0, wes: 0 });
    await send(uma, id);
    await send(uma, id);
    await send(vic, id);
    // Sending means I have read everything before it: vic has nothing unread.
    expect(await unreadOfAll(id)).toEqual({ uma: 1, vic: 0, wes: 3 });
    await send(wes, id);
    expect(await unreadOfAll(id)).toEqual({ uma: 2, vic: 1, wes: 0 });
    const detail = await uma.api.conversations.get({ id });
    expect(Object.fromEntries(detail.participants.map((p) => [p.username, p.lastReadSeq]))).toEqual({ uma: 2, vic: 3, wes: 4 });
  });

  it('moves the read marker forward only, and never past the last seq', async () => {
    const id = await newGroup();
    for (let i = 0; i < 5; i += 1) await send(uma, id);
    await expect(vic.api.conversations.markRead({ id, seq: 3 })).resolves.toEqual({ lastReadSeq: 3, unreadCount: 2 });
    await expect(vic.api.conversations.markRead({ id, seq: 1 })).resolves.toEqual({ lastReadSeq: 3, unreadCount: 2 });
    await expect(vic.api.conversations.markRead({ id, seq: 0 })).resolves.toEqual({ lastReadSeq: 3, unreadCount: 2 });
    await expect(vic.api.conversations.markRead({ id, seq: 1_000_000 })).resolves.toEqual({ lastReadSeq: 5, unreadCount: 0 });
    expect(await unreadOf(vic, id)).toBe(0);
    // The clamp keeps new messages unread: marking "everything" did not pre-read the future.
    await send(uma, id);
    expect(await unreadOf(vic, id)).toBe(1);
    const detail = await uma.api.conversations.get({ id });
    expect(detail.participants.find((p) => p.id === vic.id)?.lastReadSeq).toBe(5);
  });

  it('stops counting a deleted unread message and keeps messageCount exact', async () => {
    const api = getApi();
    const id = await newGroup();
    const first = await send(uma, id);
    const second = await send(uma, id);
    const third = await send(vic, id);
    expect(await unreadOfAll(id)).toEqual({ uma: 1, vic: 0, wes: 3 });
    await uma.api.messages.delete({ id: second.id });
    expect(await unreadOfAll(id)).toEqual({ uma: 1, vic: 0, wes: 2 });
    await vic.api.messages.delete({ id: third.id });
    expect(await unreadOfAll(id)).toEqual({ uma: 0, vic: 0, wes: 1 });
    await uma.api.messages.delete({ id: second.id });
    expect((await conversationRow(api, id)).messageCount).toBe(1);
    await expect(wes.api.conversations.get({ id })).resolves.toMatchObject({ messageCount: 1, lastSeq: 5 });
    // A read marker set beyond deleted messages counts only what is left after it.
    await expect(wes.api.conversations.markRead({ id, seq: first.seq })).resolves.toEqual({ lastReadSeq: 1, unreadCount: 0 });
    await uma.api.messages.delete({ id: first.id });
    expect((await conversationRow(api, id)).messageCount).toBe(0);
    const summary = (await wes.api.conversations.list({ limit: 100 })).items.find((item) => item.id === id);
    expect(summary).toMatchObject({ messageCount: 0, unreadCount: 0, lastSeq: 6 });
  });

  it('does not count membership events as unread', async () => {
    const id = await newGroup();
    await uma.api.conversations.update({ id, title: 'Renamed' });
    await uma.api.conversations.removeParticipant({ id, userId: wes.id });
    await uma.api.conversations.addParticipants({ id, userIds: [wes.id] });
    expect(await unreadOfAll(id)).toEqual({ uma: 0, vic: 0, wes: 0 });
    await send(uma, id);
    expect(await unreadOfAll(id)).toEqual({ uma: 0, vic: 1, wes: 1 });
  });

  it('keeps unread counts separate per conversation and per reader', async () => {
    const a = await newGroup();
    const b = await newGroup();
    await send(vic, a);
    await send(vic, b);
    await send(vic, b);
    await uma.api.conversations.markRead({ id: b, seq: 1 });
    const inbox = await uma.api.conversations.list({ limit: 100 });
    const unread = Object.fromEntries(inbox.items.filter((i) => i.id === a || i.id === b).map((i) => [i.id, i.unreadCount]));
    expect(unread).toEqual({ [a]: 1, [b]: 1 });
    expect(await unreadOf(wes, b)).toBe(2);
  });

  it('does not count the history before I joined as unread', async () => {
    const api = getApi();
    const id = await newGroup();
    await uma.api.conversations.removeParticipant({ id, userId: wes.id });
    for (let i = 0; i < 3; i += 1) await send(vic, id);
    const newcomer = await api.seedUser(`newcomer${(serial += 1)}`);
    await uma.api.conversations.addParticipants({ id, userIds: [newcomer.id, wes.id] });
    expect(await unreadOf(newcomer, id)).toBe(0);
    expect(await unreadOf(wes, id)).toBe(0);
    // The history is there to read, and what comes next is unread.
    await expect(newcomer.api.messages.list({ conversationId: id })).resolves.toMatchObject({ items: { length: 3 } });
    await send(vic, id);
    expect(await unreadOf(newcomer, id)).toBe(1);
    expect(await unreadOf(wes, id)).toBe(1);
  });

  it('rejects a seq that is not a non-negative 32-bit integer', async () => {
    const id = await newGroup();
    for (const seq of [-1, 1.5, 2 ** 31]) await expectFieldError(vic.api.conversations.markRead({ id, seq }), 'seq');
  });

  it('agrees with counting message by message after any mix of sends, edits, deletes, renames, joins, removals, leaves and marks', async () => {
    const api = getApi();
    const [xan, yol] = [await api.seedUser(`xan${(serial += 1)}`), await api.seedUser(`yol${(serial += 1)}`)];
    const everyone = [uma, vic, wes, xan, yol];
    const id = await newGroup();
    const members = new Set([uma.id, vic.id, wes.id]);
    const sent: { id: number; senderId: number; deleted: boolean }[] = [];
    let lastSeq = 0;
    // A fixed sequence of pseudo-random operations (mulberry32), so a failure replays.
    let state = 20261206;
    const random = () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T,>(items: T[]): T | undefined => items[Math.floor(random() * items.length)];
    const inGroup = () => everyone.filter((user) => members.has(user.id));
    const others = () => inGroup().filter((user) => user.id !== uma.id);

    const byDefinition = async () => {
      const rows = await api.db.em.fork().getConnection().execute<{ user_id: number; unread: number | string }[]>(
        `select p.user_id, (select count(*) from messages m where m.conversation_id = p.conversation_id and m.seq > p.last_read_seq
                                                             and m.sender_id <> p.user_id and m.deleted_at is null) as unread
           from participants p where p.conversation_id = ?`,
        [id],
      );
      return Object.fromEntries(rows.map((row) => [Number(row.user_id), Number(row.unread)]));
    };
    const shown = async () => Object.fromEntries(await Promise.all(inGroup().map(async (user) => [user.id, await unreadOf(user, id)] as const)));

    let checks = 0;
    for (let step = 1; step <= 90; step += 1) {
      const roll = random();
      if (roll < 0.4) {
        const sender = pick(inGroup()) ?? uma;
        const message = await send(sender, id, `step ${step}`);
        sent.push({ id: message.id, senderId: sender.id, deleted: false });
        lastSeq = message.seq;
      } else if (roll < 0.5) {
        const message = pick(sent.filter((m) => !m.deleted && members.has(m.senderId)));
        const author = everyone.find((user) => user.id === message?.senderId);
        if (message && author) await author.api.messages.edit({ id: message.id, body: `edited at ${step}` });
      } else if (roll < 0.6) {
        const message = pick(sent.filter((m) => !m.deleted && members.has(m.senderId)));
        // Its sender deletes it, or the group's owner does.
        const actor = random() < 0.5 ? everyone.find((user) => user.id === message?.senderId) : uma;
        if (message && actor) {
          await actor.api.messages.delete({ id: message.id });
          message.deleted = true;
        }
      } else if (roll < 0.75) {
        const reader = pick(inGroup()) ?? uma;
        await reader.api.conversations.markRead({ id, seq: Math.floor(random() * (lastSeq + 3)) });
      } else if (roll < 0.8) {
        await uma.api.conversations.update({ id, title: `Title ${step}` });
      } else if (roll < 0.87) {
        const outsider = pick(everyone.filter((user) => !members.has(user.id)));
        if (outsider) {
          await uma.api.conversations.addParticipants({ id, userIds: [outsider.id] });
          members.add(outsider.id);
        }
      } else if (roll < 0.94) {
        const member = pick(others());
        if (member && others().length > 1) {
          await uma.api.conversations.removeParticipant({ id, userId: member.id });
          members.delete(member.id);
        }
      } else {
        const member = pick(others());
        if (member && others().length > 1) {
          await member.api.conversations.leave({ id });
          members.delete(member.id);
        }
      }
      if (step % 10 === 0) {
        const expected = await byDefinition();
        expect(await shown()).toEqual(expected);
        checks += Object.values(expected).filter((count) => count > 0).length;
      }
    }
    // The sequence must have left someone with something to read, or it tested little.
    expect(checks).toBeGreaterThan(5);
  });
});

describe.each(testDialects())('read receipts on %s', (dialect) => {
  const getApi = useTestApi(dialect);

  it('tells the others how far each member has read: first every marker, then each move', async () => {
    const api = getApi();
    const ann = await api.seedUser('rr_ann');
    const ben = await api.seedUser('rr_ben');
    const dm = await ann.api.conversations.create({ kind: 'direct', participantIds: [ben.id] });
    const first = await ann.api.messages.send({ conversationId: dm.id, body: 'one', clientId: 'rr-1' });
    const second = await ann.api.messages.send({ conversationId: dm.id, body: 'two', clientId: 'rr-2' });

    const receipts = (await ann.api.conversations.onReadReceipts({ conversationId: dm.id }))[Symbol.asyncIterator]();
    try {
      // Ben has read nothing yet; my own marker is not a receipt.
      expect((await receipts.next()).value).toEqual([{ userId: ben.id, lastReadSeq: 0 }]);
      await ben.api.conversations.markRead({ id: dm.id, seq: first.seq });
      expect((await receipts.next()).value).toEqual([{ userId: ben.id, lastReadSeq: first.seq }]);
      // Marking an older seq moves nothing, so it is not announced; the next real move is.
      await ben.api.conversations.markRead({ id: dm.id, seq: first.seq });
      await ben.api.conversations.markRead({ id: dm.id, seq: second.seq });
      expect((await receipts.next()).value).toEqual([{ userId: ben.id, lastReadSeq: second.seq }]);
      // Replying means having read everything before the reply.
      const reply = await ben.api.messages.send({ conversationId: dm.id, body: 'three', clientId: 'rr-3' });
      expect((await receipts.next()).value).toEqual([{ userId: ben.id, lastReadSeq: reply.seq }]);
    } finally {
      await receipts.return?.();
    }
  });

  it('starts from the markers stored when the stream opens', async () => {
    const api = getApi();
    const cy = await api.seedUser('rr_cy');
    const di = await api.seedUser('rr_di');
    const ed = await api.seedUser('rr_ed');
    const group = await cy.api.conversations.create({ kind: 'group', title: 'Receipts', participantIds: [di.id, ed.id] });
    const message = await cy.api.messages.send({ conversationId: group.id, body: 'hi', clientId: 'rr-4' });
    await di.api.conversations.markRead({ id: group.id, seq: message.seq });

    const receipts = (await cy.api.conversations.onReadReceipts({ conversationId: group.id }))[Symbol.asyncIterator]();
    try {
      const initial = (await receipts.next()).value as { userId: number; lastReadSeq: number }[];
      expect([...initial].sort((a, b) => a.userId - b.userId)).toEqual([
        { userId: di.id, lastReadSeq: message.seq },
        { userId: ed.id, lastReadSeq: 0 },
      ]);
    } finally {
      await receipts.return?.();
    }
  });

});
