import { useEffect, useRef, useState } from 'react';
import { describeError } from '../errors.ts';
import { conversationsAlike, formerSenderOf } from '../format.ts';
import { useNow, useSearchBox } from '../hooks.ts';
import { inboxItems } from '../inbox-cache.ts';
import { isMuted } from '../mute.ts';
import { INBOX_INPUT, useUnreadBeyond } from '../live-inbox.ts';
import type { Notifier } from '../notifications.ts';
import { useUserNames } from '../sender-names.ts';
import { trpc, type Me } from '../trpc.ts';
import { focusIfLost } from '../focus.ts';
import { ConversationItem } from './ConversationItem.tsx';
import { NewConversation } from './NewConversation.tsx';
import { NotificationSwitch } from './NotificationSwitch.tsx';

const SEARCH_MAX = 64;
/** The most inbox pages "N more unread ↓" loads on one press to reach the first of them. */
const UNREAD_BELOW_PAGES_MAX = 10;

/** My conversations, newest activity first, a page at a time, kept live by useLiveInbox. */
export function Inbox({ me, currentId, notifier }: { me: Me; currentId: number | null; notifier: Notifier }) {
  const [starting, setStarting] = useState(false);
  const headingRef = useRef<HTMLHeadingElement | null>(null);
  const { text: searchText, setText: setSearchText, query: search } = useSearchBox();
  // Both kept live by useLiveInbox: the inbox by its events, a search by asking again.
  const conversations = trpc.conversations.list.useInfiniteQuery(
    search ? { ...INBOX_INPUT, search } : INBOX_INPUT,
    { getNextPageParam: (page) => page.nextCursor, placeholderData: (previous) => previous },
  );
  const { hasNextPage, isFetchingNextPage } = conversations;
  const beyond = useUnreadBeyond();

  // The "Load more" button goes away with the last page; keep keyboard focus in the inbox
  // instead of dropping it to the top of the document.
  const wasLoadingMore = useRef(false);
  useEffect(() => {
    const loadMoreHadFocus = wasLoadingMore.current;
    wasLoadingMore.current = isFetchingNextPage;
    if (loadMoreHadFocus && !isFetchingNextPage && !hasNextPage) headingRef.current?.focus();
  }, [isFetchingNextPage, hasNextPage]);

  // Back from a conversation (on a phone, where it had the whole screen): the keyboard goes
  // back to its row, not to the top of the page with the back link it was on.
  const list = useRef<HTMLUListElement | null>(null);
  const [leftId, setLeftId] = useState(currentId);
  const [backFrom, setBackFrom] = useState<number | null>(null);
  if (leftId !== currentId) {
    setLeftId(currentId);
    setBackFrom(currentId === null ? leftId : null);
  }
  useEffect(() => {
    if (backFrom === null) return;
    // No row to go back to (I left the group, or was removed): the inbox's heading.
    const row = list.current?.querySelector<HTMLElement>(`[data-conversation-id="${backFrom}"] a`);
    focusIfLost(row ?? headingRef.current, { preventScroll: true });
  }, [backFrom]);

  // Arriving signed in (or reloading), the keyboard starts at the inbox, not on the page's
  // body; an opening conversation's composer takes it from there.
  useEffect(() => focusIfLost(headingRef.current, { preventScroll: true }), []);

  // The panel closed (Cancel, Escape) gives back the New button it stood in for: the keyboard
  // goes there, not to the top of the page. (Closed by creating, the conversation opens and its composer takes it.)
  const newButton = useRef<HTMLButtonElement | null>(null);
  const panelClosed = useRef(false);
  const closePanel = () => {
    panelClosed.current = true;
    setStarting(false);
  };
  useEffect(() => {
    if (starting || !panelClosed.current) return;
    panelClosed.current = false;
    focusIfLost(newButton.current);
  }, [starting]);

  const items = inboxItems(conversations.data?.pages ?? []);
  const namesAlike = conversationsAlike(items, me.id);
  // Times on the rows move on; a mute for a while ends on its row when it runs out.
  const now = useNow(30_000, items.map((conversation) => conversation.mutedUntil));

  // "3 more unread ↓": pages load until the first of them is in (at most UNREAD_BELOW_PAGES_MAX),
  // and the keyboard goes to its row, which scrolls it into view.
  const showUnreadBelow = async () => {
    const shown = new Set(items.map((item) => item.id));
    for (let page = 0; page < UNREAD_BELOW_PAGES_MAX; page += 1) {
      const loaded = await conversations.fetchNextPage();
      const first = inboxItems(loaded.data?.pages ?? []).find((item) => !shown.has(item.id) && item.unreadCount > 0 && !isMuted(item, new Date()));
      if (first) {
        requestAnimationFrame(() => list.current?.querySelector<HTMLElement>(`[data-conversation-id="${first.id}"] a`)?.focus());
        return;
      }
      if (!loaded.hasNextPage || loaded.isError) return;
    }
  };
  const formerMemberNames = useUserNames(items.map((conversation) => formerSenderOf(conversation, me.id)).filter((id) => id !== null));

  // Infinite scroll: the next page loads as the end of the list comes into view.
  const endRef = useRef<HTMLDivElement | null>(null);
  const { fetchNextPage, isFetchNextPageError } = conversations;
  useEffect(() => {
    const end = endRef.current;
    // After a failed page, wait for the reader to press "Load more" rather than retry in a loop.
    if (!end || !hasNextPage || isFetchNextPageError || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
    });
    observer.observe(end);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, isFetchNextPageError, fetchNextPage]);

  return (
    <section className="inbox" aria-labelledby="inbox-heading">
      <div className="inbox-top">
        <h1 id="inbox-heading" ref={headingRef} tabIndex={-1}>
          Conversations
        </h1>
        <div className="inbox-actions">
          <NotificationSwitch notifier={notifier} />
          {!starting && (
            <button ref={newButton} type="button" className="button primary" onClick={() => setStarting(true)}>
              New<span className="visually-hidden"> conversation</span>
            </button>
          )}
        </div>
      </div>
      {starting && <NewConversation onClose={closePanel} />}
      <div className="inbox-search">
        <label className="visually-hidden" htmlFor="inbox-search">
          Search conversations
        </label>
        <input
          id="inbox-search"
          type="search"
          placeholder="Search conversations"
          maxLength={SEARCH_MAX}
          value={searchText}
          onChange={(event) => setSearchText(event.target.value)}
        />
      </div>
      {conversations.isPending ? (
        <p role="status" className="muted">
          Loading conversations…
        </p>
      ) : conversations.isError && items.length === 0 ? (
        <div role="alert" className="inline-error">
          <p>Could not load your conversations. {describeError(conversations.error)}</p>
          <button type="button" className="button" onClick={() => void conversations.refetch()}>
            Try again
          </button>
        </div>
      ) : items.length === 0 && search ? (
        <p className="muted no-results" data-testid="inbox-no-results">
          No conversations match “{search}”.
        </p>
      ) : items.length === 0 ? (
        <div className="empty" data-testid="inbox-empty">
          <p className="empty-title">No conversations yet</p>
          <p className="muted">When someone messages you, or you start a conversation, it shows up here.</p>
        </div>
      ) : (
        <>
          {/* role="list" restores list semantics that Safari drops when list-style is none. */}
          <ul ref={list} role="list" aria-label="Conversations" className="conversation-list">
            {items.map((conversation) => (
              <ConversationItem
                key={conversation.id}
                conversation={conversation}
                myId={me.id}
                now={now}
                formerMemberNames={formerMemberNames}
                current={conversation.id === currentId}
                nameShared={namesAlike.has(conversation.id)}
              />
            ))}
          </ul>
          {conversations.isFetchNextPageError && (
            <p role="alert" className="inline-error">
              Could not load more conversations. {describeError(conversations.error)}
            </p>
          )}
          {/* Rows with unread past a long list of read ones: said where the list is seen, and one click away. */}
          {!search && beyond.conversations > 0 && (
            <button
              type="button"
              className="button unread-below"
              data-testid="unread-below"
              onClick={() => void showUnreadBelow()}
              disabled={isFetchingNextPage}
              aria-label={`${beyond.conversations === 1 ? '1 unread conversation' : `${beyond.conversations} unread conversations`} further down: show them`}
            >
              {beyond.conversations} more unread ↓
            </button>
          )}
          <div ref={endRef} aria-hidden="true" />
          {hasNextPage && (
            <button
              type="button"
              className="button load-more"
              onClick={() => void conversations.fetchNextPage()}
              disabled={isFetchingNextPage}
              aria-busy={isFetchingNextPage || undefined}
            >
              {isFetchingNextPage ? 'Loading…' : 'Load more'}
            </button>
          )}
        </>
      )}
    </section>
  );
}
