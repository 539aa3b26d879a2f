import { testDialects, UserSchema } from '@parley/db';
import { beforeAll, describe, expect, it } from 'vitest';
import { INPUT_LIMITS } from '../src/index.ts';
import type { TestUser } from './harness.ts';
import { conversationRow, eventsOf, expectFieldError, MISSING_ID, rejectionOf, useTestApi } from './helpers.ts';

describe.each(testDialects())('conversations on %s', (dialect) => {
  const getApi = useTestApi(dialect);
  let olga: TestUser;
  let pete: TestUser;
  let quinn: TestUser;
  let rosa: TestUser;

  beforeAll(async () => {
    const api = getApi();
    olga = await api.seedUser('olga', { displayName: 'Olga O.' });
    pete = await api.seedUser('pete');
    quinn = await api.seedUser('quinn');
    rosa = await api.seedUser('rosa');
  });

  /** A group owned by olga with the given members. */
  const group = (members: TestUser[], title = 'Team') =>
    olga.api.conversations.create({ kind: 'group', title, participantIds: members.map((member) => member.id) });

  describe('create', () => {
    it('creates a DM once: the other side asking gets the same one with created: false', async () => {
      const dm = await olga.api.conversations.create({ kind: 'direct', participantIds: [pete.id] });
      expect(dm).toMatchObject({ kind: 'direct', title: null, created: true, myRole: 'member', lastSeq: 0, messageCount: 0 });
      expect(dm.participants.map((p) => [p.username, p.role, p.lastReadSeq]).sort()).toEqual([
        ['olga', 'member', 0],
        ['pete', 'member', 0],
      ]);
      const again = await pete.api.conversations.create({ kind: 'direct', participantIds: [olga.id, olga.id] });
      expect(again).toMatchObject({ id: dm.id, created: false });
    });

    it('creates notes to self once, with me as the only participant', async () => {
      const notes = await quinn.api.conversations.create({ kind: 'self' });
      expect(notes).toMatchObject({ kind: 'self', created: true, participants: [{ id: quinn.id }] });
      expect(notes.participants).toHaveLength(1);
      await expect(quinn.api.conversations.create({ kind: 'self', participantIds: [quinn.id] })).resolves.toMatchObject({
        id: notes.id,
        created: false,
      });
    });

    it('creates a group with me as owner and everyone else as member, duplicates ignored', async () => {
      const team = await olga.api.conversations.create({
        kind: 'group',
        title: '  Launch  ',
        participantIds: [pete.id, quinn.id, pete.id, olga.id],
      });
      expect(team).toMatchObject({ kind: 'group', title: 'Launch', created: true, myRole: 'owner', createdBy: olga.id });
      // Every member reads who made it, in its details and in their inbox.
      await expect(pete.api.conversations.get({ id: team.id })).resolves.toMatchObject({ createdBy: olga.id });
      const listed = (await quinn.api.conversations.list({})).items.find((item) => item.id === team.id);
      expect(listed).toMatchObject({ createdBy: olga.id });
      expect(Object.fromEntries(team.participants.map((p) => [p.username, p.role]))).toEqual({
        olga: 'owner',
        pete: 'member',
        quinn: 'member',
      });
      // The same members and title again is a second group, not a de-duplicated one.
      await expect(group([pete, quinn], 'Launch')).resolves.toMatchObject({ created: true });
    });

    it('rejects participant lists that do not fit the kind', async () => {
      const api = olga.api.conversations;
      await expectFieldError(api.create({ kind: 'direct', participantIds: [] }), 'participantIds');
      await expectFieldError(api.create({ kind: 'direct', participantIds: [olga.id] }), 'participantIds');
      await expectFieldError(api.create({ kind: 'direct', participantIds: [pete.id, quinn.id] }), 'participantIds');
      await expectFieldError(api.create({ kind: 'direct', participantIds: [MISSING_ID] }), 'participantIds');
      await expectFieldError(api.create({ kind: 'self', participantIds: [pete.id] }), 'participantIds');
      await expectFieldError(api.create({ kind: 'group', title: 'Alone', participantIds: [] }), 'participantIds');
      await expectFieldError(api.create({ kind: 'group', title: 'Ghosts', participantIds: [pete.id, MISSING_ID] }), 'participantIds');
      for (const bad of [0, -1, 1.5, 2 ** 31]) {
        await expectFieldError(api.create({ kind: 'direct', participantIds: [bad] }), 'participantIds');
      }
    });

    it('rejects a group title that is missing, blank, longer than 100 characters or holds NUL', async () => {
      const participantIds = [pete.id];
      await expectFieldError(olga.api.conversations.create({ kind: 'group', participantIds }), 'title');
      for (const title of ['', '   ', 't'.repeat(101), 'nul\u0000title']) {
        await expectFieldError(olga.api.conversations.create({ kind: 'group', title, participantIds }), 'title');
      }
      const longest = await olga.api.conversations.create({ kind: 'group', title: 't'.repeat(100), participantIds });
      expect(longest.title).toBe('t'.repeat(100));
    });

    it('rejects an unknown kind', async () => {
      // @ts-expect-error: not a conversation kind
      await expectFieldError(olga.api.conversations.create({ kind: 'channel', participantIds: [pete.id] }), 'kind');
    });

    it('caps a group at 256 members, when created and when members are added', async () => {
      const api = getApi();
      // 255 extra people, inserted directly: the API would hash a password for each.
      const em = api.db.em.fork();
      const crowd = Array.from({ length: 255 }, (_, i) =>
        em.create(UserSchema, { username: `crowd${i}`, displayName: `Crowd ${i}`, passwordHash: '!' }),
      );
      await em.flush();
      const crowdIds = crowd.map((user) => user.id);

      const tooMany = Array.from({ length: INPUT_LIMITS.groupSizeMax + 1 }, (_, i) => i + 1);
      await expectFieldError(olga.api.conversations.create({ kind: 'group', title: 'Big', participantIds: tooMany }), 'participantIds');
      // 256 others and me: 257 members.
      await expectFieldError(
        olga.api.conversations.create({ kind: 'group', title: 'Big', participantIds: [...crowdIds, pete.id] }),
        'participantIds',
      );
      const full = await olga.api.conversations.create({ kind: 'group', title: 'Full', participantIds: crowdIds });
      expect(full.participants).toHaveLength(256);

      // Me and 254 others: room for exactly one more.
      const big = await olga.api.conversations.create({ kind: 'group', title: 'Almost', participantIds: crowdIds.slice(0, 254) });
      await expectFieldError(
        olga.api.conversations.addParticipants({ id: big.id, userIds: [...crowdIds.slice(254), pete.id] }),
        'userIds',
      );
      const filled = await olga.api.conversations.addParticipants({ id: big.id, userIds: [pete.id] });
      expect(filled.participants).toHaveLength(256);
      await expectFieldError(olga.api.conversations.addParticipants({ id: big.id, userIds: [quinn.id] }), 'userIds');
      await expectFieldError(olga.api.conversations.addParticipants({ id: big.id, userIds: tooMany }), 'userIds');
    });
  });

  describe('get', () => {
    it('returns the detail with every participant and their read position', async () => {
      const team = await group([pete, quinn]);
      await pete.api.messages.send({ conversationId: team.id, body: 'one', clientId: 'get-1' });
      await pete.api.messages.send({ conversationId: team.id, body: 'two', clientId: 'get-2' });
      await quinn.api.conversations.markRead({ id: team.id, seq: 1 });
      const detail = await olga.api.conversations.get({ id: team.id });
      expect(detail).toMatchObject({ id: team.id, kind: 'group', title: 'Team', lastSeq: 2, messageCount: 2, myRole: 'owner' });
      expect(Object.fromEntries(detail.participants.map((p) => [p.username, p.lastReadSeq]))).toEqual({
        olga: 0,
        pete: 2,
        quinn: 1,
      });
      expect(detail.participants.find((p) => p.id === olga.id)).toMatchObject({ displayName: 'Olga O.', online: false });
    });

    it('rejects an id that is not a positive 32-bit integer', async () => {
      for (const id of [0, -5, 2.5, 2 ** 31]) await expectFieldError(olga.api.conversations.get({ id }), 'id');
    });
  });

  describe('update', () => {
    it('renames a group, logging one event; the same title again changes nothing', async () => {
      const team = await group([pete, quinn]);
      await olga.api.conversations.setRole({ id: team.id, userId: pete.id, role: 'admin' });
      await expect(pete.api.conversations.update({ id: team.id, title: ' Renamed ' })).resolves.toMatchObject({ title: 'Renamed' });
      await pete.api.conversations.update({ id: team.id, title: 'Renamed' });
      expect((await eventsOf(getApi(), team.id)).slice(1)).toEqual([
        { seq: 2, type: 'conversation.renamed', messageId: null, actorId: pete.id, payload: { title: 'Renamed' } },
      ]);
      await expect(quinn.api.conversations.get({ id: team.id })).resolves.toMatchObject({ title: 'Renamed', lastSeq: 2 });
    });

    it('validates the title and refuses to rename a DM or notes to self', async () => {
      const team = await group([pete]);
      for (const title of ['', '  ', 'x'.repeat(101), 'a\u0000b']) {
        await expectFieldError(olga.api.conversations.update({ id: team.id, title }), 'title');
      }
      const dm = await olga.api.conversations.create({ kind: 'direct', participantIds: [rosa.id] });
      await expect(olga.api.conversations.update({ id: dm.id, title: 'Ours' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      const notes = await olga.api.conversations.create({ kind: 'self' });
      await expect(olga.api.conversations.update({ id: notes.id, title: 'Mine' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });
  });

  describe('membership', () => {
    it('adds members with one event naming only the new ones', async () => {
      const team = await group([pete]);
      const updated = await olga.api.conversations.addParticipants({ id: team.id, userIds: [pete.id, quinn.id, quinn.id] });
      expect(updated.participants.map((p) => p.username).sort()).toEqual(['olga', 'pete', 'quinn']);
      await olga.api.conversations.addParticipants({ id: team.id, userIds: [pete.id] });
      expect(await eventsOf(getApi(), team.id)).toEqual([
        { seq: 1, type: 'participants.added', messageId: null, actorId: olga.id, payload: { userIds: [quinn.id] } },
      ]);
      await expect(quinn.api.conversations.get({ id: team.id })).resolves.toMatchObject({ myRole: 'member' });
    });

    it('validates the user ids to add', async () => {
      const team = await group([pete]);
      await expectFieldError(olga.api.conversations.addParticipants({ id: team.id, userIds: [] }), 'userIds');
      await expectFieldError(olga.api.conversations.addParticipants({ id: team.id, userIds: [MISSING_ID] }), 'userIds');
      await expectFieldError(olga.api.conversations.addParticipants({ id: team.id, userIds: [-1] }), 'userIds');
      const dm = await olga.api.conversations.create({ kind: 'direct', participantIds: [quinn.id] });
      await expect(olga.api.conversations.addParticipants({ id: dm.id, userIds: [rosa.id] })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      expect(await eventsOf(getApi(), team.id)).toEqual([]);
    });

    it('removes a member, who then sees NOT_FOUND, with one event', async () => {
      const team = await group([pete, quinn]);
      const updated = await olga.api.conversations.removeParticipant({ id: team.id, userId: quinn.id });
      expect(updated.participants.map((p) => p.username).sort()).toEqual(['olga', 'pete']);
      expect(await eventsOf(getApi(), team.id)).toEqual([
        { seq: 1, type: 'participant.removed', messageId: null, actorId: olga.id, payload: { userId: quinn.id } },
      ]);
      await expect(quinn.api.conversations.get({ id: team.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(quinn.api.messages.list({ conversationId: team.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const inbox = await quinn.api.conversations.list({ limit: 100 });
      expect(inbox.items.map((item) => item.id)).not.toContain(team.id);
    });

    it('lets admins remove members but not admins; only the owner removes admins; nobody removes the owner', async () => {
      const team = await group([pete, quinn, rosa]);
      await olga.api.conversations.setRole({ id: team.id, userId: pete.id, role: 'admin' });
      await olga.api.conversations.setRole({ id: team.id, userId: quinn.id, role: 'admin' });
      // One of several admins: the message must not suggest the group has only one.
      await expect(pete.api.conversations.removeParticipant({ id: team.id, userId: quinn.id })).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: 'You cannot remove an admin of the group',
      });
      await expect(pete.api.conversations.removeParticipant({ id: team.id, userId: olga.id })).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: "You cannot remove the group's owner",
      });
      await pete.api.conversations.removeParticipant({ id: team.id, userId: rosa.id });
      await olga.api.conversations.removeParticipant({ id: team.id, userId: quinn.id });
      await expectFieldError(olga.api.conversations.removeParticipant({ id: team.id, userId: olga.id }), 'userId');
      await expect(olga.api.conversations.removeParticipant({ id: team.id, userId: rosa.id })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      expect((await eventsOf(getApi(), team.id)).map((event) => [event.seq, event.type, event.payload])).toEqual([
        [1, 'participant.role_changed', { userId: pete.id, role: 'admin' }],
        [2, 'participant.role_changed', { userId: quinn.id, role: 'admin' }],
        [3, 'participant.removed', { userId: rosa.id }],
        [4, 'participant.removed', { userId: quinn.id }],
      ]);
    });

    it('lets only the owner change roles, never their own', async () => {
      const team = await group([pete, quinn]);
      const promoted = await olga.api.conversations.setRole({ id: team.id, userId: pete.id, role: 'admin' });
      expect(promoted.participants.find((p) => p.id === pete.id)?.role).toBe('admin');
      await expect(pete.api.conversations.get({ id: team.id })).resolves.toMatchObject({ myRole: 'admin' });
      await expect(pete.api.conversations.setRole({ id: team.id, userId: quinn.id, role: 'admin' })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expectFieldError(olga.api.conversations.setRole({ id: team.id, userId: olga.id, role: 'member' }), 'userId');
      await expect(olga.api.conversations.setRole({ id: team.id, userId: rosa.id, role: 'admin' })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      // @ts-expect-error: ownership is not handed over with setRole
      await expectFieldError(olga.api.conversations.setRole({ id: team.id, userId: pete.id, role: 'owner' }), 'role');
      const demoted = await olga.api.conversations.setRole({ id: team.id, userId: pete.id, role: 'member' });
      expect(demoted.participants.find((p) => p.id === pete.id)?.role).toBe('member');
    });

    it('logs each role change once, as a notice in the history; the same role again changes nothing', async () => {
      const team = await group([pete, quinn]);
      await olga.api.conversations.setRole({ id: team.id, userId: pete.id, role: 'admin' });
      await olga.api.conversations.setRole({ id: team.id, userId: pete.id, role: 'admin' });
      await olga.api.conversations.setRole({ id: team.id, userId: pete.id, role: 'member' });
      await olga.api.conversations.setRole({ id: team.id, userId: quinn.id, role: 'member' });
      expect(await eventsOf(getApi(), team.id)).toEqual([
        { seq: 1, type: 'participant.role_changed', messageId: null, actorId: olga.id, payload: { userId: pete.id, role: 'admin' } },
        { seq: 2, type: 'participant.role_changed', messageId: null, actorId: olga.id, payload: { userId: pete.id, role: 'member' } },
      ]);
      const page = await quinn.api.messages.list({ conversationId: team.id });
      expect(page.notices.map((notice) => [notice.seq, notice.type, notice.actorId, notice.payload])).toEqual([
        [1, 'participant.role_changed', olga.id, { userId: pete.id, role: 'admin' }],
        [2, 'participant.role_changed', olga.id, { userId: pete.id, role: 'member' }],
      ]);
      // Not messages: nobody has anything unread.
      const listed = (await quinn.api.conversations.list({})).items.find((item) => item.id === team.id);
      expect(listed).toMatchObject({ lastSeq: 2, unreadCount: 0 });
    });

    it('leaves a group with one event; the leaver then sees NOT_FOUND', async () => {
      const team = await group([pete, quinn]);
      await expect(quinn.api.conversations.leave({ id: team.id })).resolves.toEqual({ left: true });
      expect(await eventsOf(getApi(), team.id)).toEqual([
        { seq: 1, type: 'participant.left', messageId: null, actorId: quinn.id, payload: { userId: quinn.id, newOwnerId: null } },
      ]);
      await expect(quinn.api.conversations.get({ id: team.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(quinn.api.conversations.leave({ id: team.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const detail = await olga.api.conversations.get({ id: team.id });
      expect(detail.participants.map((p) => p.username).sort()).toEqual(['olga', 'pete']);
    });

    it('hands ownership to the longest-standing admin, or else member, when the owner leaves', async () => {
      const withAdmin = await group([pete, quinn]);
      await olga.api.conversations.setRole({ id: withAdmin.id, userId: quinn.id, role: 'admin' });
      await olga.api.conversations.leave({ id: withAdmin.id });
      await expect(quinn.api.conversations.get({ id: withAdmin.id })).resolves.toMatchObject({ myRole: 'owner' });
      expect((await eventsOf(getApi(), withAdmin.id)).at(-1)?.payload).toEqual({ userId: olga.id, newOwnerId: quinn.id });

      const membersOnly = await group([rosa]);
      await olga.api.conversations.leave({ id: membersOnly.id });
      await expect(rosa.api.conversations.get({ id: membersOnly.id })).resolves.toMatchObject({ myRole: 'owner' });
      // The new owner can manage the group.
      await expect(rosa.api.conversations.update({ id: membersOnly.id, title: 'Mine now' })).resolves.toMatchObject({
        title: 'Mine now',
      });
    });

    it('refuses to leave a DM or notes to self', async () => {
      const dm = await pete.api.conversations.create({ kind: 'direct', participantIds: [rosa.id] });
      await expect(pete.api.conversations.leave({ id: dm.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      const notes = await pete.api.conversations.create({ kind: 'self' });
      await expect(pete.api.conversations.leave({ id: notes.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });
  });

  it('gives every durable change the next seq and one event: rename, add, remove, leave, send, edit, delete, role', async () => {
    const api = getApi();
    const team = await group([pete]);
    await olga.api.conversations.update({ id: team.id, title: 'Log' });
    await olga.api.conversations.addParticipants({ id: team.id, userIds: [quinn.id, rosa.id] });
    await olga.api.conversations.removeParticipant({ id: team.id, userId: rosa.id });
    await quinn.api.conversations.leave({ id: team.id });
    const sent = await pete.api.messages.send({ conversationId: team.id, body: 'hello', clientId: 'log-1' });
    await pete.api.messages.edit({ id: sent.id, body: 'hello, edited' });
    await olga.api.messages.delete({ id: sent.id });
    await olga.api.conversations.setRole({ id: team.id, userId: pete.id, role: 'admin' });
    // Not a durable change of the conversation: no seq taken.
    await olga.api.conversations.markRead({ id: team.id, seq: 8 });

    expect(await eventsOf(api, team.id)).toEqual([
      { seq: 1, type: 'conversation.renamed', messageId: null, actorId: olga.id, payload: { title: 'Log' } },
      { seq: 2, type: 'participants.added', messageId: null, actorId: olga.id, payload: { userIds: [quinn.id, rosa.id] } },
      { seq: 3, type: 'participant.removed', messageId: null, actorId: olga.id, payload: { userId: rosa.id } },
      { seq: 4, type: 'participant.left', messageId: null, actorId: quinn.id, payload: { userId: quinn.id, newOwnerId: null } },
      { seq: 5, type: 'message.created', messageId: sent.id, actorId: pete.id, payload: null },
      { seq: 6, type: 'message.edited', messageId: sent.id, actorId: pete.id, payload: null },
      { seq: 7, type: 'message.deleted', messageId: sent.id, actorId: olga.id, payload: null },
      { seq: 8, type: 'participant.role_changed', messageId: null, actorId: olga.id, payload: { userId: pete.id, role: 'admin' } },
    ]);
    expect(sent.seq).toBe(5);
    const row = await conversationRow(api, team.id);
    expect({ lastSeq: row.lastSeq, messageCount: row.messageCount }).toEqual({ lastSeq: 8, messageCount: 0 });
  });

  it('names the field of invalid ids in member procedures', async () => {
    await expectFieldError(olga.api.conversations.markRead({ id: 0, seq: 0 }), 'id');
    const error = await rejectionOf(olga.api.conversations.leave({ id: MISSING_ID }));
    expect(error.code).toBe('NOT_FOUND');
  });
});
