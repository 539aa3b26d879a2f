import { skipToken, useQueryClient, type InfiniteData, type QueryKey } from '@tanstack/react-query';
import { getQueryKey } from '@trpc/react-query';
import { useEffect, useRef } from 'react';
import { reconnectDelayMs } from './connection.ts';
import { isUnauthorized } from './errors.ts';
import { useNow, useSession } from './hooks.ts';
import { applyInboxEvent, inboxItems, titleWithUnread, withPresenceOf } from './inbox-cache.ts';
import { catchUpNotices, endedNotice, messageNotice, type Notifier } from './notifications.ts';
import { conversationPath, navigate } from './router.ts';
import { trpc, type ConversationDetail, type InboxEvent, type InboxPage } from './trpc.ts';

/** The inbox's conversations.list input: the cache entry live events are applied to. */
export const INBOX_INPUT = { limit: 20 } as const;

/** Whether a conversations.list cache key is a search's (tRPC keys are [path, { input, type }]). */
function isSearch(key: QueryKey): boolean {
  const meta = key[1];
  if (typeof meta !== 'object' || meta === null || !('input' in meta)) return false;
  const { input } = meta;
  return typeof input === 'object' && input !== null && 'search' in input;
}

/**
 * Keeps the inbox live while signed in: every inbox.onEvent is applied to the cached
 * conversations.list pages (see inbox-cache.ts), so a new DM or a new message shows up
 * without a reload.
 *
 * The inbox stream has no replay, so whenever it (re)starts the list (and an open
 * conversation's details, for presence) is refetched: the
 * refetch begins after the server has subscribed us, so no change falls in between. For the
 * same reason an event that arrives while a fetch is in flight triggers a new fetch: the
 * running one may have read the database before that change and would undo it.
 *
 * A new message I am not looking at also becomes a desktop notification (notifications.ts),
 * live or when the refetch after a restart finds it.
 */
export function useLiveInbox(myId: number, notifier: Notifier): void {
  const { session } = useSession();
  const queryClient = useQueryClient();
  const utils = trpc.useUtils();
  const failedAttempts = useRef(0);
  const retryTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // The conversations the live stream has told of since it last started (catch-up leaves them out).
  const handledLive = useRef<Set<number>>(new Set());
  // The inbox as the live stream last left it (its last catch-up or event): what a restart compares with.
  const toldLive = useRef<readonly InboxPage[] | undefined>(undefined);
  useEffect(() => () => clearTimeout(retryTimer.current), []);

  const subscription = trpc.inbox.onEvent.useSubscription(undefined, {
    onStarted: () => {
      failedAttempts.current = 0;
      // What came while the stream was down (a sleep, a lost network) is notified once the
      // refetch shows it, as it would have been live; what the new stream already told is not again.
      // Compared with the inbox as the live stream last left it: a refetch on the browser's
      // "online" (or a window focus) may have brought the news into the cache already.
      const before = toldLive.current ?? utils.conversations.list.getInfiniteData(INBOX_INPUT)?.pages;
      const handled = new Set<number>();
      handledLive.current = handled;
      void utils.conversations.list.invalidate().then(() => {
        const after = utils.conversations.list.getInfiniteData(INBOX_INPUT)?.pages;
        // Nothing is news before the inbox had loaded once: without it nothing can be told to be.
        if (!after || handledLive.current !== handled) return;
        toldLive.current = after;
        if (!before) return;
        const { notices, ended } = catchUpNotices(inboxItems(before), inboxItems(after), myId, handled);
        for (const conversationId of ended) notifier.dismiss(conversationId);
        for (const notice of notices) notifier.notify(notice, (conversationId) => navigate(conversationPath(conversationId)));
      });
      // And the open conversation: presence (a DM's header) changed unseen while we were away.
      void utils.conversations.get.invalidate();
      void utils.conversations.unreadBeyond.invalidate();
    },
    onData: (event) => {
      // The conversation the event is news of (none for presence).
      const about = 'conversation' in event ? event.conversation.id : event.type === 'conversation.removed' ? event.conversationId : null;
      if (about !== null) handledLive.current.add(about);
      const fetchInFlight = queryClient.isFetching({ queryKey: getQueryKey(trpc.conversations.list) }) > 0;
      // News of a conversation past the pages loaded changes the unread further down (the
      // news of one loaded does not: loaded rows stay loaded, and count themselves).
      const loaded = inboxItems(utils.conversations.list.getInfiniteData(INBOX_INPUT)?.pages ?? []);
      if (about !== null && !loaded.some((conversation) => conversation.id === about)) void utils.conversations.unreadBeyond.invalidate();
      notifyOf(event, utils.conversations.list.getInfiniteData(INBOX_INPUT)?.pages, myId, notifier);
      utils.conversations.list.setInfiniteData(INBOX_INPUT, (data) => data && { ...data, pages: applyInboxEvent(data.pages, event) });
      toldLive.current = utils.conversations.list.getInfiniteData(INBOX_INPUT)?.pages ?? toldLive.current;
      // A search on screen shows what the server matches now: a changed conversation may have
      // come to match it or stopped (a rename), so it is asked again; presence only marks rows.
      const searches = { queryKey: getQueryKey(trpc.conversations.list), predicate: (query: { queryKey: QueryKey }) => isSearch(query.queryKey) };
      if (event.type === 'presence') {
        queryClient.setQueriesData<InfiniteData<InboxPage>>(searches, (data) => data && { ...data, pages: applyInboxEvent(data.pages, event) });
      } else {
        void queryClient.invalidateQueries(searches, { cancelRefetch: false });
      }
      if (fetchInFlight) void utils.conversations.list.invalidate();
      // Open conversations show presence too (a DM's header).
      if (event.type === 'presence') {
        queryClient.setQueriesData<ConversationDetail>({ queryKey: getQueryKey(trpc.conversations.get) }, (detail) =>
          detail && withPresenceOf(detail, event.userId, event.online),
        );
      }
      // Added (back) to a conversation that may be open: its page reloads as a member's. A
      // changed role of mine changes what its page offers; muted in another tab, its header.
      const open = 'conversation' in event ? utils.conversations.get.getData({ id: event.conversation.id }) : undefined;
      const mineChanged =
        open && event.type === 'conversation.changed' && (open.myRole !== event.conversation.myRole || open.muted !== event.conversation.muted || open.mutedUntil !== event.conversation.mutedUntil);
      if (event.type === 'conversation.added' || mineChanged) {
        void utils.conversations.get.invalidate({ id: event.conversation.id });
      }
    },
    onError: (error) => {
      // A dead token (signed out elsewhere) ends the session, as it does for any call.
      if (isUnauthorized(error)) {
        session.expire();
        return;
      }
      // Anything else (e.g. the database briefly down) ended the stream: start it again later.
      clearTimeout(retryTimer.current);
      retryTimer.current = setTimeout(() => subscription.reset(), reconnectDelayMs(failedAttempts.current++));
    },
  });
}

/**
 * Closes the notification an event ends, or notifies the new message it brings (the notifier
 * leaves out a conversation on screen). Nothing is news before the inbox has loaded: without
 * it no event can be told to be.
 */
function notifyOf(event: InboxEvent, loaded: readonly InboxPage[] | undefined, myId: number, notifier: Notifier): void {
  const ended = endedNotice(event);
  if (ended !== null) return notifier.dismiss(ended);
  const notice = loaded && messageNotice(event, inboxItems(loaded), myId);
  if (notice) notifier.notify(notice, (conversationId) => navigate(conversationPath(conversationId)));
}

const TITLE = 'Parley';

const NOTHING_BEYOND = { conversations: 0, messages: 0 };
const BEYOND_REFRESH_MS = 60_000;

/**
 * My unread past the inbox's loaded pages (the server counts them from the last page's
 * cursor): the title counts them, and the inbox says they are further down. Nothing while
 * every page is loaded. Asked again when news of a conversation down there comes, and every minute.
 */
export function useUnreadBeyond(): { conversations: number; messages: number } {
  const inbox = trpc.conversations.list.useInfiniteQuery(INBOX_INPUT, { getNextPageParam: (page) => page.nextCursor });
  const cursor = inbox.data?.pages.at(-1)?.nextCursor ?? null;
  // Asked again every minute too: a mute for a while down there runs out with no event.
  const beyond = trpc.conversations.unreadBeyond.useQuery(cursor === null ? skipToken : { cursor }, { refetchInterval: BEYOND_REFRESH_MS });
  return cursor === null ? NOTHING_BEYOND : (beyond.data ?? NOTHING_BEYOND);
}

/**
 * Keeps the unread count in the tab's title (the loaded rows' and those further down), so
 * a background tab shows that something arrived. It reads the inbox's own cache entry (kept live by useLiveInbox), whether or not
 * the inbox is on screen (on a phone an open conversation takes the whole width).
 */
export function useUnreadTitle(): void {
  const inbox = trpc.conversations.list.useInfiniteQuery(INBOX_INPUT, { getNextPageParam: (page) => page.nextCursor });
  const pages = inbox.data?.pages;
  // A mute for a while runs out with no event: its count comes back into the title then.
  const now = useNow(null, inboxItems(pages ?? []).map((conversation) => conversation.mutedUntil));
  const beyond = useUnreadBeyond().messages;
  useEffect(() => {
    document.title = titleWithUnread(pages ?? [], TITLE, now, beyond);
  }, [pages, now, beyond]);
  useEffect(
    () => () => {
      document.title = TITLE;
    },
    [],
  );
}
