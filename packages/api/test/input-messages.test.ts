/**
 * What a person reads when an input is over a limit: the web app shows a field's message as
 * it comes, so each must be a sentence, never zod's "Too big: expected array to have <=256 items".
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { z, ZodError } from 'zod';
import { INPUT_LIMITS } from '../src/index.ts';
import type { TestUser } from './harness.ts';
import { rejectionOf, useTestApi } from './helpers.ts';

/** The messages of one field of a refused input, as the error formatter sends them. */
async function fieldMessages(call: Promise<unknown>, field: string): Promise<string[]> {
  const { code, cause } = await rejectionOf(call);
  if (code !== 'BAD_REQUEST' || !(cause instanceof ZodError)) throw new Error(`Expected a validation error, got ${code}: ${String(cause)}`);
  const fieldErrors: Partial<Record<string, string[]>> = z.flattenError(cause).fieldErrors;
  return fieldErrors[field] ?? [];
}

// Validation does not depend on the database: one dialect is enough here.
describe('messages for inputs over a limit', () => {
  const getApi = useTestApi('sqlite');
  let ivy: TestUser;
  let notesId: number;

  beforeAll(async () => {
    ivy = await getApi().seedUser('ivy');
    notesId = (await ivy.api.conversations.create({ kind: 'self' })).id;
  });

  const ids = (count: number) => Array.from({ length: count }, (_, index) => index + 1);
  const groupMax = `A group can have at most ${INPUT_LIMITS.groupSizeMax} members`;

  it('says a group is too big or its title too long, at creation and when people are added', async () => {
    const tooMany = ids(INPUT_LIMITS.groupSizeMax + 1);
    expect(await fieldMessages(ivy.api.conversations.create({ kind: 'group', title: 'Big', participantIds: tooMany }), 'participantIds')).toEqual([
      groupMax,
    ]);
    expect(await fieldMessages(ivy.api.conversations.addParticipants({ id: notesId, userIds: tooMany }), 'userIds')).toEqual([groupMax]);
    expect(await fieldMessages(ivy.api.conversations.addParticipants({ id: notesId, userIds: [] }), 'userIds')).toEqual(['Add at least one person']);
    const title = 't'.repeat(INPUT_LIMITS.titleMax + 1);
    expect(await fieldMessages(ivy.api.conversations.create({ kind: 'group', title, participantIds: [ivy.id] }), 'title')).toEqual([
      `A title can have at most ${INPUT_LIMITS.titleMax} characters`,
    ]);
  });

  it('says an id beyond 2^31 - 1, zero, negative or fractional is not a valid one, once', async () => {
    for (const bad of [2 ** 31, Number.MAX_SAFE_INTEGER, 1e20, 0, -1, 1.5]) {
      const messages = await Promise.all([
        fieldMessages(ivy.api.conversations.get({ id: bad }), 'id'),
        fieldMessages(ivy.api.messages.send({ conversationId: bad, body: 'hi', clientId: 'c-1' }), 'conversationId'),
        fieldMessages(ivy.api.messages.edit({ id: bad, body: 'hi' }), 'id'),
        fieldMessages(ivy.api.users.byIds({ ids: [bad] }), 'ids'),
        fieldMessages(ivy.api.conversations.create({ kind: 'direct', participantIds: [bad] }), 'participantIds'),
      ]);
      expect({ bad, messages }).toEqual({ bad, messages: Array.from({ length: 5 }, () => ['Not a valid id']) });
    }
  });

  it('names a missing conversation as the procedure spells it', async () => {
    // @ts-expect-error: the conversation is missing
    expect(await fieldMessages(ivy.api.messages.list({ limit: 5 }), 'conversationId')).toEqual(['Invalid input: expected number, received undefined']);
    // @ts-expect-error: the conversation is missing
    expect(await fieldMessages(ivy.api.messages.send({ body: 'hi', clientId: 'c-2' }), 'conversationId')).toHaveLength(1);
    // @ts-expect-error: the conversation is missing
    expect(await fieldMessages(ivy.api.conversations.setTyping({ typing: true }), 'id')).toHaveLength(1);
    expect(await fieldMessages(ivy.api.messages.list({ conversationId: notesId, after: 1e300 }), 'after')).toEqual(['Not a valid seq']);
  });

  it('says why a seq, a page size, a search size, a cursor or a client id is refused', async () => {
    const cases: [string, () => Promise<unknown>, string, string[]][] = [
      ['seq', () => ivy.api.conversations.markRead({ id: notesId, seq: 2 ** 31 }), 'seq', ['Not a valid seq']],
      ['seq', () => ivy.api.messages.list({ conversationId: notesId, after: -1 }), 'after', ['Not a valid seq']],
      ['page', () => ivy.api.messages.list({ conversationId: notesId, limit: INPUT_LIMITS.pageMax + 1 }), 'limit', [`From 1 to ${INPUT_LIMITS.pageMax} per page`]],
      ['page', () => ivy.api.conversations.list({ limit: 0 }), 'limit', [`From 1 to ${INPUT_LIMITS.pageMax} per page`]],
      ['search', () => ivy.api.users.search({ query: 'iv', limit: INPUT_LIMITS.userSearchMax + 1 }), 'limit', [`From 1 to ${INPUT_LIMITS.userSearchMax} results`]],
      ['cursor', () => ivy.api.conversations.list({ cursor: 'c'.repeat(41) }), 'cursor', ['Not a valid cursor']],
      [
        'client id',
        () => ivy.api.messages.send({ conversationId: notesId, body: 'hi', clientId: 'c'.repeat(INPUT_LIMITS.clientIdMax + 1) }),
        'clientId',
        [`At most ${INPUT_LIMITS.clientIdMax} characters`],
      ],
      ['client id', () => ivy.api.messages.send({ conversationId: notesId, body: 'hi', clientId: '' }), 'clientId', ['A client id cannot be empty', 'letters, digits, _ and - only']],
    ];
    for (const [what, call, field, expected] of cases) {
      expect({ what, messages: await fieldMessages(call(), field) }).toEqual({ what, messages: expected });
    }
  });
});
