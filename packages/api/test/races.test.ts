import { findCaller, testDialects } from '@parley/db';
import { describe, expect, it } from 'vitest';
import { sendMessage } from '../src/services/messages.ts';
import { rejectionOf, useTestApi } from './helpers.ts';

describe.each(testDialects())('changes racing a removal (%s)', (dialect) => {
  const api = useTestApi(dialect);

  it('refuses a send whose membership check passed just before the sender was removed', async () => {
    const owner = await api().seedUser('owner');
    const member = await api().seedUser('member');
    const group = await owner.api.conversations.create({ kind: 'group', title: 'Race', participantIds: [member.id] });

    // The member's request has passed the membership check (the tier loaded this row)…
    const em = api().db.em.fork();
    const { user: me, membership: staleMembership } = await findCaller(em, member.id, group.id);
    if (!me || !staleMembership) throw new Error('the member was not found');
    // …then the owner removes them before the send's transaction starts.
    await owner.api.conversations.removeParticipant({ id: group.id, userId: member.id });

    const error = await rejectionOf(
      sendMessage({ em, deps: api().deps, user: me }, staleMembership, { body: "too late", clientId: "late-1" }, async () => undefined),
    );
    expect(error.code).toBe('NOT_FOUND');
    const history = await owner.api.messages.list({ conversationId: group.id, limit: 10 });
    expect(history.items).toEqual([]);
  });

  it('rejects text that is not well-formed Unicode instead of storing a replacement character', async () => {
    const alice = await api().seedUser('alice');
    const notes = await alice.api.conversations.create({ kind: 'self', participantIds: [] });
    const error = await rejectionOf(
      alice.api.messages.send({ conversationId: notes.id, body: 'broken \uD800 surrogate', clientId: 'u-1' }),
    );
    expect(error.code).toBe('BAD_REQUEST');
    // Emoji (surrogate pairs) and combining marks are well-formed and come back unchanged.
    const fine = 'ok 👩🏽‍💻 é';
    const sent = await alice.api.messages.send({ conversationId: notes.id, body: fine, clientId: 'u-2' });
    expect(sent.body).toBe(fine);
  });

  it('counts a title in characters, so 100 emoji fit and 101 do not', async () => {
    const alice = await api().seedUser('titler');
    const bob = await api().seedUser('titled');
    const group = await alice.api.conversations.create({ kind: 'group', title: '🎉'.repeat(100), participantIds: [bob.id] });
    expect(group.title).toBe('🎉'.repeat(100));
    const error = await rejectionOf(alice.api.conversations.update({ id: group.id, title: '🎉'.repeat(101) }));
    expect(error.code).toBe('BAD_REQUEST');
  });
});
