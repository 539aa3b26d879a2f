import { skipToken } from '@tanstack/react-query';
import { useCallback, useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore } from 'react';
import { reconnectDelayMs } from './connection.ts';
import { describeError } from './errors.ts';
import { useConnectionRegained, useOutbox } from './hooks.ts';
import type { PendingSend } from './outbox.ts';
import {
  EMPTY_THREAD,
  holdsFirstUnread,
  oldestSeq,
  withEvent,
  withMessages,
  withPage,
  type ThreadState,
} from './thread-state.ts';
import { isApiError, trpc, type ConversationDetail, type Message } from './trpc.ts';

export const PAGE_SIZE = 50;
/**
 * Opening, the pages above the newest (whose size the newest page's unread count decides
 * nothing of) are of the API's largest: each is a round trip before anything shows.
 */
export const OPENING_PAGE_SIZE = 100;
/**
 * The most pages a conversation opens with (the newest and 4 larger ones: 450 messages) to
 * reach my first unread message, so it opens at the "New messages" line with all of them
 * below. With more unread than that it opens at the oldest of those pages instead, saying
 * how many more are above: older ones load as the reader scrolls up anyway.
 */
export const OPENING_PAGES_MAX = 5;

export interface Thread {
  state: ThreadState;
  /** My messages on their way here, oldest first. */
  pending: readonly PendingSend[];
  status: 'loading' | 'ready' | 'error';
  error: string | null;
  loadingOlder: boolean;
  olderError: string | null;
  /** Whether I may no longer read this conversation (removed, or left elsewhere). */
  ended: boolean;
  /** My read marker when the conversation opened: "New messages" starts after it. */
  readUpToAtOpen: number | null;
  /** How many of the messages after it were new to me then, loaded or not (the inbox's count). */
  unreadAtOpen: number | null;
  reload: () => void;
  loadOlder: () => Promise<void>;
  send: (body: string) => void;
  retry: (clientId: string) => void;
  discard: (clientId: string) => void;
  edit: (message: Message, body: string) => Promise<string | null>;
  remove: (message: Message) => Promise<string | null>;
}

const errorText = (error: unknown) => (isApiError(error) ? describeError(error) : 'Something went wrong. Please try again.');

/**
 * One open conversation's messages: the newest page first (with the older ones back to my
 * first unread message, up to OPENING_PAGES_MAX), older pages on demand, kept live
 * by conversations.onEvent, which resumes exactly after the newest seq loaded (the socket
 * reconnects with the last event id it saw, so nothing is missed and nothing repeats).
 */
export function useThread(conversation: ConversationDetail, myId: number): Thread {
  const conversationId = conversation.id;
  const outbox = useOutbox();
  const utils = trpc.useUtils();
  const [state, setState] = useState<ThreadState>(EMPTY_THREAD);
  const [status, setStatus] = useState<Thread['status']>('loading');
  const [error, setError] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState<string | null>(null);
  const [ended, setEnded] = useState(false);
  const [readUpToAtOpen, setReadUpToAtOpen] = useState<number | null>(null);
  const [unreadAtOpen, setUnreadAtOpen] = useState<number | null>(null);
  // Where the live stream resumes: fixed when it (re)starts, advanced by the socket itself after.
  const [resumeAfter, setResumeAfter] = useState<string | null>(null);
  // The latest state for callbacks (retry, loadOlder) without re-creating them on every change.
  const stateRef = useRef(state);
  useLayoutEffect(() => {
    stateRef.current = state;
  });
  const [attempt, setAttempt] = useState(0);

  // The newest page, or (before a seq) the one above the oldest message loaded.
  const fetchPage = useCallback(
    (before?: number, limit = PAGE_SIZE) => utils.client.messages.list.query({ conversationId, before, limit }),
    [utils, conversationId],
  );

  useEffect(() => {
    let cancelled = false;
    // The newest page, and older ones back to my first unread message: the list shows once,
    // with all of them in, and is placed at the line without moving as pages come.
    const openingPages = async () => {
      const newest = await fetchPage();
      const pages = [newest];
      let loaded = withPage(EMPTY_THREAD, newest);
      while (!cancelled && (newest.unreadCount ?? 0) > 0 && !holdsFirstUnread(loaded, newest.lastReadSeq) && pages.length < OPENING_PAGES_MAX) {
        const oldest = oldestSeq(loaded);
        if (oldest === null) break;
        const older = await fetchPage(oldest, OPENING_PAGE_SIZE);
        pages.push(older);
        loaded = withPage(loaded, older);
      }
      return { newest, pages };
    };
    openingPages()
      .then(({ newest, pages }) => {
        if (cancelled) return;
        setState((current) => pages.reduce(withPage, current));
        setReadUpToAtOpen(newest.lastReadSeq);
        setUnreadAtOpen(newest.unreadCount);
        outbox.confirm(newest.items.filter((message) => message.senderId === myId));
        // After the newest seq the page holds, message or notice: its notices reach to the end.
        setResumeAfter(String(Math.max(newest.items.at(-1)?.seq ?? 0, newest.notices.at(-1)?.seq ?? 0)));
        setStatus('ready');
      })
      .catch((caught: unknown) => {
        if (cancelled) return;
        setError(errorText(caught));
        setStatus('error');
      });
    return () => {
      cancelled = true;
    };
  }, [fetchPage, outbox, myId, attempt]);

  const failedStreams = useRef(0);
  const restartTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(restartTimer.current), []);

  const stream = trpc.conversations.onEvent.useSubscription(
    resumeAfter !== null && !ended ? { conversationId, lastEventId: resumeAfter } : skipToken,
    {
      onStarted: () => {
        failedStreams.current = 0;
      },
      onData: (tracked) => {
        const event = tracked.data;
        setState((current) => withEvent(current, event));
        // My message, from here or another tab: whichever copy comes first confirms it.
        if (event.message?.senderId === myId) outbox.confirm([event.message]);
        if (event.type !== 'message.created' && event.type !== 'message.edited' && event.type !== 'message.deleted') {
          // Members or title changed: the header and names come from conversations.get.
          void utils.conversations.get.invalidate({ id: conversationId });
        }
      },
      // The server ends the stream after the event that removed me, unless I was added back
      // since (a stream resumed from before an old removal replays it and reads on).
      onComplete: () => setEnded(true),
      onError: (streamError) => {
        if (streamError.data?.code === 'NOT_FOUND') {
          setEnded(true);
          return;
        }
        // Restart after a backoff (UNAUTHORIZED ends the session through the inbox stream).
        clearTimeout(restartTimer.current);
        // Replaying from the first resume point is harmless: merging a message again changes nothing.
        restartTimer.current = setTimeout(() => stream.reset(), reconnectDelayMs(failedStreams.current++));
      },
    },
  );

  const loadOlder = useCallback(async () => {
    const oldest = oldestSeq(stateRef.current);
    if (oldest === null || !stateRef.current.hasOlder) return;
    setLoadingOlder(true);
    setOlderError(null);
    try {
      const page = await fetchPage(oldest);
      setState((current) => withPage(current, page));
    } catch (caught) {
      setOlderError(errorText(caught));
    } finally {
      setLoadingOlder(false);
    }
  }, [fetchPage]);

  // An older page that failed while the connection was down loads by itself once it is back:
  // the reader is at the top waiting for it, where no scroll would ask again.
  const olderFailed = useRef(false);
  useLayoutEffect(() => {
    olderFailed.current = olderError !== null;
  });
  useConnectionRegained(
    useCallback(() => {
      if (olderFailed.current) void loadOlder();
    }, [loadOlder]),
  );

  // My sends are the tab's outbox's (outbox.ts): one at a time, in order, kept while I am
  // elsewhere. Here they show, and what it stores shows at once.
  const pending = useSyncExternalStore(outbox.subscribe, () => outbox.pendingIn(conversationId));
  useEffect(
    () =>
      outbox.onSent((message) => {
        if (message.conversationId === conversationId) setState((current) => withMessages(current, [message]));
      }),
    [outbox, conversationId],
  );
  const send = useCallback((body: string) => outbox.send(conversationId, body), [outbox, conversationId]);
  const retry = useCallback((clientId: string) => outbox.retry(clientId), [outbox]);
  const discard = useCallback((clientId: string) => outbox.discard(clientId), [outbox]);

  const edit = useCallback(
    async (message: Message, body: string) => {
      try {
        const edited = await utils.client.messages.edit.mutate({ id: message.id, body });
        setState((current) => withMessages(current, [edited]));
        return null;
      } catch (caught) {
        return errorText(caught);
      }
    },
    [utils],
  );

  const remove = useCallback(
    async (message: Message) => {
      try {
        const tombstone = await utils.client.messages.delete.mutate({ id: message.id });
        setState((current) => withMessages(current, [tombstone]));
        return null;
      } catch (caught) {
        return errorText(caught);
      }
    },
    [utils],
  );

  const reload = useCallback(() => {
    setStatus('loading');
    setError(null);
    setAttempt((count) => count + 1);
  }, []);

  return { state, pending, status, error, loadingOlder, olderError, ended, readUpToAtOpen, unreadAtOpen, reload, loadOlder, send, retry, discard, edit, remove };
}
