import { skipToken } from '@tanstack/react-query';
import { useState } from 'react';
import { trpc } from './trpc.ts';

/** How far each other member has read (user id → seq), kept live by conversations.onReadReceipts. */
export function useReadReceipts(conversationId: number, enabled: boolean): ReadonlyMap<number, number> {
  const [read, setRead] = useState<{ conversationId: number; upTo: ReadonlyMap<number, number> }>({
    conversationId,
    upTo: new Map(),
  });
  trpc.conversations.onReadReceipts.useSubscription(enabled ? { conversationId } : skipToken, {
    onData: (receipts) =>
      setRead((current) => {
        // Markers only move forward; a restarted stream repeats what is known.
        const upTo = new Map(current.conversationId === conversationId ? current.upTo : []);
        for (const { userId, lastReadSeq } of receipts) upTo.set(userId, Math.max(lastReadSeq, upTo.get(userId) ?? 0));
        return { conversationId, upTo };
      }),
  });
  return read.conversationId === conversationId ? read.upTo : new Map();
}

/** "Seen" when the other person in a DM has read up to my message, "Sent" before that. */
export function deliveryLabel(mySeq: number, othersReadUpTo: number | null): 'Sent' | 'Seen' {
  return othersReadUpTo !== null && othersReadUpTo >= mySeq ? 'Seen' : 'Sent';
}
