/**
 * How a live inbox event changes the loaded pages of conversations.list. Pure functions:
 * the live-inbox hook feeds them the TanStack Query cache, the tests feed them fixtures.
 *
 * The number of pages never changes (TanStack Query keeps one page param per page), and
 * page cursors are positions, not items: moving an item between pages leaves "load more"
 * correct, because the next page still starts after the last position loaded.
 */
import { isMuted } from './mute.ts';
import type { ConversationSummary, InboxEvent, InboxPage } from './trpc.ts';

type Ordered = Pick<ConversationSummary, 'id' | 'lastMessageAt'>;

/** Newest activity first, then higher id first: the order conversations.list pages in. */
export function compareInboxOrder(a: Ordered, b: Ordered): number {
  return Date.parse(b.lastMessageAt) - Date.parse(a.lastMessageAt) || b.id - a.id;
}

export function applyInboxEvent(pages: readonly InboxPage[], event: InboxEvent): InboxPage[] {
  switch (event.type) {
    case 'conversation.changed':
      return upsert(pages, event.conversation, false);
    case 'conversation.added':
      return upsert(pages, event.conversation, true);
    case 'conversation.removed':
      return without(pages, event.conversationId);
    case 'presence':
      return withPresence(pages, event.userId, event.online);
  }
}

/**
 * The tab's title with how many messages wait unread in my loaded conversations at `now`,
 * and `beyond` in those past them: "(3) Parley".
 */
export function titleWithUnread(pages: readonly InboxPage[], title: string, now: Date, beyond = 0): string {
  // A muted conversation keeps its own count on its row, not in the total.
  const unread = beyond + inboxItems(pages).reduce((sum, item) => sum + (isMuted(item, now) ? 0 : item.unreadCount), 0);
  return unread === 0 ? title : `(${unread > 99 ? '99+' : unread}) ${title}`;
}

/** The rows to show: every loaded page in order, each conversation once (a page fetched while an event moved a row may repeat it). */
export function inboxItems(pages: readonly InboxPage[]): ConversationSummary[] {
  const seen = new Set<number>();
  const items: ConversationSummary[] = [];
  for (const page of pages) {
    for (const item of page.items) {
      if (seen.has(item.id)) continue;
      seen.add(item.id);
      items.push(item);
    }
  }
  return items;
}

/**
 * Puts the fresh summary where the server would list it. A conversation that sorts after
 * everything loaded stays out while more pages remain ("load more" brings it in its place),
 * unless it is new to me: then it is shown at the end so I notice it.
 */
function upsert(pages: readonly InboxPage[], conversation: ConversationSummary, isNew: boolean): InboxPage[] {
  const rest = without(pages, conversation.id);
  for (const [pageIndex, page] of rest.entries()) {
    const before = page.items.findIndex((item) => compareInboxOrder(conversation, item) < 0);
    if (before !== -1) return rest.with(pageIndex, { ...page, items: page.items.toSpliced(before, 0, conversation) });
  }
  const lastIndex = rest.length - 1;
  const last = rest[lastIndex];
  if (!last || (last.nextCursor !== null && !isNew)) return rest;
  return rest.with(lastIndex, { ...last, items: [...last.items, conversation] });
}

function without(pages: readonly InboxPage[], conversationId: number): InboxPage[] {
  return pages.map((page) =>
    page.items.some((item) => item.id === conversationId) ? { ...page, items: page.items.filter((item) => item.id !== conversationId) } : page,
  );
}

function withPresence(pages: readonly InboxPage[], userId: number, online: boolean): InboxPage[] {
  const changes = (item: ConversationSummary) => item.participants.some((person) => person.id === userId && person.online !== online);
  return pages.map((page) =>
    page.items.some(changes) ? { ...page, items: page.items.map((item) => withPresenceOf(item, userId, online)) } : page,
  );
}

/**
 * A conversation (a summary, or an open conversation's detail) with `userId` online or not;
 * the same object when nothing changes, so nothing re-renders for it.
 */
export function withPresenceOf<Conversation extends Pick<ConversationSummary, 'participants'>>(conversation: Conversation, userId: number, online: boolean): Conversation {
  if (!conversation.participants.some((person) => person.id === userId && person.online !== online)) return conversation;
  return { ...conversation, participants: conversation.participants.map((person) => (person.id === userId ? { ...person, online } : person)) };
}
