/**
 * Test data typed by the API's own types: if the router's outputs or error shape change,
 * these stop compiling, so the UI tests can never drift from what the server sends.
 */
import { TRPCClientError } from '@trpc/client';
import type { ApiError, AppRouter, ConversationSummary } from './trpc.ts';

type Participant = ConversationSummary['participants'][number];
type Message = NonNullable<ConversationSummary['lastMessage']>;

const at = new Date(2026, 10, 12, 14, 30).toISOString();

export function participant(id: number, displayName: string): Participant {
  return {
    id,
    username: displayName.split(' ')[0]?.toLowerCase() ?? 'user',
    displayName,
    online: false,
    role: 'member',
    joinedAt: at,
    lastReadSeq: 0,
  };
}

export function message(senderId: number, body: string): Message {
  return { id: 1, conversationId: 1, seq: 1, senderId, body, clientId: 'c1', createdAt: at, editedAt: null, deletedAt: null };
}

export function summary(overrides: Partial<ConversationSummary>): ConversationSummary {
  return {
    id: 1,
    kind: 'direct',
    title: null,
    createdAt: at,
    lastMessageAt: at,
    lastSeq: 1,
    messageCount: 1,
    myRole: 'member',
    participants: [],
    lastMessage: null,
    unreadCount: 0,
    ...overrides,
  };
}

/** An error exactly as the tRPC client builds it from the server's error response. */
export function apiError(message: string, data: NonNullable<ApiError['data']>): ApiError {
  return TRPCClientError.from<AppRouter>({ error: { code: -32600, message, data } });
}
