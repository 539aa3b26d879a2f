import { describe, expect, it } from 'vitest';
import { message, notice } from './test-fixtures.ts';
import { EMPTY_THREAD, dayLabel, holdsFirstUnread, lengthOf, mergeMessages, oldestSeq, timelineOf, withEvent, withPage } from './thread-state.ts';
import type { ConversationEvent, Message } from './trpc.ts';

const ME = 1;
const BOB = 2;

function msg(seq: number, senderId: number, body: string, extra: Partial<Message> = {}): Message {
  return { ...message(senderId, body), id: seq * 10, seq, clientId: `c${seq}`, ...extra };
}

function event(type: ConversationEvent['type'], seq: number, payload: ConversationEvent['message']): ConversationEvent {
  return { conversationId: 1, seq, type, actorId: BOB, createdAt: new Date().toISOString(), message: payload, payload: null };
}

describe('thread state', () => {
  it('puts an older page above the newest one, in seq order, without duplicates', () => {
    const newest = withPage(EMPTY_THREAD, { items: [msg(3, BOB, 'c'), msg(4, ME, 'd')], hasMore: true, notices: [] });
    const both = withPage(newest, { items: [msg(1, BOB, 'a'), msg(2, ME, 'b'), msg(3, BOB, 'c')], hasMore: false, notices: [] });
    expect(both.messages.map((item: Message) => item.body)).toEqual(['a', 'b', 'c', 'd']);
    expect(both.hasOlder).toBe(false);
  });

  it('knows whether the first message after my read marker is held: at or after the oldest held, or nothing older exists', () => {
    const page = withPage(EMPTY_THREAD, { items: [msg(51, BOB, 'a'), msg(52, BOB, 'b')], hasMore: true, notices: [] });
    expect(holdsFirstUnread(page, 50)).toBe(true);
    expect(holdsFirstUnread(page, 49)).toBe(false);
    expect(holdsFirstUnread({ ...page, hasOlder: false }, 10)).toBe(true);
    // A notice is held too: a page can begin with one.
    expect(holdsFirstUnread({ ...page, notices: [notice(49, 'conversation.renamed', BOB, { title: 'Trip' })] }, 48)).toBe(true);
  });

  it('applies live edits and deletes; a late copy of an older state never undoes them', () => {
    let state = withPage(EMPTY_THREAD, { items: [msg(1, BOB, 'hi')], hasMore: false, notices: [] });
    state = withEvent(state, event('message.edited', 2, msg(1, BOB, 'hi there', { editedAt: new Date().toISOString() })));
    expect(state.messages[0]?.body).toBe('hi there');
    state = withEvent(state, event('message.deleted', 3, msg(1, BOB, '', { deletedAt: new Date().toISOString() })));
    expect(state.messages[0]?.deletedAt).not.toBeNull();
    // A replayed creation (resume from an earlier seq) leaves the tombstone alone.
    expect(mergeMessages(state.messages, [msg(1, BOB, 'hi')])[0]?.deletedAt).not.toBeNull();
  });

  it('leaves an edit or deletion of a message above the loaded pages to the page that brings it, so no page is skipped', () => {
    // The newest page holds seqs 71-120; seq 12 is edited, seq 1 deleted, elsewhere.
    const newest = withPage(EMPTY_THREAD, { items: Array.from({ length: 50 }, (_, index) => msg(71 + index, BOB, `#${71 + index}`)), hasMore: true, notices: [] });
    let state = withEvent(newest, event('message.edited', 121, msg(12, BOB, '#12 fixed', { editedAt: new Date().toISOString() })));
    state = withEvent(state, event('message.deleted', 122, msg(1, BOB, '', { deletedAt: new Date().toISOString() })));
    expect(state).toBe(newest);
    expect(oldestSeq(state)).toBe(71);
    // Once everything is loaded, an edit of any message applies.
    const all = withPage(state, { items: Array.from({ length: 70 }, (_, index) => msg(1 + index, BOB, `#${1 + index}`)), hasMore: false, notices: [] });
    const edited = withEvent(all, event('message.edited', 123, msg(12, BOB, '#12 fixed', { editedAt: new Date().toISOString() })));
    expect(edited.messages.map((item) => item.body).slice(10, 13)).toEqual(['#11', '#12 fixed', '#13']);
    expect(edited.messages).toHaveLength(120);
  });

  it('keeps notices from pages and live events once each, in seq order among the messages', () => {
    const added = notice(2, 'participants.added', BOB, { userIds: [3] });
    const renamed = notice(5, 'conversation.renamed', BOB, { title: 'Trip' });
    let state = withPage(EMPTY_THREAD, { items: [msg(3, BOB, 'c'), msg(4, ME, 'd')], hasMore: true, notices: [renamed] });
    state = withPage(state, { items: [msg(1, BOB, 'a')], hasMore: false, notices: [added] });
    // The stream resumes after the newest message and replays the rename: nothing doubles.
    expect(withEvent(state, renamed)).toBe(state);
    state = withEvent(state, notice(6, 'participant.left', 3, { userId: 3, newOwnerId: null }));
    const timeline = timelineOf(state.messages, state.notices).map((entry) => (entry.kind === 'message' ? entry.message.body : entry.notice.type));
    expect(timeline).toEqual(['a', 'participants.added', 'c', 'd', 'conversation.renamed', 'participant.left']);
  });

  it('reads the next older page from the lowest seq held, a notice when a page of many notices ended at one', () => {
    expect(oldestSeq(EMPTY_THREAD)).toBeNull();
    const page = { items: [msg(140, BOB, 'x')], hasMore: true, notices: [notice(32, 'conversation.renamed', BOB, { title: 'n' })] };
    expect(oldestSeq(withPage(EMPTY_THREAD, page))).toBe(32);
    expect(oldestSeq(withPage(EMPTY_THREAD, { ...page, notices: [] }))).toBe(140);
  });
});

describe('dayLabel and lengthOf', () => {
  it('names days as a messenger does', () => {
    const now = new Date(2026, 10, 21, 9, 0);
    expect(dayLabel(new Date(2026, 10, 21, 1, 0).toISOString(), now)).toBe('Today');
    expect(dayLabel(new Date(2026, 10, 20, 23, 0).toISOString(), now)).toBe('Yesterday');
    expect(dayLabel(new Date(2026, 10, 16, 12, 0).toISOString(), now)).toBe('Monday, November 16');
    expect(dayLabel(new Date(2025, 0, 2, 12, 0).toISOString(), now)).toBe('Thursday, January 2, 2025');
  });

  it('counts code points as the server does', () => {
    expect(lengthOf('👋🏽 hi')).toBe(5);
  });
});
