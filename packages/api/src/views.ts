/**
 * What the API returns: plain objects with ISO-8601 times, never entities, so the types
 * the web app infers are exactly what arrives over JSON.
 */
import type { Conversation, ConversationKind, Message, Participant, ParticipantRole, User, UserRole } from '@parley/db';
import type { Presence } from './realtime/presence.ts';

export interface UserView {
  id: number;
  username: string;
  displayName: string;
  online: boolean;
}

export interface MeView {
  id: number;
  username: string;
  displayName: string;
  role: UserRole;
}

export interface MessageView {
  id: number;
  conversationId: number;
  seq: number;
  senderId: number;
  /** Empty for a deleted message. */
  body: string;
  clientId: string;
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
}

export interface ParticipantView extends UserView {
  role: ParticipantRole;
  joinedAt: string;
  /** Read receipts: the highest seq this member has read. */
  lastReadSeq: number;
}

export interface ConversationView {
  id: number;
  kind: ConversationKind;
  title: string | null;
  createdAt: string;
  lastMessageAt: string;
  lastSeq: number;
  messageCount: number;
  myRole: ParticipantRole;
  participants: ParticipantView[];
}

export interface ConversationSummary extends ConversationView {
  lastMessage: MessageView | null;
  unreadCount: number;
}

export const iso = (date: Date) => date.toISOString();

export function meView(user: User): MeView {
  return { id: user.id, username: user.username, displayName: user.displayName, role: user.role };
}

export function userView(user: User, presence: Presence): UserView {
  return { id: user.id, username: user.username, displayName: user.displayName, online: presence.isOnline(user.id) };
}

export function messageView(message: Message): MessageView {
  return {
    id: message.id,
    conversationId: message.conversation.id,
    seq: message.seq,
    senderId: message.sender.id,
    body: message.deletedAt ? '' : message.body,
    clientId: message.clientId,
    createdAt: iso(message.createdAt),
    editedAt: message.editedAt ? iso(message.editedAt) : null,
    deletedAt: message.deletedAt ? iso(message.deletedAt) : null,
  };
}

/** `members` must have their users loaded. */
export function conversationView(
  conversation: Conversation,
  members: Participant[],
  myRole: ParticipantRole,
  presence: Presence,
): ConversationView {
  return {
    id: conversation.id,
    kind: conversation.kind,
    title: conversation.title ?? null,
    createdAt: iso(conversation.createdAt),
    lastMessageAt: iso(conversation.lastMessageAt),
    lastSeq: conversation.lastSeq,
    messageCount: conversation.messageCount,
    myRole,
    participants: members.map((member) => ({
      ...userView(member.user.getEntity(), presence),
      role: member.role,
      joinedAt: iso(member.joinedAt),
      lastReadSeq: member.lastReadSeq,
    })),
  };
}
