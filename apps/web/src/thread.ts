import { skipToken } from '@tanstack/react-query';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { reconnectDelayMs } from './connection.ts';
import { useConnectionStatus } from './hooks.ts';
import { describeError, describeSendError, resendOf } from './errors.ts';
import {
  EMPTY_THREAD,
  withEvent,
  withMessages,
  withNewestPage,
  withOlderPage,
  withRetry,
  withSendDiscarded,
  withSendFailed,
  withSendStarted,
  type ThreadState,
} from './thread-state.ts';
import { isApiError, trpc, type ConversationDetail, type Message } from './trpc.ts';

export const PAGE_SIZE = 50;
/** How long a send may wait for its answer before it shows as not sent (with Retry). */
export const SEND_TIMEOUT_MS = 15_000;

export interface Thread {
  state: ThreadState;
  status: 'loading' | 'ready' | 'error';
  error: string | null;
  loadingOlder: boolean;
  olderError: string | null;
  /** Whether I may no longer read this conversation (removed, or left elsewhere). */
  ended: boolean;
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
 * One open conversation's messages: the newest page first, older pages on demand, kept live
 * by conversations.onEvent, which resumes exactly after the newest seq loaded (the socket
 * reconnects with the last event id it saw, so nothing is missed and nothing repeats).
 */
export function useThread(conversation: ConversationDetail, myId: number): Thread {
  const conversationId = conversation.id;
  const utils = trpc.useUtils();
  const [state, setState] = useState<ThreadState>(EMPTY_THREAD);
  const [status, setStatus] = useState<Thread['status']>('loading');
  const [error, setError] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState<string | null>(null);
  const [ended, setEnded] = useState(false);
  // Where the live stream resumes: fixed when it (re)starts, advanced by the socket itself after.
  const [resumeAfter, setResumeAfter] = useState<string | null>(null);
  // The latest state for callbacks (retry, loadOlder) without re-creating them on every change.
  const stateRef = useRef(state);
  useLayoutEffect(() => {
    stateRef.current = state;
  });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let cancelled = false;
    utils.client.messages.list
      .query({ conversationId, limit: PAGE_SIZE })
      .then((page) => {
        if (cancelled) return;
        setState((current) => withNewestPage(current, page, myId));
        setResumeAfter(String(page.items.at(-1)?.seq ?? 0));
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
  }, [utils, conversationId, myId, attempt]);

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
        setState((current) => withEvent(current, event, myId));
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
    const oldest = stateRef.current.messages[0];
    if (!oldest || !stateRef.current.hasOlder) return;
    setLoadingOlder(true);
    setOlderError(null);
    try {
      const page = await utils.client.messages.list.query({ conversationId, before: oldest.seq, limit: PAGE_SIZE });
      setState((current) => withOlderPage(current, page, myId));
    } catch (caught) {
      setOlderError(errorText(caught));
    } finally {
      setLoadingOlder(false);
    }
  }, [utils, conversationId, myId]);

  // My sends go one at a time, each after the one before has its answer: the server numbers
  // messages as their calls arrive, and calls sent together (one HTTP batch, or two requests
  // racing on two connections) can arrive in either order, so messages typed quickly could be
  // stored out of the order they were typed. A send that gets no answer in SEND_TIMEOUT_MS
  // fails (its retry keeps the clientId, so it is never stored twice) and lets the next go.
  const sendQueue = useRef<Promise<void>>(Promise.resolve());
  // Failed sends that go again by themselves after a wait; cleared when the thread closes.
  const resendTimers = useRef(new Set<ReturnType<typeof setTimeout>>());
  useEffect(() => {
    const timers = resendTimers.current;
    return () => timers.forEach(clearTimeout);
  }, []);
  const resendLater = useRef<(clientId: string) => void>(() => undefined);
  const attemptSend = useCallback(
    (clientId: string, body: string) => {
      sendQueue.current = sendQueue.current.then(() =>
        utils.client.messages.send
          .mutate({ conversationId, body, clientId }, { signal: AbortSignal.timeout(SEND_TIMEOUT_MS) })
          .then((message) => setState((current) => withMessages(current, [message], myId)))
          .catch((caught: unknown) => {
            const resend = isApiError(caught) ? resendOf(caught) : null;
            setState((current) =>
              withSendFailed(current, clientId, isApiError(caught) ? describeSendError(caught) : errorText(caught), resend?.when ?? null),
            );
            if (resend?.when !== 'after-wait') return;
            const timer = setTimeout(() => {
              resendTimers.current.delete(timer);
              resendLater.current(clientId);
            }, resend.waitMs);
            resendTimers.current.add(timer);
          }),
      );
    },
    [utils, conversationId, myId],
  );

  const send = useCallback(
    (body: string) => {
      const clientId = crypto.randomUUID();
      setState((current) => withSendStarted(current, clientId, body));
      attemptSend(clientId, body);
    },
    [attemptSend],
  );

  const retry = useCallback(
    (clientId: string) => {
      const pending = stateRef.current.pending.find((item) => item.clientId === clientId);
      // Only a failed send goes again (a timer's resend may find it retried by hand, sent or discarded).
      if (pending?.status !== 'failed') return;
      setState((current) => withRetry(current, clientId));
      attemptSend(clientId, pending.body);
    },
    [attemptSend],
  );
  useLayoutEffect(() => {
    resendLater.current = retry;
  });

  // Sends that got no answer go again, in the order they were written, once the connection
  // is back: the socket reconnected after it dropped, or the browser says it is online again.
  const connection = useConnectionStatus();
  const resendWaiting = useCallback(() => {
    for (const send of stateRef.current.pending) if (send.status === 'failed' && send.resend === 'when-online') retry(send.clientId);
  }, [retry]);
  const wasDown = useRef(false);
  useEffect(() => {
    if (connection === 'reconnecting') wasDown.current = true;
    if (connection !== 'open' || !wasDown.current) return;
    wasDown.current = false;
    resendWaiting();
  }, [connection, resendWaiting]);
  useEffect(() => {
    window.addEventListener('online', resendWaiting);
    return () => window.removeEventListener('online', resendWaiting);
  }, [resendWaiting]);

  const discard = useCallback((clientId: string) => setState((current) => withSendDiscarded(current, clientId)), []);

  const edit = useCallback(
    async (message: Message, body: string) => {
      try {
        const edited = await utils.client.messages.edit.mutate({ id: message.id, body });
        setState((current) => withMessages(current, [edited], myId));
        return null;
      } catch (caught) {
        return errorText(caught);
      }
    },
    [utils, myId],
  );

  const remove = useCallback(
    async (message: Message) => {
      try {
        const tombstone = await utils.client.messages.delete.mutate({ id: message.id });
        setState((current) => withMessages(current, [tombstone], myId));
        return null;
      } catch (caught) {
        return errorText(caught);
      }
    },
    [utils, myId],
  );

  const reload = useCallback(() => {
    setStatus('loading');
    setError(null);
    setAttempt((count) => count + 1);
  }, []);

  return { state, status, error, loadingOlder, olderError, ended, reload, loadOlder, send, retry, discard, edit, remove };
}
