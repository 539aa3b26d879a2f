/** Pure presentation rules of the inbox: names, previews, times. No React, easy to test. */
import type { ConversationSummary } from './trpc.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The UI's language is English throughout, so dates are too (a later issue may localise). */
const LOCALE = 'en';
const relative = new Intl.RelativeTimeFormat(LOCALE, { numeric: 'auto' });
const weekday = new Intl.DateTimeFormat(LOCALE, { weekday: 'short' });
const weekdayLong = new Intl.DateTimeFormat(LOCALE, { weekday: 'long' });
const dayMonth = new Intl.DateTimeFormat(LOCALE, { month: 'short', day: 'numeric' });
const dayMonthYear = new Intl.DateTimeFormat(LOCALE, { month: 'short', day: 'numeric', year: 'numeric' });
const dateLong = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'long' });
const full = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'full', timeStyle: 'short' });

export interface RelativeTime {
  /** What fits in an inbox row: "now", "5m", "3h", "Yesterday", "Tue", "Mar 4", "Mar 4, 2024". */
  short: string;
  /** The same for a screen reader: "5 minutes ago", "yesterday", "Tuesday". */
  long: string;
  /** The exact moment, for a tooltip. */
  exact: string;
}

/** How long ago `then` was, as messengers show it: minutes and hours, then days, then dates. */
export function relativeTime(then: Date, now: Date): RelativeTime {
  const exact = full.format(then);
  // A clock slightly ahead of ours must not show "in 2 minutes".
  const elapsed = Math.max(0, now.getTime() - then.getTime());
  if (elapsed < MINUTE) return { short: 'now', long: 'just now', exact };
  if (elapsed < HOUR) {
    const minutes = Math.floor(elapsed / MINUTE);
    return { short: `${minutes}m`, long: relative.format(-minutes, 'minute'), exact };
  }
  if (elapsed < DAY) {
    const hours = Math.floor(elapsed / HOUR);
    return { short: `${hours}h`, long: relative.format(-hours, 'hour'), exact };
  }
  const days = calendarDaysBetween(then, now);
  if (days === 1) return { short: 'Yesterday', long: 'yesterday', exact };
  if (days < 7) return { short: weekday.format(then), long: weekdayLong.format(then), exact };
  if (then.getFullYear() === now.getFullYear()) return { short: dayMonth.format(then), long: dateLong.format(then), exact };
  return { short: dayMonthYear.format(then), long: dateLong.format(then), exact };
}

const clock = new Intl.DateTimeFormat(LOCALE, { timeStyle: 'short' });
const dayAndClock = new Intl.DateTimeFormat(LOCALE, { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });

/** When something later ends, as an alarm clock says it: "7:30 PM", "tomorrow 9:00 AM", "Mon, Dec 14, 7:30 PM". */
export function laterTime(then: Date, now: Date): string {
  const days = calendarDaysBetween(now, then);
  if (days <= 0) return clock.format(then);
  if (days === 1) return `tomorrow ${clock.format(then)}`;
  return dayAndClock.format(then);
}

/** Whole local calendar days from `then` to `now` (a message at 23:59 is "yesterday" at 00:01). */
function calendarDaysBetween(then: Date, now: Date): number {
  const start = new Date(then.getFullYear(), then.getMonth(), then.getDate());
  const end = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  // Round: a day across a daylight-saving change is 23 or 25 hours long.
  return Math.round((end.getTime() - start.getTime()) / DAY);
}

type Named = Pick<ConversationSummary, 'kind' | 'title' | 'participants' | 'participantCount'>;

/** A group's size in its header: "1 member", "12 members". */
export const memberCount = (count: number): string => (count === 1 ? '1 member' : `${count} members`);

/** My messages not yet stored, as signing out would lose them: "1 unsent message", "3 unsent messages". */
export const unsentCount = (count: number): string => (count === 1 ? '1 unsent message' : `${count} unsent messages`);

/** The other person's @username in a DM (it tells two people of the same name apart); null otherwise. */
export function directHandle(conversation: Pick<ConversationSummary, 'kind' | 'participants'>, myId: number): string | null {
  if (conversation.kind !== 'direct') return null;
  const other = conversation.participants.find((participant) => participant.id !== myId);
  return other ? `@${other.username}` : null;
}

/**
 * Letters that pass for Latin ones (the common few of Unicode's confusables, UTS #39): Cyrillic
 * and Greek look-alikes, and I, 1 and | for l, 0 for o, as a reader sees them in a name. Two
 * names taken for one when they are not only cost a row its @username.
 */
const LOOK_ALIKES = new Map(
  Object.entries({
    А: 'a', В: 'b', Е: 'e', К: 'k', М: 'm', Н: 'h', О: 'o', Р: 'p', С: 'c', Т: 't', Х: 'x', У: 'y', Ѕ: 's', Ј: 'j',
    а: 'a', е: 'e', о: 'o', р: 'p', с: 'c', у: 'y', х: 'x', ѕ: 's', ј: 'j', һ: 'h', ԁ: 'd', ԛ: 'q', ԝ: 'w',
    Α: 'a', Β: 'b', Ε: 'e', Ζ: 'z', Η: 'h', Κ: 'k', Μ: 'm', Ν: 'n', Ο: 'o', Ρ: 'p', Τ: 't', Υ: 'y', Χ: 'x',
    ο: 'o', α: 'a', κ: 'k', ν: 'v', ρ: 'p', υ: 'u', '0': 'o',
    // A capital I is an l to the eye, so every i is one here (case is folded too).
    I: 'l', i: 'l', ı: 'l', І: 'l', і: 'l', Ι: 'l', ι: 'l', ӏ: 'l', '1': 'l', '|': 'l',
  }),
);

/**
 * What a name looks like, for telling whether two names would pass for each other: "Bob
 * Marley", "BOB  MARLEY", "Bоb Marley" (a Cyrillic о), "Bob\u00A0Marley\u200D" and "Bob MarIey"
 * are one. Compatibility forms folded (NFKC), look-alikes mapped (a capital by its lower
 * case too), case folded, spaces and invisible characters dropped ("AliceLiddell" is taken
 * for "Alice Liddell": a row too many with its @username is the cheap mistake).
 */
export function nameLikeness(name: string): string {
  let folded = '';
  // Spaces and everything unseen go: a blank that is not a space (U+2800, U+3164) looks like one.
  for (const character of name.normalize('NFKC')) {
    if (!hasVisibleText(character)) continue;
    const lower = character.toLowerCase();
    folded += LOOK_ALIKES.get(character) ?? LOOK_ALIKES.get(lower) ?? lower;
  }
  return folded.replace(/rn/g, 'm');
}

/**
 * The ids of those whose name another's would pass for (nameLikeness): anyone may take any
 * display name, so such a name says whose it is wherever it is shown.
 */
export function lookAlikes(named: readonly { id: number; name: string }[]): ReadonlySet<number> {
  const idsByLikeness = new Map<string, number[]>();
  for (const { id, name } of named) {
    const likeness = nameLikeness(name);
    idsByLikeness.set(likeness, [...(idsByLikeness.get(likeness) ?? []), id]);
  }
  return new Set([...idsByLikeness.values()].filter((ids) => ids.length > 1).flat());
}

/** The conversations (ids) whose names, as I see them, another of these would pass for: an inbox DM among them adds whose it is. */
export function conversationsAlike(conversations: readonly (Named & { id: number })[], myId: number): ReadonlySet<number> {
  return lookAlikes(conversations.map((conversation) => ({ id: conversation.id, name: conversationName(conversation, myId) })));
}

/**
 * Members by id as a thread names them (above messages, in notices, "is typing…"): a name
 * that another member's would pass for says whose it is, "Bob Marley (@bob2x)".
 */
export function memberNames(participants: readonly { id: number; username: string; displayName: string }[]): Map<number, string> {
  const alike = lookAlikes(participants.map(({ id, displayName }) => ({ id, name: displayName })));
  return new Map(participants.map(({ id, username, displayName }) => [id, alike.has(id) ? `${displayName} (@${username})` : displayName]));
}

/**
 * What a conversation is called for me: its title, the other person, or my notes. An inbox
 * summary names only a few members; `participantCount` counts them all.
 */
export function conversationName(conversation: Named, myId: number): string {
  if (conversation.kind === 'self') return 'Notes to self';
  const others = conversation.participants.filter((participant) => participant.id !== myId);
  if (conversation.kind === 'direct') return others[0]?.displayName ?? 'Former member';
  if (conversation.title) return conversation.title;
  // I am one of participantCount, named or not.
  return listNames(others.map((participant) => participant.displayName), conversation.participantCount - 1) || 'Group';
}

/** "Ann, Bo, Cy", or for more than three people "Ann, Bo and 5 others" (`total`: all of them). */
function listNames(names: string[], total: number): string {
  if (total <= 3 && names.length === total) return names.join(', ');
  return `${names.slice(0, 2).join(', ')} and ${total - Math.min(2, names.length)} others`;
}

/**
 * A character someone can see: not whitespace, not default-ignorable (zero-width spaces and
 * joiners, BOM, soft hyphen, bidi marks and controls, Hangul fillers…), not a control or other
 * format character (U+FFF9–U+FFFB), not a combining mark (it draws only on a base), not the
 * object replacement character U+FFFC or the blank Braille pattern; the prepended
 * concatenation marks (U+0600–U+0605, U+06DD…) draw a glyph, so they count. A copy of the
 * API's rule (packages/api/src/schemas.ts, which the web app may not import at run time);
 * the API's text-edges test fails if they differ.
 */
export const VISIBLE_CHARACTER = /[^\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cf}\p{M}\u2800\uFFFC]|[\u0600-\u0605\u06DD\u070F\u0890\u0891\u08E2\u{110BD}\u{110CD}]/u;

/** Whether text shows anything: the API refuses a message, name or title that does not. */
export function hasVisibleText(text: string): boolean {
  return VISIBLE_CHARACTER.test(text);
}

const graphemes = new Intl.Segmenter(LOCALE, { granularity: 'grapheme' });

/** A word's first character with something to see, whole: "é" as e + U+0301, a ZWJ emoji. */
function firstVisibleGrapheme(word: string): string {
  for (const { segment } of graphemes.segment(word)) if (hasVisibleText(segment)) return segment;
  return '';
}

/**
 * An avatar's letters: the first visible character of the first two words, "Ann Lee" → "AL".
 * Invisible characters never count, so "Erin \u202Eevil\u202C Q" gives "EE", not a
 * direction control that reorders the avatar (names holding one predate the API's rule).
 */
export function initialsOf(name: string, kind: ConversationSummary['kind']): string {
  if (kind === 'self') return '✎';
  return name
    .split(/\s+/)
    .map(firstVisibleGrapheme)
    .filter(Boolean)
    .slice(0, 2)
    .map((initial) => initial.toUpperCase())
    .join('');
}

/**
 * A line in the interface's language with pieces people wrote (names, titles, bodies) set
 * apart: shown in <bdi> (TextParts), so a right-to-left name reorders only itself, not the
 * sentence around it ("محمد added Bob", not "added Bob محمد").
 */
export type TextPart = string | { isolate: string };

/** A message body cut into what it says as written and the web links in it (linkParts). */
export type BodyPart = string | { link: string; href: string };

/**
 * Where a link may start: http(s):// or www., not inside a word, an address (user@www…) or
 * another URL ("javascript:https://…"). Bare hosts ("example.com", "node.js") are not links:
 * too many ordinary words and file names look like them. Nor are mailto: and other schemes.
 * A link ends at whitespace, < or >, and at control and format characters: a URL holds none as
 * written, and a bidi override inside a link could show an address other than its href.
 */
const LINK_CANDIDATE = /(?<![\p{L}\p{N}\p{M}_@./:])(?:https?:\/\/|www\.)[^\s<>\p{Cc}\p{Cf}]*/giu;

/** Punctuation that ends the sentence around a link rather than the link ("see https://x.com."). */
const SENTENCE_PUNCTUATION = new Set(['.', ',', ';', ':', '!', '?', "'", '"', '…', '。', '、', '，', '！', '？']);

/** Closing brackets a link keeps only when it opened them: "(see https://w.org/Foo_(bar))". */
const OPENER_OF = new Map([
  [')', '('],
  [']', '['],
]);

/** The candidate without what the sentence put after it. */
function trimTrailingPunctuation(candidate: string): string {
  const unmatchedClosers = new Map<string, number>();
  for (const [closer, opener] of OPENER_OF) {
    let depth = 0;
    for (const character of candidate) depth += character === closer ? 1 : character === opener ? -1 : 0;
    unmatchedClosers.set(closer, depth);
  }
  let end = candidate.length;
  while (end > 0) {
    const last = candidate.charAt(end - 1);
    const unmatched = unmatchedClosers.get(last) ?? 0;
    if (SENTENCE_PUNCTUATION.has(last)) end -= 1;
    else if (unmatched > 0) {
      unmatchedClosers.set(last, unmatched - 1);
      end -= 1;
    } else break;
  }
  return candidate.slice(0, end);
}

/** The host as written: after the scheme, before the path, query, fragment or port. */
const WRITTEN_HOST = /^(?:https?:\/\/)?([^/?#:]*)/i;

/**
 * A link as it is shown and where it goes (www. ones over https), or null: no URL after all,
 * or one that would show a host it does not go to. A user name before the host
 * ("https://bank.example@evil.example") reads as the host, so it stays text. A host written in
 * other scripts can pass for a familiar one ("аpple.com" with a Cyrillic "а"): it is shown as
 * the browser reaches it, in ASCII ("xn--pple-43d.com"), as browsers' address bars do.
 */
function linkOf(written: string): { link: string; href: string } | null {
  const href = /^www\./i.test(written) ? `https://${written}` : written;
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  if (!url.hostname || url.username || url.password) return null;
  const host = WRITTEN_HOST.exec(written)?.[1] ?? '';
  // Anything outside printable ASCII.
  if (/[^ -~]/.test(host)) return { link: written.replace(host, url.hostname), href };
  return { link: written, href };
}

/**
 * A message body as text and web links, in order: "see https://x.com/a?b=1." gives
 * ["see ", { link: "https://x.com/a?b=1", href: "https://x.com/a?b=1" }, "."]. Only http(s)
 * and www. become links; everything else, "javascript:" and HTML look-alikes included, stays text.
 */
export function linkParts(body: string): BodyPart[] {
  const parts: BodyPart[] = [];
  let textStart = 0;
  for (const match of body.matchAll(LINK_CANDIDATE)) {
    const written = trimTrailingPunctuation(match[0]);
    const link = linkOf(written);
    if (!link) continue;
    if (match.index > textStart) parts.push(body.slice(textStart, match.index));
    parts.push(link);
    textStart = match.index + written.length;
  }
  if (textStart < body.length) parts.push(body.slice(textStart));
  return parts;
}

const PREVIEW_MAX = 120;

type Previewed = Pick<ConversationSummary, 'kind' | 'participants' | 'lastMessage'>;

/**
 * One line about the last message: "You: see you", "Bob: ok", "Message deleted", "No messages yet".
 * `formerMemberNames`: names of senders no longer in the group (formerSenderOf says whom to ask for).
 */
export function messagePreview(conversation: Previewed, myId: number, formerMemberNames: ReadonlyMap<number, string> = new Map()): TextPart[] {
  const message = conversation.lastMessage;
  if (!message) return ['No messages yet'];
  const text: TextPart = message.deletedAt ? 'Message deleted' : { isolate: shorten(message.body.replace(/\s+/g, ' ').trim(), PREVIEW_MAX) };
  if (message.senderId === myId) return conversation.kind === 'self' ? [text] : ['You: ', text];
  // In a DM the row already names the sender.
  if (conversation.kind !== 'group') return [text];
  const sender = conversation.participants.find((participant) => participant.id === message.senderId);
  return [{ isolate: sender?.displayName ?? formerMemberNames.get(message.senderId) ?? 'Former member' }, ': ', text];
}

/**
 * The sender of a group's last message when the summary cannot name them: an inbox summary
 * always names the last sender while they are a member, so this one left or was removed.
 */
export function formerSenderOf(conversation: Previewed, myId: number): number | null {
  const senderId = conversation.lastMessage?.senderId;
  if (conversation.kind !== 'group' || senderId === undefined || senderId === myId) return null;
  return conversation.participants.some((participant) => participant.id === senderId) ? null : senderId;
}

/** Cuts by characters as people count them, so an emoji is never split in half. */
function shorten(text: string, max: number): string {
  const characters = [...text];
  return characters.length <= max ? text : `${characters.slice(0, max - 1).join('')}…`;
}

export const UNREAD_BADGE_MAX = 99;

export function unreadBadge(count: number): { text: string; label: string } {
  return {
    text: count > UNREAD_BADGE_MAX ? `${UNREAD_BADGE_MAX}+` : String(count),
    label: count === 1 ? '1 unread message' : `${count} unread messages`,
  };
}
