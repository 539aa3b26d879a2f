import { useEffect, useRef, useState } from 'react';
import { describeError } from '../errors.ts';
import { useNow } from '../hooks.ts';
import { inboxItems } from '../inbox-cache.ts';
import { INBOX_INPUT } from '../live-inbox.ts';
import { trpc, type Me } from '../trpc.ts';
import { ConversationItem } from './ConversationItem.tsx';
import { NewConversation } from './NewConversation.tsx';

/** My conversations, newest activity first, a page at a time, kept live by useLiveInbox. */
export function Inbox({ me, currentId }: { me: Me; currentId: number | null }) {
  const now = useNow(30_000);
  const [starting, setStarting] = useState(false);
  const headingRef = useRef<HTMLHeadingElement | null>(null);
  const conversations = trpc.conversations.list.useInfiniteQuery(
    INBOX_INPUT,
    { getNextPageParam: (page) => page.nextCursor },
  );
  const { hasNextPage, isFetchingNextPage } = conversations;

  // The "Load more" button goes away with the last page; keep keyboard focus in the inbox
  // instead of dropping it to the top of the document.
  const wasLoadingMore = useRef(false);
  useEffect(() => {
    const loadMoreHadFocus = wasLoadingMore.current;
    wasLoadingMore.current = isFetchingNextPage;
    if (loadMoreHadFocus && !isFetchingNextPage && !hasNextPage) headingRef.current?.focus();
  }, [isFetchingNextPage, hasNextPage]);

  const items = inboxItems(conversations.data?.pages ?? []);

  return (
    <section className="inbox" aria-labelledby="inbox-heading">
      <div className="inbox-top">
        <h1 id="inbox-heading" ref={headingRef} tabIndex={-1}>
          Conversations
        </h1>
        {!starting && (
          <button type="button" className="button primary" onClick={() => setStarting(true)}>
            New<span className="visually-hidden"> conversation</span>
          </button>
        )}
      </div>
      {starting && <NewConversation onClose={() => setStarting(false)} />}
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
      ) : items.length === 0 ? (
        <div className="empty" data-testid="inbox-empty">
          <p className="empty-title">No conversations yet</p>
          <p className="muted">When someone messages you, or you start a conversation, it shows up here.</p>
        </div>
      ) : (
        <>
          {/* role="list" restores list semantics that Safari drops when list-style is none. */}
          <ul role="list" aria-label="Conversations" className="conversation-list">
            {items.map((conversation) => (
              <ConversationItem key={conversation.id} conversation={conversation} myId={me.id} now={now} current={conversation.id === currentId} />
            ))}
          </ul>
          {conversations.isFetchNextPageError && (
            <p role="alert" className="inline-error">
              Could not load more conversations. {describeError(conversations.error)}
            </p>
          )}
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
