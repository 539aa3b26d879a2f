import { skipToken } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { trpc } from './trpc.ts';

/** While the draft keeps changing, "still typing" is repeated this often (the server forgets after ~6 s). */
export const TYPING_REFRESH_MS = 3_000;

/** "Bob is typing…", "Bob and Carol are typing…", "3 people are typing…"; empty when nobody is. */
export function typingLabel(names: readonly string[]): string {
  const [first, second] = names;
  if (first === undefined) return '';
  if (second === undefined) return `${first} is typing…`;
  if (names.length === 2) return `${first} and ${second} are typing…`;
  return `${names.length} people are typing…`;
}

/** Who else is typing in the conversation now (user ids), from conversations.onTyping. */
export function useTypingUsers(conversationId: number, enabled: boolean): number[] {
  const [userIds, setUserIds] = useState<number[]>([]);
  trpc.conversations.onTyping.useSubscription(enabled ? { conversationId } : skipToken, {
    onData: (data) => setUserIds(data.userIds),
    // A lost stream must not leave someone "typing" forever.
    onError: () => setUserIds([]),
  });
  return enabled ? userIds : [];
}

/**
 * Tells the others that I am typing: at most once per TYPING_REFRESH_MS while the draft
 * changes (the server allows one per 2 s), and "stopped" once when I send, clear or leave it.
 */
export function useTypingSignal(conversationId: number): (typing: boolean) => void {
  const { mutate } = trpc.conversations.setTyping.useMutation();
  const lastSentAt = useRef<number | null>(null);
  const signal = useCallback(
    (typing: boolean) => {
      const now = Date.now();
      if (typing) {
        if (lastSentAt.current !== null && now - lastSentAt.current < TYPING_REFRESH_MS) return;
        lastSentAt.current = now;
        // Typing is a hint: a refusal (too fast, offline) is not worth telling anyone about.
        mutate({ id: conversationId, typing: true }, { onError: () => (lastSentAt.current = null) });
      } else if (lastSentAt.current !== null) {
        lastSentAt.current = null;
        mutate({ id: conversationId, typing: false });
      }
    },
    [conversationId, mutate],
  );
  // Leaving the conversation stops the signal too.
  useEffect(() => () => signal(false), [signal]);
  return signal;
}
