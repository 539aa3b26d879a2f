import { describe, expect, it } from 'vitest';
import { conversationName, directHandle, formerSenderOf, memberNames, conversationsAlike, hasVisibleText, initialsOf, laterTime, memberCount, messagePreview, nameLikeness, relativeTime, unreadBadge, unsentCount } from './format.ts';
import { message, participant, plainText, summary } from './test-fixtures.ts';
import type { ConversationSummary } from './trpc.ts';

// Local-time constructors, so calendar rules ("yesterday") hold in every time zone.
const now = new Date(2026, 10, 12, 14, 30); // Thursday 12 November 2026, 14:30
const ago = (ms: number) => new Date(now.getTime() - ms);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('laterTime', () => {
  it('says a later time of today by its clock, of tomorrow as tomorrow, and further off with its day', () => {
    const now = new Date(2026, 11, 7, 18, 0);
    expect(laterTime(new Date(2026, 11, 7, 19, 30), now)).toBe('7:30 PM');
    expect(laterTime(new Date(2026, 11, 8, 2, 0), now)).toBe('tomorrow 2:00 AM');
    expect(laterTime(new Date(2026, 11, 14, 18, 0), now)).toBe('Mon, Dec 14, 6:00 PM');
  });
});

describe('relativeTime', () => {
  it('counts minutes, then hours, within the last day', () => {
    expect(relativeTime(ago(20_000), now)).toMatchObject({ short: 'now', long: 'just now' });
    expect(relativeTime(ago(5 * MINUTE), now)).toMatchObject({ short: '5m', long: '5 minutes ago' });
    expect(relativeTime(ago(59 * MINUTE), now)).toMatchObject({ short: '59m' });
    expect(relativeTime(ago(3 * HOUR), now)).toMatchObject({ short: '3h', long: '3 hours ago' });
  });

  it('never shows a time in the future when the server clock is slightly ahead', () => {
    expect(relativeTime(new Date(now.getTime() + 90_000), now).short).toBe('now');
  });

  it('switches to calendar days after 24 hours: yesterday, then the weekday', () => {
    expect(relativeTime(new Date(2026, 10, 11, 9, 0), now)).toMatchObject({ short: 'Yesterday', long: 'yesterday' });
    expect(relativeTime(new Date(2026, 10, 9, 9, 0), now)).toMatchObject({ short: 'Mon', long: 'Monday' });
  });

  it('shows the date for older messages, with the year only when it is not this year', () => {
    expect(relativeTime(new Date(2026, 2, 4, 9, 0), now)).toMatchObject({ short: 'Mar 4', long: 'March 4, 2026' });
    expect(relativeTime(new Date(2024, 11, 31, 9, 0), now).short).toBe('Dec 31, 2024');
  });

  it('always gives the exact moment for a tooltip', () => {
    expect(relativeTime(ago(5 * MINUTE), now).exact).toContain('November 12, 2026');
  });
});

const alice = participant(1, 'Alice Liddell');
const bob = participant(2, 'Bob Marley');
const carol = participant(3, 'Carol Danvers');

describe('conversationName', () => {
  it('names a DM after the other person, never after me', () => {
    expect(conversationName(summary({ kind: 'direct', participants: [alice, bob] }), alice.id)).toBe('Bob Marley');
    expect(conversationName(summary({ kind: 'direct', participants: [alice, bob] }), bob.id)).toBe('Alice Liddell');
  });

  it('uses the title of a group, and its members when it has none', () => {
    expect(conversationName(summary({ kind: 'group', title: 'Weekend trip', participants: [alice, bob, carol] }), alice.id)).toBe(
      'Weekend trip',
    );
    expect(conversationName(summary({ kind: 'group', title: null, participants: [alice, bob, carol] }), alice.id)).toBe(
      'Bob Marley, Carol Danvers',
    );
  });

  it('counts the members an inbox summary does not name', () => {
    // A summary names a few of a group's members; participantCount has them all (me too).
    const named = { kind: 'group' as const, title: null, participants: [alice, bob, carol] };
    expect(conversationName(summary({ ...named, participantCount: 40 }), alice.id)).toBe('Bob Marley, Carol Danvers and 37 others');
    expect(conversationName(summary({ ...named, participantCount: 40 }), 99)).toBe('Alice Liddell, Bob Marley and 37 others');
  });

  it('calls my own conversation "Notes to self"', () => {
    expect(conversationName(summary({ kind: 'self', participants: [alice] }), alice.id)).toBe('Notes to self');
  });
});

describe('telling conversations of the same name apart', () => {
  it('finds the names more than one conversation goes by, case folded', () => {
    const impostor = { ...participant(9, 'alice LIDDELL'), username: 'fakealice' };
    const conversations = [
      summary({ kind: 'direct', participants: [bob, alice] }),
      summary({ kind: 'direct', participants: [bob, impostor] }),
      summary({ kind: 'group', title: 'Alice Liddell', participants: [bob, carol] }),
      summary({ kind: 'direct', participants: [bob, carol] }),
      summary({ kind: 'self', participants: [bob] }),
    ];
    // The two DMs and the group called "Alice Liddell" (by id; summary ids are 1 unless given).
    expect([...conversationsAlike(conversations.map((conversation, index) => ({ ...conversation, id: index + 1 })), bob.id)]).toEqual([1, 2, 3]);
    // The DMs say whose they are; a group has no one account to name.
    expect(conversations.map((conversation) => directHandle(conversation, bob.id))).toEqual(['@alice', '@fakealice', null, '@carol', null]);
  });
});

describe('nameLikeness', () => {
  it('takes names that would pass for each other as one', () => {
    const bob = nameLikeness('Bob Marley');
    // Case, a Cyrillic о, a no-break space, two spaces, a zero-width joiner, a capital I for an l, full-width letters.
    for (const impostor of ['BOB MARLEY', 'B\u043Eb Marley', 'Bob\u00A0Marley', 'Bob  Marley', 'Bob Marley\u200D', 'Bob MarIey', 'Ｂｏｂ Marley', 'Bob\u2800Marley', 'Bob\u3164Marley', 'Bob Mar\u04C0ey']) {
      expect(nameLikeness(impostor)).toBe(bob);
    }
    expect(nameLikeness('Rob Marley')).not.toBe(bob);
    expect(nameLikeness('Иван')).toBe(nameLikeness('иван'));
    expect(nameLikeness('\u051Cendy')).toBe(nameLikeness('Wendy')); // a capital Cyrillic Ԝ
  });
});

describe('memberNames', () => {
  it('says whose a name is where another member has one that would pass for it', () => {
    const twin = { ...participant(9, 'Bob  Marley'), username: 'bob2x' };
    const names = memberNames([alice, bob, twin]);
    expect([...names.values()]).toEqual(['Alice Liddell', 'Bob Marley (@bob)', 'Bob  Marley (@bob2x)']);
    expect(memberNames([alice, bob]).get(bob.id)).toBe('Bob Marley');
  });
});

describe('messagePreview', () => {
  it('says who wrote the last message where the row does not already say it', () => {
    const dm = { kind: 'direct', participants: [alice, bob] } satisfies Partial<ConversationSummary>;
    expect(plainText(messagePreview(summary({ ...dm, lastMessage: message(alice.id, 'See you at 5') }), alice.id))).toBe('You: See you at 5');
    expect(plainText(messagePreview(summary({ ...dm, lastMessage: message(bob.id, 'On my way') }), alice.id))).toBe('On my way');
    const group = { kind: 'group', title: 'Trip', participants: [alice, bob, carol] } satisfies Partial<ConversationSummary>;
    expect(plainText(messagePreview(summary({ ...group, lastMessage: message(carol.id, 'Tickets booked') }), alice.id))).toBe(
      'Carol Danvers: Tickets booked',
    );
    expect(plainText(messagePreview(summary({ kind: 'self', participants: [alice], lastMessage: message(alice.id, 'milk') }), alice.id))).toBe(
      'milk',
    );
  });

  it('names a last sender who left the group by the name looked up for them, else "Former member"', () => {
    // Bob wrote last, then left: the summary no longer names him.
    const left = summary({ kind: 'group', title: 'Band', participants: [alice, carol], lastMessage: message(bob.id, 'One love') });
    expect(formerSenderOf(left, alice.id)).toBe(bob.id);
    expect(plainText(messagePreview(left, alice.id, new Map([[bob.id, 'Bob Marley']])))).toBe('Bob Marley: One love');
    expect(plainText(messagePreview(left, alice.id, new Map()))).toBe('Former member: One love');
    // Nobody to ask for: a member, me, a DM, no message.
    const group = { kind: 'group', title: 'Trip', participants: [alice, bob, carol] } satisfies Partial<ConversationSummary>;
    expect(formerSenderOf(summary({ ...group, lastMessage: message(carol.id, 'hi') }), alice.id)).toBeNull();
    expect(formerSenderOf(summary({ ...group, participants: [bob], lastMessage: message(alice.id, 'hi') }), alice.id)).toBeNull();
    expect(formerSenderOf(summary({ kind: 'direct', participants: [alice], lastMessage: message(bob.id, 'hi') }), alice.id)).toBeNull();
    expect(formerSenderOf(summary({ ...group, participants: [alice], lastMessage: null }), alice.id)).toBeNull();
  });

  it('keeps a deleted message deleted and an empty conversation honest', () => {
    const deleted = { ...message(bob.id, ''), deletedAt: now.toISOString() };
    expect(plainText(messagePreview(summary({ participants: [alice, bob], lastMessage: deleted }), alice.id))).toBe('Message deleted');
    expect(plainText(messagePreview(summary({ participants: [alice, bob], lastMessage: null }), alice.id))).toBe('No messages yet');
  });

  it('sets names and bodies apart from the words around them, so right-to-left ones reorder only themselves', () => {
    const group = { kind: 'group', title: 'Trip', participants: [alice, participant(9, 'محمد عبد الرحمن')] } satisfies Partial<ConversationSummary>;
    expect(messagePreview(summary({ ...group, lastMessage: message(9, 'مرحبا') }), alice.id)).toEqual([{ isolate: 'محمد عبد الرحمن' }, ': ', { isolate: 'مرحبا' }]);
    expect(messagePreview(summary({ ...group, lastMessage: message(alice.id, 'hi') }), alice.id)).toEqual(['You: ', { isolate: 'hi' }]);
  });

  it('fits a long, multi-line message on one line without splitting an emoji', () => {
    const body = `first line\n\nsecond   line ${'🎉'.repeat(200)}`;
    const preview = plainText(messagePreview(summary({ participants: [alice, bob], lastMessage: message(bob.id, body) }), alice.id));
    expect(preview.startsWith('first line second line 🎉')).toBe(true);
    expect([...preview]).toHaveLength(120);
    expect(preview.endsWith('🎉…')).toBe(true);
  });
});

describe('hasVisibleText', () => {
  it('finds nothing to see in whitespace, zero-width, bidi and filler characters', () => {
    const invisible = [
      '',
      ' \n\t\u00A0\u3000',
      '\u200B',
      '\u200C\u200D\u2060\uFEFF\u00AD\u180E',
      '\u200E\u200F\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069',
      '\u3164\u115F\u1160\uFFA0\u2800',
      '\u034F',
      '\u0007\u0085',
      // Format characters, a stand-in for an object, combining marks with no base.
      '\uFFF9\uFFFA\uFFFB',
      '\uFFFC',
      '\u{13430}',
      '\u0301',
      ' \u0301\u0308 ',
    ];
    for (const text of invisible) expect({ text, visible: hasVisibleText(text) }).toEqual({ text, visible: false });
  });

  it('finds letters, emoji and marks on a base, whatever invisible characters surround them', () => {
    const visible = [
      'a',
      '\u200Bx\u200B',
      '👩‍👩‍👧',
      '🇫🇷',
      'שלום',
      'नमस्ते',
      '\u202Eevil\u202C',
      'e\u0301',
      '.',
      // A replacement character, the tatweel and the end-of-ayah sign each draw a glyph.
      '\uFFFD',
      '\u0640\u0640',
      '\u06DD',
    ];
    for (const text of visible) {
      expect({ text, visible: hasVisibleText(text) }).toEqual({ text, visible: true });
    }
  });
});

describe('initialsOf', () => {
  it('takes the first letter of the first two words', () => {
    expect(initialsOf('Ann Lee Smith', 'direct')).toBe('AL');
    expect(initialsOf('  bob  ', 'group')).toBe('B');
    expect(initialsOf('Notes', 'self')).toBe('✎');
  });

  it('uses visible letters only: a direction control or zero-width character is never an initial', () => {
    const initials = initialsOf('Erin \u202Eevil\u202C Q', 'direct');
    expect(initials).toBe('EE');
    expect(hasVisibleText(initials.replace(/\p{L}/gu, ''))).toBe(false);
    expect(initials).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/u);
    expect(initialsOf('\u200B\u2066Zoe \u3164 \u200BYu', 'direct')).toBe('ZY');
    expect(initialsOf('\u2800 \u200B', 'direct')).toBe('');
  });

  it('keeps a character whole: a decomposed accent, an emoji sequence, a right-to-left letter', () => {
    expect(initialsOf('e\u0301mile zola', 'direct')).toBe('E\u0301Z');
    expect(initialsOf('👩‍💻 Dev', 'direct')).toBe('👩‍💻D');
    expect(initialsOf('مرحبا שלום', 'direct')).toBe('مש');
  });
});

describe('unreadBadge', () => {
  it('caps the number shown but tells a screen reader the real count', () => {
    expect(unreadBadge(1)).toEqual({ text: '1', label: '1 unread message' });
    expect(unreadBadge(7)).toEqual({ text: '7', label: '7 unread messages' });
    expect(unreadBadge(250)).toEqual({ text: '99+', label: '250 unread messages' });
  });
});

describe('memberCount', () => {
  it('says "member" for one and "members" otherwise', () => {
    expect([1, 2, 256].map(memberCount)).toEqual(['1 member', '2 members', '256 members']);
  });
});

describe('unsentCount', () => {
  it('says "message" for one and "messages" otherwise', () => {
    expect([1, 2].map(unsentCount)).toEqual(['1 unsent message', '2 unsent messages']);
  });
});
