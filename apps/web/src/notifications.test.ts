import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CATCH_UP_MAX, catchUpNotices, createNotifier, endedNotice, messageNotice, NOTICE_DELAY_MS, type MessageNotice } from './notifications.ts';
import { fakeNotificationHost, inboxRow, message, participant } from './test-fixtures.ts';
import type { ConversationSummary, InboxEvent } from './trpc.ts';

const me = participant(1, 'Alice Liddell');
const bob = participant(2, 'Bob Marley');
const carol = participant(3, 'Carol Danvers');

const row = (id: number, minutesAgo: number, overrides: Partial<ConversationSummary> = {}) =>
  inboxRow(id, minutesAgo, { participants: [me, bob], ...overrides });
const withMessage = (id: number, senderId: number, body: string) => ({ ...message(senderId, body), id });
const changed = (conversation: ConversationSummary): InboxEvent => ({ type: 'conversation.changed', conversation });

describe('messageNotice', () => {
  const dm = row(1, 5, { lastMessage: withMessage(10, 2, 'earlier'), unreadCount: 0 });
  const group = row(2, 9, { kind: 'group', title: 'Weekend trip', participants: [me, bob, carol] });

  it("names a DM by the other person and a group's message by its sender", () => {
    expect(messageNotice(changed(row(1, 0, { lastMessage: withMessage(11, 2, 'see you'), unreadCount: 1 })), [dm, group], me.id)).toEqual({
      conversationId: 1,
      tag: 'parley-conversation-1',
      title: 'Bob Marley',
      body: 'see you',
    });
    const next = { ...group, lastMessageAt: dm.lastMessageAt, lastMessage: withMessage(20, 3, 'tents?'), unreadCount: 2 };
    // Names and text are isolated, so a right-to-left name reorders only itself.
    expect(messageNotice(changed(next), [dm, group], me.id)).toMatchObject({ title: 'Weekend trip', body: '\u2068Carol Danvers\u2069: \u2068tents?\u2069' });
  });

  it("says whose a DM is when another conversation's name would pass for its name", () => {
    const impostor = { ...participant(9, 'B\u043Eb Marley'), username: 'impbob' };
    const fromImpostor = row(5, 0, { participants: [me, impostor], lastMessage: withMessage(50, impostor.id, 'wire the money'), unreadCount: 1 });
    expect(messageNotice({ type: 'conversation.added', conversation: fromImpostor }, [dm, group], me.id)).toMatchObject({ title: 'B\u043Eb Marley (@impbob)' });
    const alone = { ...fromImpostor, participants: [me, { ...impostor, displayName: 'Imp' }] };
    expect(messageNotice({ type: 'conversation.added', conversation: alone }, [dm, group], me.id)).toMatchObject({ title: 'Imp' });
  });

  it('says nothing of a muted conversation, however many messages it gets', () => {
    const news = row(1, 0, { lastMessage: withMessage(11, 2, 'see you'), unreadCount: 1 });
    expect(messageNotice(changed(news), [dm], me.id)).not.toBeNull();
    expect(messageNotice(changed({ ...news, muted: true }), [{ ...dm, muted: true }], me.id)).toBeNull();
    expect(messageNotice({ type: 'conversation.added', conversation: { ...news, id: 9, muted: true } }, [dm], me.id)).toBeNull();
  });

  it('says nothing of my own messages, deleted ones, edits, or reads', () => {
    const mine = row(1, 0, { lastMessage: withMessage(11, me.id, 'from my other tab'), unreadCount: 0 });
    expect(messageNotice(changed(mine), [dm], me.id)).toBeNull();
    const deleted = row(1, 0, { lastMessage: { ...withMessage(11, 2, ''), deletedAt: dm.lastMessageAt }, unreadCount: 1 });
    expect(messageNotice(changed(deleted), [dm], me.id)).toBeNull();
    const edited = { ...dm, unreadCount: 1, lastMessage: { ...withMessage(10, 2, 'earlier, fixed'), editedAt: dm.lastMessageAt } };
    expect(messageNotice(changed(edited), [{ ...dm, unreadCount: 1 }], me.id)).toBeNull();
    const read = { ...dm, unreadCount: 0 };
    expect(messageNotice(changed(read), [{ ...dm, unreadCount: 3 }], me.id)).toBeNull();
    expect(messageNotice({ type: 'presence', userId: 2, online: true }, [dm], me.id)).toBeNull();
    expect(messageNotice({ type: 'conversation.removed', conversationId: 1 }, [dm], me.id)).toBeNull();
  });

  it('tells news of a conversation not loaded (a new DM, one far down) from an old one that changed', () => {
    const newDm = row(7, 0, { participants: [me, carol], lastMessage: withMessage(70, 3, 'hi!'), unreadCount: 1 });
    expect(messageNotice({ type: 'conversation.added', conversation: newDm }, [dm], me.id)).toMatchObject({ title: 'Carol Danvers', body: 'hi!' });
    expect(messageNotice(changed(newDm), [], me.id)).toMatchObject({ conversationId: 7 });
    // Renamed long ago with unread messages: it sorts after what is loaded, so it is no news.
    const oldGroup = row(8, 600, { kind: 'group', title: 'Renamed', participants: [me, bob, carol], lastMessage: withMessage(80, 2, 'old'), unreadCount: 4 });
    expect(messageNotice(changed(oldGroup), [dm], me.id)).toBeNull();
  });
});

describe('catchUpNotices', () => {
  it('tells what came while the stream was down as it would have live, and ends what was read elsewhere meanwhile', () => {
    const before = [
      row(1, 5, { lastMessage: withMessage(10, 2, 'earlier'), unreadCount: 0 }),
      row(2, 9, { participants: [me, carol], lastMessage: withMessage(20, 3, 'unread before'), unreadCount: 1 }),
      row(3, 12, { kind: 'group', title: 'Quiet', participants: [me, bob, carol], lastMessage: withMessage(30, 3, 'old'), unreadCount: 0 }),
    ];
    const after = [
      row(4, 1, { participants: [me, participant(4, 'Dave Brubeck')], lastMessage: withMessage(40, 4, 'new DM while away'), unreadCount: 1 }),
      row(1, 2, { lastMessage: withMessage(11, 2, 'while away'), unreadCount: 1 }),
      row(3, 3, { kind: 'group', title: 'Quiet', participants: [me, bob, carol], lastMessage: withMessage(31, 3, 'muted news'), unreadCount: 1, muted: true }),
      row(2, 9, { participants: [me, carol], lastMessage: withMessage(20, 3, 'unread before'), unreadCount: 0 }),
    ];
    const { notices, ended } = catchUpNotices(before, after, me.id, new Set());
    expect(notices.map((notice) => [notice.title, notice.body])).toEqual([
      ['Dave Brubeck', 'new DM while away'],
      ['Bob Marley', 'while away'],
    ]);
    // Read on another device while away, and the muted one: their notifications end.
    expect(ended).toEqual([3, 2]);

    // What the new stream told already is not told again; nothing changed, nothing told.
    expect(catchUpNotices(before, after, me.id, new Set([4, 1])).notices).toEqual([]);
    expect(catchUpNotices(after, after, me.id, new Set()).notices).toEqual([]);
  });

  it('judges a mute as it is now: unmuted elsewhere meanwhile, its news is told', () => {
    const before = [row(1, 30, { lastMessage: withMessage(10, 2, 'old'), unreadCount: 0, muted: true })];
    const unmuted = row(1, 5, { lastMessage: withMessage(11, 2, 'after the unmute'), unreadCount: 1, muted: false });
    expect(catchUpNotices(before, [unmuted], me.id, new Set()).notices).toHaveLength(1);
    expect(catchUpNotices(before, [{ ...unmuted, muted: true }], me.id, new Set())).toEqual({ notices: [], ended: [1] });
  });

  it(`tells at most the ${CATCH_UP_MAX} newest conversations at once`, () => {
    const before = [row(100, 60, { lastMessage: withMessage(1000, 2, 'old'), unreadCount: 0 })];
    const after = Array.from({ length: CATCH_UP_MAX + 3 }, (_, index) =>
      row(index + 1, index, { participants: [me, { ...bob, id: 10 + index }], lastMessage: withMessage(index + 1, 10 + index, `news ${index}`), unreadCount: 1 }),
    );
    expect(catchUpNotices(before, after, me.id, new Set()).notices.map((notice) => notice.conversationId)).toEqual(Array.from({ length: CATCH_UP_MAX }, (_, index) => index + 1));
  });
});

describe('endedNotice', () => {
  it('ends a conversation\'s notification once it is read, its last message deleted, muted, or I left it', () => {
    expect(endedNotice(changed(row(1, 0, { lastMessage: withMessage(11, 2, 'hi'), unreadCount: 0 })))).toBe(1);
    expect(endedNotice(changed(row(1, 0, { lastMessage: { ...withMessage(11, 2, ''), deletedAt: '2026-11-12T12:00:00.000Z' }, unreadCount: 1 })))).toBe(1);
    expect(endedNotice({ type: 'conversation.removed', conversationId: 4 })).toBe(4);
    expect(endedNotice(changed(row(1, 0, { lastMessage: withMessage(11, 2, 'hi'), unreadCount: 1, muted: true })))).toBe(1);
    expect(endedNotice(changed(row(1, 0, { lastMessage: withMessage(11, 2, 'hi'), unreadCount: 1 })))).toBeNull();
    expect(endedNotice({ type: 'presence', userId: 2, online: true })).toBeNull();
  });
});

const notice = (conversationId: number, body: string): MessageNotice => ({ conversationId, tag: `parley-conversation-${conversationId}`, title: 'Bob', body });

describe('createNotifier', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('asks the browser once turned on, and shows a notice after the delay; a click opens its conversation', async () => {
    const { host, shown } = fakeNotificationHost('default');
    const notifier = createNotifier(host);
    const open = vi.fn();
    expect(notifier.getSetting()).toBe('off');
    notifier.notify(notice(1, 'before'), open);
    vi.advanceTimersByTime(NOTICE_DELAY_MS);
    expect(shown).toHaveLength(0);

    await notifier.turn(true);
    expect(host.requestPermission).toHaveBeenCalledTimes(1);
    expect(notifier.getSetting()).toBe('on');
    notifier.notify(notice(1, 'hello'), open);
    vi.advanceTimersByTime(NOTICE_DELAY_MS - 1);
    expect(shown).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(shown.map((entry) => entry.notice.body)).toEqual(['hello']);

    shown[0]?.click();
    expect(open).toHaveBeenCalledWith(1);
    expect(shown[0]?.closed).toBe(true);
  });

  it('cancels a notice read within the delay (another tab showed it) and shows the latest of a burst once', async () => {
    const { host, shown } = fakeNotificationHost('granted');
    const notifier = createNotifier(host);
    notifier.notify(notice(1, 'one'), vi.fn());
    notifier.dismiss(1);
    notifier.notify(notice(2, 'first'), vi.fn());
    vi.advanceTimersByTime(NOTICE_DELAY_MS / 2);
    notifier.notify(notice(2, 'second'), vi.fn());
    vi.advanceTimersByTime(NOTICE_DELAY_MS / 2);
    expect(shown.map((entry) => entry.notice.body)).toEqual(['second']);

    // Read elsewhere later: the shown one closes; a sign-out closes them all.
    notifier.notify(notice(3, 'third'), vi.fn());
    vi.advanceTimersByTime(NOTICE_DELAY_MS);
    notifier.dismiss(2);
    expect(shown.map((entry) => entry.closed)).toEqual([true, false]);
    notifier.dismissAll();
    expect(shown.map((entry) => entry.closed)).toEqual([true, true]);
  });

  it('leaves out a conversation opened while its notice waited', () => {
    const { host, shown, onScreen } = fakeNotificationHost('granted');
    const notifier = createNotifier(host);
    notifier.notify(notice(1, 'opened meanwhile'), vi.fn());
    notifier.notify(notice(2, 'still news'), vi.fn());
    onScreen.add(1);
    vi.advanceTimersByTime(NOTICE_DELAY_MS);
    expect(shown.map((entry) => entry.notice.body)).toEqual(['still news']);
  });

  it('can be muted without the browser, and says so where the browser blocks or lacks notifications', async () => {
    const { host, shown } = fakeNotificationHost('granted');
    const notifier = createNotifier(host);
    await notifier.turn(false);
    expect(notifier.getSetting()).toBe('off');
    notifier.notify(notice(1, 'muted'), vi.fn());
    vi.advanceTimersByTime(NOTICE_DELAY_MS);
    expect(shown).toHaveLength(0);
    // Another notifier on the same storage (a reload, another tab) keeps it muted.
    expect(createNotifier(host).getSetting()).toBe('off');
    await notifier.turn(true);
    expect(host.requestPermission).not.toHaveBeenCalled();
    expect(notifier.getSetting()).toBe('on');

    const refused = fakeNotificationHost('default', 'denied');
    const asked = createNotifier(refused.host);
    await asked.turn(true);
    expect(asked.getSetting()).toBe('blocked');
    expect(createNotifier(fakeNotificationHost(null).host).getSetting()).toBe('unsupported');
  });
});
