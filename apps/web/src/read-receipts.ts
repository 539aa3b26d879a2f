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

/**
 * Under my newest message: "Sent" until someone else has read up to it; then in a DM "Seen",
 * in a group "Seen by 2" and "Seen by everyone" once every other member has. `othersReadUpTo`:
 * each other member's read marker (none in notes to self, which stay "Sent").
 */
export function deliveryLabel(mySeq: number, othersReadUpTo: readonly number[]): string {
  const seen = othersReadUpTo.filter((seq) => seq >= mySeq).length;
  if (seen === 0) return 'Sent';
  if (othersReadUpTo.length === 1) return 'Seen';
  return seen === othersReadUpTo.length ? 'Seen by everyone' : `Seen by ${seen}`;
}

/**
 * Each other member's read marker: the later of the conversation's details (read when it
 * opened) and the live receipts, for the current members only (someone who left reads no more).
 */
export function othersReadUpTo(participants: readonly { id: number; lastReadSeq: number }[], myId: number, live: ReadonlyMap<number, number>): number[] {
  return participants.filter((member) => member.id !== myId).map((member) => Math.max(member.lastReadSeq, live.get(member.id) ?? 0));
}
