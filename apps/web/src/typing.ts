import { skipToken } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import { useLiveStateTrusted } from './hooks.ts';
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

/**
 * Who else is typing in the conversation now (user ids), from conversations.onTyping. The
 * server says who is typing only when that changes (it expires a silent typist itself), so
 * what it said holds only while its stream is live: nobody while the connection is down, and
 * once it is back only what the restarted stream says.
 */
export function useTypingUsers(conversationId: number, enabled: boolean): number[] {
  const trusted = useLiveStateTrusted();
  const [userIds, setUserIds] = useState<number[]>([]);
  // Forgotten as the connection drops, so the reconnected stream's answer is all that shows.
  const [wasTrusted, setWasTrusted] = useState(trusted);
  if (trusted !== wasTrusted) {
    setWasTrusted(trusted);
    if (!trusted) setUserIds([]);
  }
  trpc.conversations.onTyping.useSubscription(enabled ? { conversationId } : skipToken, {
    onData: (data) => setUserIds(data.userIds),
    // A lost or ended stream will not say when they stop: no one stays "typing" forever.
    onError: () => setUserIds([]),
    onComplete: () => setUserIds([]),
  });
  return enabled && trusted ? userIds : [];
}

/**
 * How many "typing" signals I send per conversation in any window of this length. The
 * server allows 5 per 5 s (setTyping in packages/api/src/limits.ts); one is kept spare for
 * a signal that reaches the server late, in its next window.
 */
export const TYPING_BUDGET = { limit: 4, windowMs: 5_000 } as const;

/**
 * When to tell the server that I am typing, so that it never has to refuse: "typing" when I
 * start (again right after a send, which cleared it on the server), then once per
 * TYPING_REFRESH_MS while I go on, never beyond TYPING_BUDGET, and nothing before a
 * refusal's retryAfterMs has passed. Neither a stop nor a refusal gives the budget back.
 */
export class TypingThrottle {
  /** When each "typing" of the last budget window went out. */
  #sentAt: number[] = [];
  /** The last "typing" since the last "stopped"; null when the server has not heard one. */
  #typingSentAt: number | null = null;
  #quietUntil = 0;

  /** Whether to send "typing" now; if so, it is counted. */
  start(now: number): boolean {
    if (now < this.#quietUntil) return false;
    if (this.#typingSentAt !== null && now - this.#typingSentAt < TYPING_REFRESH_MS) return false;
    this.#sentAt = this.#sentAt.filter((at) => now - at < TYPING_BUDGET.windowMs);
    if (this.#sentAt.length >= TYPING_BUDGET.limit) return false;
    this.#sentAt.push(now);
    this.#typingSentAt = now;
    return true;
  }

  /** Whether to send "stopped" now: only after a "typing" (stopping is never limited). */
  stop(): boolean {
    if (this.#typingSentAt === null) return false;
    this.#typingSentAt = null;
    return true;
  }

  /**
   * The server refused "typing" (TOO_MANY_REQUESTS): stay quiet for as long as it said, or a
   * whole budget window if it did not say. The refused signal stays counted, so any other
   * failure (offline) is tried again at the next refresh, not on every keystroke.
   */
  refused(now: number, retryAfterMs: number | null): void {
    this.#quietUntil = Math.max(this.#quietUntil, now + (retryAfterMs ?? TYPING_BUDGET.windowMs));
  }
}

/**
 * Tells the others that I am typing, as TypingThrottle allows, and "stopped" once when I
 * send, clear or leave the draft.
 */
export function useTypingSignal(conversationId: number): (typing: boolean) => void {
  const [throttle] = useState(() => new TypingThrottle());
  // Typing is a hint: a refusal (too fast, offline) is not worth telling anyone about, only
  // a reason to wait. On the mutation, not on mutate(): those skip a call a later one overtook.
  const { mutate } = trpc.conversations.setTyping.useMutation({
    onError: (error, { typing }) => {
      if (typing && error.data?.code === 'TOO_MANY_REQUESTS') throttle.refused(Date.now(), error.data.retryAfterMs ?? null);
    },
  });
  const signal = useCallback(
    (typing: boolean) => {
      if (!typing) {
        if (throttle.stop()) mutate({ id: conversationId, typing: false });
        return;
      }
      if (throttle.start(Date.now())) mutate({ id: conversationId, typing: true });
    },
    [conversationId, mutate, throttle],
  );
  // Leaving the conversation stops the signal too.
  useEffect(() => () => signal(false), [signal]);
  return signal;
}
