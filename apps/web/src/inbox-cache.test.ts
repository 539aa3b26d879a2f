import { describe, expect, it } from 'vitest';
import { applyInboxEvent, inboxItems, titleWithUnread } from './inbox-cache.ts';
import { inboxRow, participant } from './test-fixtures.ts';
import type { ConversationSummary, InboxPage } from './trpc.ts';

const alice = participant(1, 'Alice Liddell');
const bob = participant(2, 'Bob Marley');
const carol = participant(3, 'Carol Danvers');

const row = (id: number, minutesAgo: number, overrides: Partial<ConversationSummary> = {}) =>
  inboxRow(id, minutesAgo, { participants: [alice, bob], ...overrides });

const page = (items: ConversationSummary[], nextCursor: string | null = null): InboxPage => ({ items, nextCursor });
const ids = (pages: InboxPage[]) => pages.map((p) => p.items.map((item) => item.id));

describe('applyInboxEvent', () => {
  it('moves a conversation with a new message to the top, with its fresh unread count', () => {
    const pages = [page([row(1, 1), row(2, 5), row(3, 9)])];
    const changed = row(3, 0, { unreadCount: 4 });

    const next = applyInboxEvent(pages, { type: 'conversation.changed', conversation: changed });

    expect(ids(next)).toEqual([[3, 1, 2]]);
    expect(next[0]?.items[0]).toBe(changed);
    // The cache entry is replaced, never edited in place (React and TanStack Query compare references).
    expect(ids(pages)).toEqual([[1, 2, 3]]);
  });

  it('keeps a change that does not touch the order in place (e.g. messages read elsewhere)', () => {
    const pages = [page([row(1, 1), row(2, 5), row(3, 9)])];
    const next = applyInboxEvent(pages, { type: 'conversation.changed', conversation: row(2, 5, { unreadCount: 0, title: 'Renamed' }) });
    expect(ids(next)).toEqual([[1, 2, 3]]);
    expect(next[0]?.items[1]?.title).toBe('Renamed');
  });

  it('orders ties on time by id, newest first, as the server pages them', () => {
    const pages = [page([row(5, 2), row(2, 2), row(1, 3)])];
    const next = applyInboxEvent(pages, { type: 'conversation.changed', conversation: row(3, 2) });
    expect(ids(next)).toEqual([[5, 3, 2, 1]]);
  });

  it('moves a conversation across pages without changing how many pages there are or their cursors', () => {
    const pages = [page([row(1, 1), row(2, 2)], 'cursor-1'), page([row(3, 3), row(4, 4)], 'cursor-2')];
    const next = applyInboxEvent(pages, { type: 'conversation.changed', conversation: row(4, 0) });
    expect(ids(next)).toEqual([[4, 1, 2], [3]]);
    expect(next.map((p) => p.nextCursor)).toEqual(['cursor-1', 'cursor-2']);
  });

  it('puts a conversation that comes from beyond the loaded pages where it belongs', () => {
    const pages = [page([row(1, 1), row(2, 5)], 'cursor-1')];
    const next = applyInboxEvent(pages, { type: 'conversation.changed', conversation: row(9, 3) });
    expect(ids(next)).toEqual([[1, 9, 2]]);
  });

  it('leaves a changed conversation that sorts after everything loaded to "load more" while more pages remain', () => {
    const pages = [page([row(1, 1), row(2, 5)], 'cursor-1')];
    const next = applyInboxEvent(pages, { type: 'conversation.changed', conversation: row(9, 60) });
    expect(ids(next)).toEqual([[1, 2]]);
    // With the whole inbox loaded, it goes at the end.
    const whole = applyInboxEvent([page([row(1, 1), row(2, 5)])], { type: 'conversation.changed', conversation: row(9, 60) });
    expect(ids(whole)).toEqual([[1, 2, 9]]);
  });

  it('shows a new conversation at the top (a new DM appears without a reload)', () => {
    const pages = [page([row(1, 1), row(2, 5)], 'cursor-1'), page([row(3, 9)])];
    const newDm = row(10, 0, { participants: [carol, alice], unreadCount: 1 });
    const next = applyInboxEvent(pages, { type: 'conversation.added', conversation: newDm });
    expect(ids(next)).toEqual([[10, 1, 2], [3]]);
    expect(inboxItems(next)[0]).toBe(newDm);
  });

  it('fills an empty inbox with the first conversation', () => {
    const next = applyInboxEvent([page([])], { type: 'conversation.added', conversation: row(1, 0) });
    expect(ids(next)).toEqual([[1]]);
  });

  it('still shows a conversation I was added to whose last message is older than every loaded row', () => {
    const pages = [page([row(1, 1), row(2, 5)], 'cursor-1')];
    const next = applyInboxEvent(pages, { type: 'conversation.added', conversation: row(9, 600) });
    expect(ids(next)).toEqual([[1, 2, 9]]);
  });

  it('replaces rather than duplicates a conversation announced as added twice', () => {
    const pages = [page([row(1, 1), row(2, 5)])];
    const next = applyInboxEvent(pages, { type: 'conversation.added', conversation: row(2, 0, { unreadCount: 2 }) });
    expect(ids(next)).toEqual([[2, 1]]);
    expect(next[0]?.items[0]?.unreadCount).toBe(2);
  });

  it('drops a conversation I left or was removed from, wherever it is', () => {
    const pages = [page([row(1, 1), row(2, 5)], 'cursor-1'), page([row(3, 9)])];
    expect(ids(applyInboxEvent(pages, { type: 'conversation.removed', conversationId: 3 }))).toEqual([[1, 2], []]);
    expect(ids(applyInboxEvent(pages, { type: 'conversation.removed', conversationId: 1 }))).toEqual([[2], [3]]);
    expect(ids(applyInboxEvent(pages, { type: 'conversation.removed', conversationId: 42 }))).toEqual([[1, 2], [3]]);
  });

  it('marks a person online or offline in every conversation they are in, and touches nothing else', () => {
    const dm = row(1, 1, { participants: [alice, bob] });
    const group = row(2, 5, { kind: 'group', participants: [alice, bob, carol] });
    const notes = row(3, 9, { kind: 'self', participants: [alice] });
    const pages = [page([dm, group]), page([notes])];

    const next = applyInboxEvent(pages, { type: 'presence', userId: bob.id, online: true });

    const onlineOf = (item: ConversationSummary | undefined) => item?.participants.map((person) => [person.id, person.online]);
    expect(onlineOf(next[0]?.items[0])).toEqual([[1, false], [2, true]]);
    expect(onlineOf(next[0]?.items[1])).toEqual([[1, false], [2, true], [3, false]]);
    expect(next[1]).toBe(pages[1]);

    const offline = applyInboxEvent(next, { type: 'presence', userId: bob.id, online: false });
    expect(onlineOf(offline[0]?.items[1])).toEqual([[1, false], [2, false], [3, false]]);
  });
});

describe('inboxItems', () => {
  it('lists every loaded page in order and shows a conversation once even if two pages hold it', () => {
    // A "load more" that was in flight while an event moved conversation 3 to the top.
    const pages = [page([row(3, 0), row(1, 1)], 'cursor-1'), page([row(3, 9), row(4, 10)])];
    expect(inboxItems(pages).map((item) => item.id)).toEqual([3, 1, 4]);
    expect(inboxItems(pages)[0]?.lastMessageAt).toBe(pages[0]?.items[0]?.lastMessageAt);
  });
});

describe('titleWithUnread', () => {
  const now = new Date('2026-12-07T18:00:00Z');
  it('counts the unread messages of every loaded conversation once, and says nothing when all is read', () => {
    const read = [page([row(1, 1), row(2, 2)])];
    expect(titleWithUnread(read, 'Parley', now)).toBe('Parley');
    const waiting = [page([row(1, 1, { unreadCount: 2 }), row(2, 2, { unreadCount: 3 })], 'cursor-1'), page([row(2, 2, { unreadCount: 3 }), row(3, 3, { unreadCount: 1 })])];
    expect(titleWithUnread(waiting, 'Parley', now)).toBe('(6) Parley');
    expect(titleWithUnread([page([row(1, 1, { unreadCount: 250 })])], 'Parley', now)).toBe('(99+) Parley');
  });

  it('adds what waits in conversations past the loaded pages', () => {
    const loaded = [page([row(1, 1), row(2, 2, { unreadCount: 1 })], 'cursor-1')];
    expect(titleWithUnread(loaded, 'Parley', now, 7)).toBe('(8) Parley');
    expect(titleWithUnread([page([row(1, 1)], 'cursor-1')], 'Parley', now, 3)).toBe('(3) Parley');
  });

  it('leaves out what muted conversations hold: they keep their count on their row', () => {
    const rows = [row(1, 1, { unreadCount: 2 }), row(2, 2, { unreadCount: 40, muted: true })];
    expect(titleWithUnread([page(rows)], 'Parley', now)).toBe('(2) Parley');
    expect(titleWithUnread([page([row(2, 2, { unreadCount: 40, muted: true })])], 'Parley', now)).toBe('Parley');
  });

  it('counts a conversation muted for a while again once its mute has run out', () => {
    const mutedUntil = new Date(now.getTime() + 60_000).toISOString();
    const pages = [page([row(1, 1, { unreadCount: 2 }), row(2, 2, { unreadCount: 40, muted: true, mutedUntil })])];
    expect(titleWithUnread(pages, 'Parley', now)).toBe('(2) Parley');
    expect(titleWithUnread(pages, 'Parley', new Date(now.getTime() + 60_000))).toBe('(42) Parley');
  });
});
