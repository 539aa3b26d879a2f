/** The bus topics and what travels on them. */
import type { ConversationEventView } from '../views.ts';
import { topic } from './bus.ts';

/** Everything live about one conversation: its durable events (after commit), typing and read markers. */
export type ConversationSignal =
  | {
      kind: 'event';
      event: ConversationEventView;
      /** When the sending instance committed it (wallClockMs), for the send→deliver latency. */
      committedAt?: number;
    }
  | { kind: 'typing'; userId: number; typing: boolean }
  | { kind: 'read'; userId: number; lastReadSeq: number };

/**
 * What one user's inbox must hear of: only which conversation, never a summary (a group
 * can have 256 members). The subscriber's instance reads the summary once per change for
 * all its subscribers (services/inbox-reads.ts).
 */
export type InboxSignal =
  | {
      kind: 'changed';
      conversationId: number;
      /** Only this user's own state changed (their read marker, their mute): nobody else's summary needs reading. */
      onlyMine?: boolean;
    }
  | { kind: 'added'; conversationId: number }
  | { kind: 'removed'; conversationId: number }
  | { kind: 'presence'; userId: number; online: boolean };

/** A user's tokens were revoked: every instance closes that user's sockets. */
export interface SessionSignal {
  userId: number;
}

export const conversationTopic = (conversationId: number) => topic<ConversationSignal>(`conversation:${conversationId}`);
export const inboxTopic = (userId: number) => topic<InboxSignal>(`inbox:${userId}`);
export const sessionsTopic = topic<SessionSignal>('sessions');
