/**
 * Unicode and size edges of every free-text field (message body, group title, display name),
 * through the router on both dialects: what is accepted comes back exactly as sent (trimmed
 * at the ends, nothing else: no normalisation, no replacement characters), from the call, a
 * later read and the stored row; what is refused is a BAD_REQUEST naming the field.
 * Limits count code points, as people count characters: an emoji is one, a combining mark is one.
 * Text with nothing visible in it is empty. Names and titles refuse direction controls that
 * could disguise them, and line breaks, tabs and other controls; message bodies keep them
 * (the web app isolates each body).
 */
import { readFileSync } from 'node:fs';
import { ConversationSchema, MessageSchema, testDialects, UserSchema } from '@parley/db';
import { beforeAll, describe, expect, it } from 'vitest';
import { INPUT_LIMITS } from '../src/index.ts';
import { VISIBLE_CHARACTER } from '../src/schemas.ts';
import type { TestApi, TestUser } from './harness.ts';
import { ZodError, z } from 'zod';
import { expectFieldError, rejectionOf, useTestApi } from './helpers.ts';

/** Texts a field of `max` characters must keep exactly. */
function accepted(max: number): [string, string][] {
  return [
    ['exactly the limit, ASCII', 'a'.repeat(max)],
    ['exactly the limit in emoji (two UTF-16 units each)', '😀'.repeat(max)],
    ['exactly the limit in e + combining acute, decomposed and kept so', 'e\u0301'.repeat(max / 2)],
    ['right-to-left text with direction marks', 'שלום\u200F مرحبا\u200E ok'],
    ['ZWJ sequences and skin tones', '👨‍👩‍👧‍👦 👩🏽‍💻'],
    ['a family emoji alone (visible, joined by ZWJ)', '👩‍👩‍👧'],
    ['zero-width characters inside', 'a\u200Bb\u200Dc'],
    ['invisible characters around a visible one', '\u200B\u2060x\uFEFF\u00AD'],
    ['flags (regional indicators)', '🇫🇷🇯🇵'],
    ['Arabic, Hebrew and Devanagari', 'مرحبا שלום नमस्ते'],
    ['a lone decomposed é (e + combining acute)', 'e\u0301'],
    ['a replacement character (it draws a glyph)', '\uFFFD'],
    ['only tatweels (they draw a line)', '\u0640\u0640'],
    ['an end-of-ayah sign (a format character with a glyph)', '\u06DD'],
    ['markup', '<img src=x onerror=alert(1)>'],
    ['the limit between spaces (trimmed to the limit)', ` \n${'b'.repeat(max)}\t `],
  ];
}

/** Text that draws nothing: each is as empty as '' to the person reading it. */
const INVISIBLE_ONLY: [string, string][] = [
  ['only a zero-width space', '\u200B'],
  ['only zero-width (non-)joiners', '\u200C\u200D'],
  ['only a word joiner', '\u2060'],
  ['only a BOM between spaces', ' \uFEFF '],
  ['only a soft hyphen', '\u00AD'],
  ['only a Mongolian vowel separator', '\u180E'],
  ['only direction marks', '\u200E\u200F\u061C'],
  ['only embeddings and overrides', '\u202A\u202B\u202C\u202D\u202E'],
  ['only isolates', '\u2066\u2067\u2068\u2069'],
  ['only Hangul fillers', '\u3164\u115F\u1160\uFFA0'],
  ['only the blank Braille pattern', '\u2800'],
  ['only a combining grapheme joiner', '\u034F'],
  ['only variation selectors and tags', '\uFE0F\u{E0041}\u{E007F}'],
  ['only control characters', '\u0007\u001B\u0085'],
  ['only interlinear annotation characters', '\uFFF9\uFFFA\uFFFB'],
  ['only an interlinear annotation anchor', '\uFFF9'],
  ['only an object replacement character', '\uFFFC'],
  ['only an Egyptian hieroglyph format control', '\u{13430}'],
  ['only a combining mark, with no base', '\u0301'],
  ['only combining marks between spaces', ' \u0301\u0308\u20DD '],
  ['a mix of all of them', '\u200B \u2800\u3164\n\u202E\u034F\u00AD\uFFFA\uFFFC\u0301'],
];

/** Texts a field of `max` characters must refuse. */
function refused(max: number): [string, string][] {
  return [
    ['empty', ''],
    ['blank: spaces, newlines, tabs', ' \n\t '],
    ['blank: no-break and ideographic spaces, BOM', '\u00A0\u3000\uFEFF'],
    ...INVISIBLE_ONLY,
    ['one over the limit, ASCII', 'a'.repeat(max + 1)],
    ['one over the limit in emoji', '😀'.repeat(max + 1)],
    ['one over the limit with combining marks', `${'e\u0301'.repeat(max / 2)}e`],
    ['a NUL inside', 'a\u0000b'],
    ['only a NUL', '\u0000'],
    ['a lone high surrogate', 'ok\uD800'],
    ['a lone low surrogate', '\uDC00ok'],
  ];
}

/** Direction controls a message may hold (pasted text) and a name or title may not (a disguise). */
const BIDI_CONTROLS = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'];
const WITH_BIDI_CONTROLS: [string, string][] = [
  ['a right-to-left override disguising a name', 'Erin \u202Eevil\u202C Q'],
  ['right-to-left text wrapped in controls', '\u202Bשלום\u202C \u2067مرحبا\u2069'],
  ...BIDI_CONTROLS.map((control): [string, string] => [`U+${control.codePointAt(0)?.toString(16).toUpperCase()} inside`, `a${control}b`]),
];

/** Line breaks and controls: a message keeps them, a one-line name or title may not. */
const WITH_LINE_BREAKS_OR_CONTROLS: [string, string][] = [
  ['CRLF and tabs inside', 'one\r\ntwo\tthree'],
  ['a newline inside', 'Erin\nQ'],
  ['a tab inside', 'Erin\tQ'],
  ['a BEL at the end', 'Erin\u0007'],
  ['a NEL (C1 control) inside', 'Erin\u0085Q'],
  ['a line separator inside', 'Erin\u2028Q'],
  ['a paragraph separator inside', 'Erin\u2029Q'],
];

/** The messages a refused call gives for `field`, as the sign-up form and composer would show them. */
async function fieldMessages(call: Promise<unknown>, field: string): Promise<string[]> {
  const { cause } = await rejectionOf(call);
  if (!(cause instanceof ZodError)) throw new Error(`Expected a validation error, got ${String(cause)}`);
  const fieldErrors: Partial<Record<string, string[]>> = z.flattenError(cause).fieldErrors;
  return fieldErrors[field] ?? [];
}

describe('the web app\'s notion of a visible character', () => {
  it('is the server\'s, character for character (apps/web/src/format.ts keeps a copy)', () => {
    const web = readFileSync(new URL('../../../apps/web/src/format.ts', import.meta.url), 'utf8');
    expect(web).toContain(`export const VISIBLE_CHARACTER = ${String(VISIBLE_CHARACTER)};`);
  });
});

describe.each(testDialects())('text edges on %s', (dialect) => {
  const getApi = useTestApi(dialect);
  let ann: TestUser;
  let ben: TestUser;
  let notesId: number;
  let serial = 0;
  const nextClientId = () => `edge-${(serial += 1)}`;

  beforeAll(async () => {
    const api = getApi();
    ann = await api.seedUser('edge_ann');
    ben = await api.seedUser('edge_ben');
    notesId = (await ann.api.conversations.create({ kind: 'self' })).id;
  });

  const stored = {
    body: async (api: TestApi, id: number) => (await api.db.em.fork().findOneOrFail(MessageSchema, id)).body,
    title: async (api: TestApi, id: number) => (await api.db.em.fork().findOneOrFail(ConversationSchema, id)).title,
    displayName: async (api: TestApi, id: number) => (await api.db.em.fork().findOneOrFail(UserSchema, id)).displayName,
  };

  describe('message body', () => {
    const max = INPUT_LIMITS.bodyMax;

    it.each([...accepted(max), ...WITH_BIDI_CONTROLS, ...WITH_LINE_BREAKS_OR_CONTROLS])('keeps %s: sent, listed, edited and stored exactly', async (_what, text) => {
      const api = getApi();
      const expected = text.trim();
      const sent = await ann.api.messages.send({ conversationId: notesId, body: text, clientId: nextClientId() });
      expect(sent.body).toBe(expected);
      const listed = await ann.api.messages.list({ conversationId: notesId, after: sent.seq - 1, limit: 1 });
      expect(listed.items.map((message) => message.body)).toEqual([expected]);
      expect(await stored.body(api, sent.id)).toBe(expected);

      const other = await ann.api.messages.send({ conversationId: notesId, body: 'to be edited', clientId: nextClientId() });
      const edited = await ann.api.messages.edit({ id: other.id, body: text });
      expect(edited.body).toBe(expected);
      expect(await stored.body(api, other.id)).toBe(expected);
    });

    it.each(refused(max))('refuses %s, in a send and in an edit, and stores nothing', async (_what, text) => {
      const api = getApi();
      const before = (await api.db.em.fork().findOneOrFail(ConversationSchema, notesId)).lastSeq;
      await expectFieldError(ann.api.messages.send({ conversationId: notesId, body: text, clientId: nextClientId() }), 'body');
      const mine = await ann.api.messages.send({ conversationId: notesId, body: 'unchanged', clientId: nextClientId() });
      await expectFieldError(ann.api.messages.edit({ id: mine.id, body: text }), 'body');
      expect(await stored.body(api, mine.id)).toBe('unchanged');
      // Only the one good send took a seq.
      expect((await api.db.em.fork().findOneOrFail(ConversationSchema, notesId)).lastSeq).toBe(before + 1);
    });

    it('calls a body of invisible characters empty, in the words it uses for an empty one', async () => {
      const send = (body: string) => ann.api.messages.send({ conversationId: notesId, body, clientId: nextClientId() });
      const empty = await fieldMessages(send(''), 'body');
      expect(empty).toEqual(['A message cannot be empty']);
      for (const [what, text] of INVISIBLE_ONLY) expect({ what, messages: await fieldMessages(send(text), 'body') }).toEqual({ what, messages: empty });
    });
  });

  describe('group title', () => {
    const max = INPUT_LIMITS.titleMax;

    it('says why a title with a line break or a control is refused, as for a display name', async () => {
      const create = (title: string) => ann.api.conversations.create({ kind: 'group', title, participantIds: [ben.id] });
      for (const title of ['Plans\tQ', 'Plans\nQ', 'Plans\u0085Q', 'Plans\u2029Q']) {
        expect({ title, messages: await fieldMessages(create(title), 'title') }).toEqual({
          title,
          messages: ['A title cannot contain line breaks, tabs or control characters'],
        });
      }
    });

    it.each(accepted(max))('keeps %s: created, renamed, read and stored exactly', async (_what, text) => {
      const api = getApi();
      const expected = text.trim();
      const group = await ann.api.conversations.create({ kind: 'group', title: text, participantIds: [ben.id] });
      expect(group.title).toBe(expected);
      expect((await ben.api.conversations.get({ id: group.id })).title).toBe(expected);
      expect(await stored.title(api, group.id)).toBe(expected);

      const renamed = await ann.api.conversations.update({ id: group.id, title: `${text} ` });
      expect(renamed.title).toBe(expected);
      await ann.api.conversations.update({ id: group.id, title: 'plain' });
      await ann.api.conversations.update({ id: group.id, title: text });
      expect(await stored.title(api, group.id)).toBe(expected);
    });

    it.each([...refused(max), ...WITH_BIDI_CONTROLS, ...WITH_LINE_BREAKS_OR_CONTROLS])('refuses %s, at creation and in a rename', async (_what, text) => {
      const api = getApi();
      await expectFieldError(ann.api.conversations.create({ kind: 'group', title: text, participantIds: [ben.id] }), 'title');
      const group = await ann.api.conversations.create({ kind: 'group', title: 'Kept', participantIds: [ben.id] });
      await expectFieldError(ann.api.conversations.update({ id: group.id, title: text }), 'title');
      expect(await stored.title(api, group.id)).toBe('Kept');
    });
  });

  describe('display name', () => {
    const max = INPUT_LIMITS.displayNameMax;

    it('says why a disguised name is refused, and that an invisible one is empty', async () => {
      const register = (displayName: string) =>
        getApi().anonymous.auth.register({ username: `edge_named_${(serial += 1)}`, password: 'edge password', displayName });
      expect(await fieldMessages(register('Erin \u202Eevil\u202C Q'), 'displayName')).toEqual([
        'A display name cannot contain text-direction controls (U+202A–U+202E, U+2066–U+2069)',
      ]);
      expect(await fieldMessages(register('\u200B'), 'displayName')).toEqual(['A display name cannot be empty']);
      for (const name of ['Erin\u0007', 'Erin\nQ', 'Erin\u0085Q', 'Erin\u2028Q']) {
        expect({ name, messages: await fieldMessages(register(name), 'displayName') }).toEqual({
          name,
          messages: ['A display name cannot contain line breaks, tabs or control characters'],
        });
      }
    });

    it('keeps every accepted edge at sign-up: returned, shown to others and stored exactly', async () => {
      const api = getApi();
      // Side by side: each sign-up costs a password hash.
      const cases = accepted(max);
      const sessions = await Promise.all(
        cases.map(([, text], index) => api.anonymous.auth.register({ username: `edge_name_${index}`, password: 'edge password', displayName: text })),
      );
      for (const [index, [what, text]] of cases.entries()) {
        const session = sessions[index];
        if (!session) throw new Error('missing session');
        const expected = text.trim();
        expect({ what, name: session.user.displayName }).toEqual({ what, name: expected });
        const found = await ben.api.users.search({ query: `edge_name_${index}` });
        expect({ what, name: found[0]?.displayName }).toEqual({ what, name: expected });
        expect({ what, name: await stored.displayName(api, session.user.id) }).toEqual({ what, name: expected });
      }
    });

    it.each([...refused(max), ...WITH_BIDI_CONTROLS, ...WITH_LINE_BREAKS_OR_CONTROLS])('refuses %s at sign-up, before any account is made', async (_what, text) => {
      const api = getApi();
      const username = `edge_refused_${(serial += 1)}`;
      await expectFieldError(api.anonymous.auth.register({ username, password: 'edge password', displayName: text }), 'displayName');
      expect(await api.db.em.fork().count(UserSchema, { username })).toBe(0);
    });
  });
});
