import { useEffect, useRef, useState } from 'react';
import { trpc } from './trpc.ts';

/** Whether the person can see the page now: the tab is shown and the window has focus. */
export function isPageSeen(): boolean {
  return document.visibilityState === 'visible' && document.hasFocus();
}

/** Re-renders when the page is shown or hidden, focused or left. */
function usePageSeen(): boolean {
  const [seen, setSeen] = useState(isPageSeen);
  useEffect(() => {
    const update = () => setSeen(isPageSeen());
    window.addEventListener('focus', update);
    window.addEventListener('blur', update);
    document.addEventListener('visibilitychange', update);
    return () => {
      window.removeEventListener('focus', update);
      window.removeEventListener('blur', update);
      document.removeEventListener('visibilitychange', update);
    };
  }, []);
  return seen;
}

/**
 * Marks the conversation read up to `seq` while someone can see it: not in a background tab
 * or an unfocused window, where the messages would count as read without being read.
 */
export function useMarkRead(conversationId: number, seq: number): void {
  const seen = usePageSeen();
  const marked = useRef(0);
  const markRead = trpc.conversations.markRead.useMutation();
  const { mutate } = markRead;
  useEffect(() => {
    if (!seen || seq <= marked.current) return;
    marked.current = seq;
    // A failure leaves the mark where it was; the next message or focus tries again.
    mutate({ id: conversationId, seq }, { onError: () => (marked.current = 0) });
  }, [seen, seq, conversationId, mutate]);
}
