/** Zod schemas shared by several routers. Every string and list has an explicit bound. */
import { z } from 'zod';
import { INPUT_LIMITS } from './limits.ts';

// Ids and seqs are int4 columns. Out of range names nothing: said in words, not zod's
// "Too big: expected number to be <=2147483647"; and once (1e20 is neither a safe integer
// nor in range, which would say it twice).
const NOT_AN_ID = 'Not a valid id';
const NOT_A_SEQ = 'Not a valid seq';
export const id = z.number().int({ message: NOT_AN_ID, abort: true }).positive(NOT_AN_ID).max(2 ** 31 - 1, NOT_AN_ID);
export const seq = z.number().int({ message: NOT_A_SEQ, abort: true }).min(0, NOT_A_SEQ).max(2 ** 31 - 1, NOT_A_SEQ);
/** A tracked event id, as tRPC hands it back on reconnect: the seq as a string. */
export const eventId = z.string().regex(/^\d{1,10}$/, 'An event id is a seq');

const USERNAME_RULE = '3–32 characters: letters, digits, _ . - (at least one letter or digit)';

/**
 * A username at registration. Punctuation alone ("...", "_-_") reads as a cut-off or loading
 * name wherever it is shown. Sign-in takes any string (routers/auth.ts), so an account made
 * before that rule still signs in.
 */
export const username = z
  .string()
  .trim()
  .toLowerCase()
  // Aborts on failure, so a name that breaks both rules gets the message once.
  .regex(INPUT_LIMITS.usernamePattern, { error: USERNAME_RULE, abort: true })
  .refine((name) => /[a-z0-9]/.test(name), USERNAME_RULE);

export const password = z
  .string()
  .min(INPUT_LIMITS.passwordMin, `At least ${INPUT_LIMITS.passwordMin} characters`)
  .max(INPUT_LIMITS.passwordMax, `At most ${INPUT_LIMITS.passwordMax} characters`);

/** Characters as people count them in a length limit: code points, so an emoji is one. */
export const characterCount = (value: string) => [...value].length;

/**
 * No NUL: MikroORM inlines parameters into the statement, and a NUL breaks it on both
 * dialects (a server error instead of a clear BAD_REQUEST).
 */
export const hasNoNul = (value: string) => !value.includes('\u0000');

/**
 * A character someone can see. Whitespace, default-ignorable characters (zero-width spaces
 * and joiners, BOM, soft hyphen, bidi marks and controls, Hangul fillers, variation
 * selectors, the combining grapheme joiner…), C0/C1 controls, the other format characters
 * (\p{Cf}: the interlinear annotation marks U+FFF9–U+FFFB, hieroglyph format controls), the
 * object replacement character U+FFFC (a stand-in for an embedded object a message never
 * has) and the blank Braille pattern U+2800 draw nothing, so text made only of them is
 * empty: an empty bubble, a blank name. A combining mark (\p{M}) draws only on a base
 * character, so marks alone are empty too ("e\u0301" is visible by its "e"). The prepended
 * concatenation marks (U+0600–U+0605, U+06DD end of ayah…) are format characters with a
 * glyph of their own, so they count as visible; U+FFFD and the tatweel U+0640 draw a glyph too.
 * The web app keeps a copy (apps/web/src/format.ts, `VISIBLE_CHARACTER`); keep the two equal
 * (test/text-edges.test.ts compares them).
 */
export const VISIBLE_CHARACTER = /[^\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cf}\p{M}\u2800\uFFFC]|[\u0600-\u0605\u06DD\u070F\u0890\u0891\u08E2\u{110BD}\u{110CD}]/u;

export const hasVisibleCharacter = (value: string) => VISIBLE_CHARACTER.test(value);

/**
 * Controls that reorder the text after them: embeddings, overrides and isolates. In a name
 * they let "Erin \u202Eevil\u202C Q" read "Erin live Q"; right-to-left names need none of
 * them (the marks U+200E/U+200F and U+061C, which reorder nothing, stay allowed).
 */
export const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;

export const hasNoBidiControl = (value: string) => !BIDI_CONTROL.test(value);

/**
 * Free text as people type it: trimmed, 1..max characters (code points), at least one of them
 * visible, well-formed Unicode (a lone surrogate would be stored as U+FFFD and come back
 * different), no NUL.
 */
export function text(label: string, max: number, { allowEmpty = false } = {}) {
  return (
    z
      .string()
      // Bounds the work of trimming and counting before the real limit is applied.
      .max(max * 4 + 256, `${label} can have at most ${max} characters`)
      .transform((value) => value.trim())
      .refine((value) => allowEmpty || hasVisibleCharacter(value), `${label} cannot be empty`)
      .refine((value) => characterCount(value) <= max, `${label} can have at most ${max} characters`)
      .refine((value) => value.isWellFormed(), `${label} is not valid Unicode text`)
      .refine(hasNoNul, `${label} cannot contain NUL characters`)
  );
}

/**
 * Controls and line breaks: C0/C1 controls (tab, newline, BEL, NEL…) and the line and
 * paragraph separators U+2028/U+2029. A name is shown on one line beside others' text; a
 * break in it splits a header or an inbox row, a control draws nothing or a box.
 */
export const LINE_BREAK_OR_CONTROL = /[\p{Cc}\u2028\u2029]/u;

export const hasNoLineBreakOrControl = (value: string) => !LINE_BREAK_OR_CONTROL.test(value);

/**
 * A name others see beside their own text (display names and group titles, one rule for
 * both): one line, no controls, no direction controls to disguise it. Message bodies keep
 * newlines and tabs.
 */
function nameText(label: string, max: number) {
  return text(label, max)
    .refine(hasNoLineBreakOrControl, `${label} cannot contain line breaks, tabs or control characters`)
    .refine(hasNoBidiControl, `${label} cannot contain text-direction controls (U+202A–U+202E, U+2066–U+2069)`);
}

export const displayName = nameText('A display name', INPUT_LIMITS.displayNameMax);

export const title = nameText('A title', INPUT_LIMITS.titleMax);

/** Search text, matched with LIKE; blank means no filter. */
export const searchText = text('Search text', INPUT_LIMITS.searchMax, { allowEmpty: true });

/**
 * What users.search looks for: search text less one leading "@" (people are shown as
 * "@bob"), and what is left must still be search text, so "@" alone is empty.
 */
export const peopleQuery = text('Search text', INPUT_LIMITS.searchMax)
  .transform((query) => query.replace(/^@/, ''))
  .pipe(text('Search text', INPUT_LIMITS.searchMax));

/**
 * A message body: 1–4000 characters after trimming. Direction controls stay (people paste
 * text that holds them); the web app isolates each body so their effect ends with it.
 */
export const messageBody = text('A message', INPUT_LIMITS.bodyMax);

/** The sender's idempotency key for a send. */
export const clientId = z
  .string()
  .min(1, 'A client id cannot be empty')
  .max(INPUT_LIMITS.clientIdMax, `At most ${INPUT_LIMITS.clientIdMax} characters`)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only');

const PAGE_SIZE = `From 1 to ${INPUT_LIMITS.pageMax} per page`;
/** Where a page of the inbox ends (conversations.list's nextCursor); checked in full when decoded. */
export const inboxCursor = z.string().max(40, 'Not a valid cursor');
export const pageLimit = z.number().int(PAGE_SIZE).min(1, PAGE_SIZE).max(INPUT_LIMITS.pageMax, PAGE_SIZE);

/**
 * The people of a new or growing group: as many as the group can hold, said as the service
 * says it when those already in the group are counted too.
 */
export const groupMemberIds = z.array(id).max(INPUT_LIMITS.groupSizeMax, `A group can have at most ${INPUT_LIMITS.groupSizeMax} members`);

const MUTE_SECONDS = `A mute lasts ${INPUT_LIMITS.muteSecondsMin} seconds to ${INPUT_LIMITS.muteSecondsMax / 86_400} days (or, without forSeconds, until unmuted)`;
/** How long a mute for a while lasts, in whole seconds. */
export const muteSeconds = z
  .number()
  .int(MUTE_SECONDS)
  .min(INPUT_LIMITS.muteSecondsMin, MUTE_SECONDS)
  .max(INPUT_LIMITS.muteSecondsMax, MUTE_SECONDS);
