import { MessageSchema, testDialects } from '@parley/db';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from './harness.ts';
import {
  anyNumber,
  anyString,
  clientIds,
  conversationRow,
  eventsOf,
  expectFieldError,
  MISSING_ID,
  useTestApi,
} from './helpers.ts';

describe.each(testDialects())('messages on %s', (dialect) => {
  const getApi = useTestApi(dialect);
  let amy: TestUser;
  let bo: TestUser;
  let cy: TestUser;
  let di: TestUser;
  /** amy ↔ bo */
  let dmId: number;
  /** owner amy, admin cy, members bo and di */
  let groupId: number;
  let serial = 0;
  const nextClientId = () => `m-${(serial += 1)}`;

  beforeAll(async () => {
    const api = getApi();
    amy = await api.seedUser('amy');
    bo = await api.seedUser('bo_b');
    cy = await api.seedUser('cy_c');
    di = await api.seedUser('di_d');
    dmId = (await amy.api.conversations.create({ kind: 'direct', participantIds: [bo.id] })).id;
    groupId = (await amy.api.conversations.create({ kind: 'group', title: 'Crew', participantIds: [bo.id, cy.id, di.id] })).id;
    await amy.api.conversations.setRole({ id: groupId, userId: cy.id, role: 'admin' });
  });

  const send = (user: TestUser, body: string, conversationId = dmId) =>
    user.api.messages.send({ conversationId, body, clientId: nextClientId() });

  describe('send', () => {
    it('stores the trimmed body with the next seq and returns it', async () => {
      const before = await conversationRow(getApi(), dmId);
      const message = await amy.api.messages.send({ conversationId: dmId, body: '\n  hi bo \t', clientId: 'Ab_9-z' });
      expect(message).toEqual({
        id: anyNumber,
        conversationId: dmId,
        seq: before.lastSeq + 1,
        senderId: amy.id,
        body: 'hi bo',
        clientId: 'Ab_9-z',
        createdAt: anyString,
        editedAt: null,
        deletedAt: null,
      });
      expect(Date.parse(message.createdAt)).toBeGreaterThan(Date.now() - 60_000);
      const history = await bo.api.messages.list({ conversationId: dmId, after: before.lastSeq });
      expect(history.items).toEqual([message]);
    });

    it('keeps text exactly as sent: quotes, backslashes, SQL, markup, emoji, other scripts', async () => {
      const bodies = [
        "it's \"quoted\" and back\\slashed \\' \\\\",
        "'); drop table messages; --",
        '<script>alert(1)</script>',
        '👨‍👩‍👧 familie, Größe, 東京, مرحبا',
        'line one\nline two',
        '%_ like wildcards _%',
      ];
      for (const body of bodies) {
        const sent = await send(amy, body);
        expect(sent.body).toBe(body);
        const stored = await getApi().db.em.fork().findOneOrFail(MessageSchema, sent.id);
        expect(stored.body).toBe(body);
      }
    });

    it('counts the 4000-character limit in code points, after trimming', async () => {
      await expect(send(amy, 'a'.repeat(4000))).resolves.toMatchObject({ body: 'a'.repeat(4000) });
      await expectFieldError(send(amy, 'a'.repeat(4001)), 'body');
      // An emoji outside the BMP is two UTF-16 units but one character.
      const emoji = await send(amy, '😀'.repeat(4000));
      expect([...emoji.body]).toHaveLength(4000);
      await expectFieldError(send(amy, '😀'.repeat(4001)), 'body');
      await expect(send(amy, `   ${'b'.repeat(4000)}   `)).resolves.toMatchObject({ body: 'b'.repeat(4000) });
      await expectFieldError(send(amy, 'c'.repeat(16_001)), 'body');
    });

    it('rejects an empty body, a blank one and one with a NUL byte', async () => {
      for (const body of ['', ' ', '\n\t  ', 'nul\u0000here']) await expectFieldError(send(amy, body), 'body');
    });

    it('rejects client ids that are empty, too long or outside [A-Za-z0-9_-]', async () => {
      for (const clientId of ['', 'x'.repeat(65), 'has space', 'dot.dot', 'ümlaut', 'nul\u0000', 'a/b']) {
        await expectFieldError(amy.api.messages.send({ conversationId: dmId, body: 'hi', clientId }), 'clientId');
      }
      await expect(amy.api.messages.send({ conversationId: dmId, body: 'hi', clientId: 'k'.repeat(64) })).resolves.toMatchObject({
        clientId: 'k'.repeat(64),
      });
    });

    it('names conversationId when it is not a positive 32-bit integer', async () => {
      for (const conversationId of [0, -1, 1.5, 2 ** 31, Number.NaN]) {
        await expectFieldError(amy.api.messages.send({ conversationId, body: 'hi', clientId: nextClientId() }), 'conversationId');
        await expectFieldError(amy.api.messages.list({ conversationId }), 'conversationId');
      }
      // @ts-expect-error: a string is not an id
      await expectFieldError(amy.api.messages.list({ conversationId: '1' }), 'conversationId');
    });

    it('lets every member of a group and of notes to self send', async () => {
      for (const user of [amy, bo, cy, di]) {
        await expect(send(user, 'present', groupId)).resolves.toMatchObject({ senderId: user.id });
      }
      const notes = await di.api.conversations.create({ kind: 'self' });
      await expect(send(di, 'note to self', notes.id)).resolves.toMatchObject({ seq: 1 });
    });
  });

  describe('edit', () => {
    it('changes the body, sets editedAt, keeps the seq and logs one event', async () => {
      const api = getApi();
      const original = await send(amy, 'tpyo');
      const lastSeq = (await conversationRow(api, dmId)).lastSeq;
      const edited = await amy.api.messages.edit({ id: original.id, body: '  typo  ' });
      expect(edited).toMatchObject({ id: original.id, seq: original.seq, body: 'typo', editedAt: anyString });
      const events = await eventsOf(api, dmId);
      expect(events.at(-1)).toEqual({
        seq: lastSeq + 1,
        type: 'message.edited',
        messageId: original.id,
        actorId: amy.id,
        payload: null,
      });

      // The same body again is no change: no event, no seq.
      await amy.api.messages.edit({ id: original.id, body: 'typo' });
      expect(await eventsOf(api, dmId)).toHaveLength(events.length);
      const seen = await bo.api.messages.list({ conversationId: dmId, after: original.seq - 1, limit: 1 });
      expect(seen.items[0]).toMatchObject({ body: 'typo', editedAt: edited.editedAt });
    });

    it('validates the new body like a send', async () => {
      const message = await send(amy, 'valid');
      for (const body of ['', '   ', 'x'.repeat(4001), 'a\u0000b']) {
        await expectFieldError(amy.api.messages.edit({ id: message.id, body }), 'body');
      }
      await expectFieldError(amy.api.messages.edit({ id: 0, body: 'x' }), 'id');
    });

    it("refuses to edit someone else's message, even for the group's owner", async () => {
      const message = await send(bo, 'mine', groupId);
      for (const other of [amy, cy, di]) {
        await expect(other.api.messages.edit({ id: message.id, body: 'theirs' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      }
      await expect(amy.api.messages.edit({ id: MISSING_ID, body: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('answers CONFLICT for an edit of a deleted message', async () => {
      const message = await send(amy, 'soon gone');
      await amy.api.messages.delete({ id: message.id });
      await expect(amy.api.messages.edit({ id: message.id, body: 'back again' })).rejects.toMatchObject({ code: 'CONFLICT' });
      const stored = await getApi().db.em.fork().findOneOrFail(MessageSchema, message.id);
      expect({ body: stored.body, editedAt: stored.editedAt }).toEqual({ body: '', editedAt: null });
    });
  });

  describe('delete', () => {
    it('leaves a tombstone with no body anywhere, logs one event and keeps messageCount exact', async () => {
      const api = getApi();
      const notes = await bo.api.conversations.create({ kind: 'self' });
      const kept = await send(bo, 'kept', notes.id);
      const secret = await send(bo, 'the secret', notes.id);
      const tombstone = await bo.api.messages.delete({ id: secret.id });
      expect(tombstone).toMatchObject({ id: secret.id, seq: secret.seq, body: '', deletedAt: anyString });

      const history = await bo.api.messages.list({ conversationId: notes.id });
      expect(history.items.map((m) => [m.id, m.body, m.deletedAt !== null])).toEqual([
        [kept.id, 'kept', false],
        [secret.id, '', true],
      ]);
      const inbox = await bo.api.conversations.list({ limit: 100 });
      const summary = inbox.items.find((item) => item.id === notes.id);
      expect(summary).toMatchObject({ messageCount: 1, lastMessage: { id: secret.id, body: '' } });
      // Replay safety: neither the row nor the log keeps the deleted text.
      const stored = await api.db.em.fork().findOneOrFail(MessageSchema, secret.id);
      expect(stored.body).toBe('');
      const events = await eventsOf(api, notes.id);
      expect(JSON.stringify(events)).not.toContain('secret');
      expect(events.map((e) => [e.seq, e.type, e.messageId])).toEqual([
        [1, 'message.created', kept.id],
        [2, 'message.created', secret.id],
        [3, 'message.deleted', secret.id],
      ]);
      expect((await conversationRow(api, notes.id)).messageCount).toBe(1);
    });

    it('is idempotent: a second delete returns the same tombstone and changes nothing', async () => {
      const api = getApi();
      const message = await send(amy, 'twice');
      const first = await amy.api.messages.delete({ id: message.id });
      const row = await conversationRow(api, dmId);
      const events = await eventsOf(api, dmId);
      await expect(amy.api.messages.delete({ id: message.id })).resolves.toEqual(first);
      expect(await eventsOf(api, dmId)).toEqual(events);
      const after = await conversationRow(api, dmId);
      expect({ lastSeq: after.lastSeq, messageCount: after.messageCount }).toEqual({
        lastSeq: row.lastSeq,
        messageCount: row.messageCount,
      });
    });

    it("lets group owners and admins delete others' messages, and nobody else", async () => {
      const byDi = await send(di, 'by di', groupId);
      await expect(bo.api.messages.delete({ id: byDi.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(cy.api.messages.delete({ id: byDi.id })).resolves.toMatchObject({ body: '', deletedAt: anyString });
      const byCy = await send(cy, 'by the admin', groupId);
      await expect(di.api.messages.delete({ id: byCy.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(amy.api.messages.delete({ id: byCy.id })).resolves.toMatchObject({ body: '' });
      const events = await eventsOf(getApi(), groupId);
      expect(events.filter((e) => e.type === 'message.deleted').map((e) => [e.messageId, e.actorId])).toEqual([
        [byDi.id, cy.id],
        [byCy.id, amy.id],
      ]);
    });

    it("never lets the other side of a DM delete my message", async () => {
      const message = await send(amy, 'not yours');
      await expect(bo.api.messages.delete({ id: message.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(bo.api.messages.list({ conversationId: dmId, after: message.seq - 1, limit: 1 })).resolves.toMatchObject({
        items: [{ id: message.id, body: 'not yours', deletedAt: null }],
      });
    });
  });

  describe('history', () => {
    let historyId: number;
    beforeAll(async () => {
      historyId = (await bo.api.conversations.create({ kind: 'group', title: 'History', participantIds: [amy.id] })).id;
      // Two senders, sequentially: seq n carries body "n".
      for (const [index, clientId] of clientIds('history', 120).entries()) {
        await (index % 2 ? amy : bo).api.messages.send({ conversationId: historyId, body: String(index + 1), clientId });
      }
    });
    const seqs = (page: { items: { seq: number; body: string }[] }) => page.items.map((m) => m.seq);
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

    it('returns the newest page by default, ascending by seq', async () => {
      const page = await amy.api.messages.list({ conversationId: historyId });
      expect({ seqs: seqs(page), hasMore: page.hasMore }).toEqual({ seqs: range(71, 120), hasMore: true });
      expect(page.items.every((m) => m.body === String(m.seq))).toBe(true);
    });

    it("carries the reader's own read marker, as it was before the page was read", async () => {
      // amy sent the even seqs (her marker moved to each, the last 120); bo the odd ones (his to 119).
      await expect(amy.api.messages.list({ conversationId: historyId })).resolves.toMatchObject({ lastReadSeq: 120 });
      await expect(bo.api.messages.list({ conversationId: historyId, before: 10 })).resolves.toMatchObject({ lastReadSeq: 119 });
      await bo.api.conversations.markRead({ id: historyId, seq: 120 });
      await expect(bo.api.messages.list({ conversationId: historyId })).resolves.toMatchObject({ lastReadSeq: 120 });
    });

    it('counts my unread on the newest page, those not loaded too, and on no other page', async () => {
      const { id } = await bo.api.conversations.create({ kind: 'group', title: 'Unread', participantIds: [amy.id] });
      // One of amy's (her marker moves to it), then 60 of bo's (more than the page of 50), one of them deleted.
      await amy.api.messages.send({ conversationId: id, body: 'mine', clientId: 'unread-count-mine' });
      const sent = [];
      for (const clientId of clientIds('unread-count', 60)) sent.push(await bo.api.messages.send({ conversationId: id, body: 'later', clientId }));
      const deleted = sent[3];
      if (!deleted) throw new Error('nothing sent');
      await bo.api.messages.delete({ id: deleted.id });

      const newest = await amy.api.messages.list({ conversationId: id });
      expect(newest).toMatchObject({ lastReadSeq: 1, unreadCount: 59 });
      expect(newest.items).toHaveLength(50);
      // As the inbox counts it.
      expect((await amy.api.conversations.list({})).items.find((item) => item.id === id)?.unreadCount).toBe(59);
      expect((await amy.api.messages.list({ conversationId: id, before: 30 })).unreadCount).toBeNull();
      expect((await amy.api.messages.list({ conversationId: id, after: 30 })).unreadCount).toBeNull();
      expect((await bo.api.messages.list({ conversationId: id })).unreadCount).toBe(0);
    });

    it('pages backwards with before until hasMore is false', async () => {
      expect(await amy.api.messages.list({ conversationId: historyId, before: 71, limit: 50 })).toMatchObject({ hasMore: true });
      const oldest = await amy.api.messages.list({ conversationId: historyId, before: 21, limit: 50 });
      expect({ seqs: seqs(oldest), hasMore: oldest.hasMore }).toEqual({ seqs: range(1, 20), hasMore: false });
      const exact = await amy.api.messages.list({ conversationId: historyId, before: 21, limit: 20 });
      expect({ seqs: seqs(exact), hasMore: exact.hasMore }).toEqual({ seqs: range(1, 20), hasMore: false });
      await expect(amy.api.messages.list({ conversationId: historyId, before: 1 })).resolves.toMatchObject({ items: [], hasMore: false, notices: [] });

      const seen: number[] = [];
      let before: number | undefined;
      for (let pages = 0; pages < 50; pages += 1) {
        const page = await amy.api.messages.list({ conversationId: historyId, before, limit: 7 });
        seen.unshift(...seqs(page));
        if (!page.hasMore) break;
        before = page.items[0]?.seq;
      }
      expect(seen).toEqual(range(1, 120));
    });

    it('pages forwards with after until hasMore is false', async () => {
      const first = await amy.api.messages.list({ conversationId: historyId, after: 0, limit: 50 });
      expect({ seqs: seqs(first), hasMore: first.hasMore }).toEqual({ seqs: range(1, 50), hasMore: true });
      const last = await amy.api.messages.list({ conversationId: historyId, after: 100, limit: 50 });
      expect({ seqs: seqs(last), hasMore: last.hasMore }).toEqual({ seqs: range(101, 120), hasMore: false });
      await expect(amy.api.messages.list({ conversationId: historyId, after: 120 })).resolves.toMatchObject({ items: [], hasMore: false, notices: [] });
      const seen: number[] = [];
      let after = 0;
      for (let pages = 0; pages < 50; pages += 1) {
        const page = await amy.api.messages.list({ conversationId: historyId, after, limit: 11 });
        seen.push(...seqs(page));
        if (!page.hasMore) break;
        after = page.items.at(-1)?.seq ?? after;
      }
      expect(seen).toEqual(range(1, 120));
    });

    it('accepts limits 1 to 100 only', async () => {
      await expect(amy.api.messages.list({ conversationId: historyId, limit: 1 })).resolves.toMatchObject({
        items: [{ seq: 120 }],
        hasMore: true,
      });
      const hundred = await amy.api.messages.list({ conversationId: historyId, limit: 100 });
      expect(seqs(hundred)).toEqual(range(21, 120));
      for (const limit of [0, 101, -1, 2.5]) {
        await expectFieldError(amy.api.messages.list({ conversationId: historyId, limit }), 'limit');
      }
    });

    describe('notices: members and title changes among the messages', () => {
      let noticesId: number;
      /** seq → what happened: messages m1..m4, and the notices between them. */
      beforeAll(async () => {
        noticesId = (await amy.api.conversations.create({ kind: 'group', title: 'Notices', participantIds: [bo.id] })).id;
        const m1 = await send(amy, 'm1', noticesId); // 1
        await amy.api.conversations.addParticipants({ id: noticesId, userIds: [cy.id] }); // 2
        await send(bo, 'm2', noticesId); // 3
        await amy.api.conversations.update({ id: noticesId, title: 'Renamed' }); // 4
        await amy.api.conversations.removeParticipant({ id: noticesId, userId: cy.id }); // 5
        await send(amy, 'm3', noticesId); // 6
        await amy.api.conversations.addParticipants({ id: noticesId, userIds: [di.id] }); // 7
        await di.api.conversations.leave({ id: noticesId }); // 8
        await amy.api.messages.edit({ id: m1.id, body: 'm1 edited' }); // 9: an edit, not a notice
        await send(bo, 'm4', noticesId); // 10
      });
      const noticeSeqs = (page: { notices: { seq: number }[] }) => page.notices.map((notice) => notice.seq);

      it('come with the page they happened among, with who did what', async () => {
        const page = await bo.api.messages.list({ conversationId: noticesId });
        expect(seqs(page)).toEqual([1, 3, 6, 10]);
        expect(page.notices).toEqual([
          { conversationId: noticesId, seq: 2, type: 'participants.added', actorId: amy.id, createdAt: anyString, message: null, payload: { userIds: [cy.id] } },
          { conversationId: noticesId, seq: 4, type: 'conversation.renamed', actorId: amy.id, createdAt: anyString, message: null, payload: { title: 'Renamed' } },
          { conversationId: noticesId, seq: 5, type: 'participant.removed', actorId: amy.id, createdAt: anyString, message: null, payload: { userId: cy.id } },
          { conversationId: noticesId, seq: 7, type: 'participants.added', actorId: amy.id, createdAt: anyString, message: null, payload: { userIds: [di.id] } },
          { conversationId: noticesId, seq: 8, type: 'participant.left', actorId: di.id, createdAt: anyString, message: null, payload: { userId: di.id, newOwnerId: null } },
        ]);
      });

      it('show each once across pages, backwards and forwards', async () => {
        const newest = await bo.api.messages.list({ conversationId: noticesId, limit: 2 });
        expect({ items: seqs(newest), notices: noticeSeqs(newest), hasMore: newest.hasMore }).toEqual({ items: [6, 10], notices: [7, 8], hasMore: true });
        const older = await bo.api.messages.list({ conversationId: noticesId, before: 6, limit: 2 });
        expect({ items: seqs(older), notices: noticeSeqs(older), hasMore: older.hasMore }).toEqual({ items: [1, 3], notices: [2, 4, 5], hasMore: false });
        const first = await bo.api.messages.list({ conversationId: noticesId, after: 0, limit: 2 });
        expect({ items: seqs(first), notices: noticeSeqs(first), hasMore: first.hasMore }).toEqual({ items: [1, 3], notices: [2], hasMore: true });
        const rest = await bo.api.messages.list({ conversationId: noticesId, after: 3, limit: 2 });
        expect({ items: seqs(rest), notices: noticeSeqs(rest), hasMore: rest.hasMore }).toEqual({ items: [6, 10], notices: [4, 5, 7, 8], hasMore: false });
      });

      it('are at most a hundred a page: a page with more ends at its last one, and the next goes on from there', async () => {
        // m1 at seq 1, 130 renames (seqs 2-131), then three messages (132-134).
        const busyId = (await amy.api.conversations.create({ kind: 'group', title: 'Busy', participantIds: [bo.id] })).id;
        await send(amy, 'm1', busyId);
        for (let title = 1; title <= 130; title += 1) await amy.api.conversations.update({ id: busyId, title: `Name ${title}` });
        for (const body of ['m2', 'm3', 'm4']) await send(bo, body, busyId);
        const shape = (page: { items: { seq: number; body: string }[]; notices: { seq: number }[]; hasMore: boolean }) => ({
          items: seqs(page),
          notices: [page.notices[0]?.seq, page.notices.at(-1)?.seq, page.notices.length],
          hasMore: page.hasMore,
        });

        const newest = await bo.api.messages.list({ conversationId: busyId });
        // m1 lies beyond the hundredth rename: it waits for the next page, with the 30 before it.
        expect(shape(newest)).toEqual({ items: [132, 133, 134], notices: [32, 131, 100], hasMore: true });
        const older = await bo.api.messages.list({ conversationId: busyId, before: 32 });
        expect(shape(older)).toEqual({ items: [1], notices: [2, 31, 30], hasMore: false });

        const first = await bo.api.messages.list({ conversationId: busyId, after: 0 });
        expect(shape(first)).toEqual({ items: [1], notices: [2, 101, 100], hasMore: true });
        const rest = await bo.api.messages.list({ conversationId: busyId, after: 101 });
        expect(shape(rest)).toEqual({ items: [132, 133, 134], notices: [102, 131, 30], hasMore: false });
      });
    });

    it('rejects before and after together, and positions that are not sequence numbers', async () => {
      await expectFieldError(amy.api.messages.list({ conversationId: historyId, before: 50, after: 10 }), 'before');
      await expectFieldError(amy.api.messages.list({ conversationId: historyId, before: -1 }), 'before');
      await expectFieldError(amy.api.messages.list({ conversationId: historyId, after: 1.5 }), 'after');
      await expectFieldError(amy.api.messages.list({ conversationId: historyId, after: 2 ** 31 }), 'after');
    });
  });
});
