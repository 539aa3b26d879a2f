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

/** Another member as read receipts show them: who, and how far they have read. */
export interface Reader {
  name: string;
  readUpTo: number;
}

/** What my newest message says of who has read it. */
export interface Delivery {
  /** "Sent", "Seen", "Seen by 2", "Seen by everyone". */
  label: string;
  /** In a group, who has seen it, for a tooltip: "Seen by Bob Marley, Carol Danvers"; else null. */
  detail: string | null;
}

/** Names a tooltip lists before "and N more": a line a pointer can still read. */
const NAMED_READERS_MAX = 10;

/**
 * Under my newest message: "Sent" until someone else has read up to it; then in a DM "Seen",
 * in a group "Seen by 2" (naming them on hover) and "Seen by everyone" once every other member
 * has. `others`: every other member (none in notes to self, which stay "Sent").
 */
export function deliveryOf(mySeq: number, others: readonly Reader[]): Delivery {
  const seen = others.filter((reader) => reader.readUpTo >= mySeq).map((reader) => reader.name);
  if (seen.length === 0) return { label: 'Sent', detail: null };
  if (others.length === 1) return { label: 'Seen', detail: null };
  const named = seen.slice(0, NAMED_READERS_MAX).join(', ');
  const more = seen.length > NAMED_READERS_MAX ? ` and ${seen.length - NAMED_READERS_MAX} more` : '';
  return { label: seen.length === others.length ? 'Seen by everyone' : `Seen by ${seen.length}`, detail: `Seen by ${named}${more}` };
}

/**
 * Each other member with their read marker: the later of the conversation's details (read
 * when it opened) and the live receipts, for the current members only (someone who left
 * reads no more).
 */
export function othersReading(
  participants: readonly { id: number; displayName: string; lastReadSeq: number }[],
  myId: number,
  live: ReadonlyMap<number, number>,
): Reader[] {
  return participants
    .filter((member) => member.id !== myId)
    .map((member) => ({ name: member.displayName, readUpTo: Math.max(member.lastReadSeq, live.get(member.id) ?? 0) }));
}
