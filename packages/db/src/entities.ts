/**
 * The data model of docs/ARCHITECTURE.md ("Data model"), as MikroORM entities.
 *
 * Conventions:
 * - Integer ids, assigned by the database.
 * - Times are `datetime` columns holding UTC instants.
 * - `Participant` is the only record of membership; nothing else stores member ids.
 */
import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

export const USER_ROLES = ['user', 'admin'] as const;
export const CONVERSATION_KINDS = ['direct', 'group', 'self'] as const;
export const PARTICIPANT_ROLES = ['owner', 'admin', 'member'] as const;
export const EVENT_TYPES = [
  'message.created',
  'message.edited',
  'message.deleted',
  'participants.added',
  'participant.removed',
  'participant.left',
  'participant.role_changed',
  'conversation.renamed',
] as const;

export type UserRole = (typeof USER_ROLES)[number];
export type ConversationKind = (typeof CONVERSATION_KINDS)[number];
export type ParticipantRole = (typeof PARTICIPANT_ROLES)[number];
export type ConversationEventType = (typeof EVENT_TYPES)[number];

const now = () => new Date();

export const UserSchema = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.integer().primary().autoincrement(),
    /** Stored lower-case, which makes the unique index case-insensitive. */
    username: p.string().length(32).unique(),
    displayName: p.string().length(64),
    passwordHash: p.string().length(255).hidden().lazy(),
    role: p.enum(USER_ROLES).default('user'),
    /** Bumped on logout: every token carrying an older version is dead. */
    tokenVersion: p.integer().default(0),
    createdAt: p.datetime().onCreate(now),
    lastSeenAt: p.datetime().nullable(),
  },
});

export const ConversationSchema = defineEntity({
  name: 'Conversation',
  tableName: 'conversations',
  properties: {
    id: p.integer().primary().autoincrement(),
    kind: p.enum(CONVERSATION_KINDS),
    title: p.string().length(100).nullable(),
    /**
     * `min:max` of the two user ids for a DM, `self:<id>` for notes to self, null for
     * groups. Unique, so the database itself allows one DM per pair and one notes-to-self
     * per user, even under concurrent creates.
     */
    directKey: p.string().length(64).nullable().unique(),
    createdBy: () => p.manyToOne(UserSchema).ref(),
    createdAt: p.datetime().onCreate(now),
    updatedAt: p.datetime().onCreate(now),
    /** The conversation's event sequence: the seq of its newest durable event. */
    lastSeq: p.integer().default(0),
    /**
     * Time of the newest message, or of creation while there is none: the inbox sort key.
     * Each member's participant row holds a copy (Participant.conversationLastMessageAt).
     */
    lastMessageAt: p.datetime().onCreate(now),
    /** Messages not deleted; kept exact in the transaction of every send and delete. */
    messageCount: p.integer().default(0),
    /** Inverse side of Participant.conversation, for queries; nothing is stored here. */
    participants: () => p.oneToMany<{ '~entity': Participant }>(ParticipantSchema).mappedBy('conversation'),
  },
});

export const ParticipantSchema = defineEntity({
  name: 'Participant',
  tableName: 'participants',
  properties: {
    // No index of their own (MikroORM adds one per reference on SQLite): the key and the
    // indexes below lead with each, and every index is one more write per change.
    conversation: () => p.manyToOne(ConversationSchema).ref().primary().index(false),
    user: () => p.manyToOne(UserSchema).ref().primary().index(false),
    role: p.enum(PARTICIPANT_ROLES).default('member'),
    joinedAt: p.datetime().onCreate(now),
    /** Highest seq this member has read; unread = later messages by others, not deleted. */
    lastReadSeq: p.integer().default(0),
    /**
     * The conversation's lastMessageAt, copied by the database itself (triggers of
     * triggers.ts, in the statement that changes it): with the index below, "my
     * conversations, newest activity first" is a range of one index, whatever the number of
     * conversations. Only SQL reads it; never set it (an entity's value may be stale).
     */
    conversationLastMessageAt: p.datetime().nullable().hidden(),
    /**
     * Left out of this member's inbox until the conversation has a message: the other person
     * of a DM someone opened with them, until they open it themselves.
     */
    hiddenUntilMessage: p.boolean().default(false),
    /** This member's choice: no notifications of it, and its unread left out of their total. */
    muted: p.boolean().default(false),
    /** When a mute for a while ends by itself (null: when they unmute); read as muted only before it. */
    mutedUntil: p.datetime().nullable(),
  },
  indexes: [
    // The primary key (conversation, user) serves member look-ups; this one the inbox, and
    // every other read by user (it leads with the user and holds the conversation). Each
    // message rewrites its members' rows through all of these on PostgreSQL (the copy is
    // indexed, so no update is HOT): no index here that another already serves.
    { name: 'participants_inbox_idx', properties: ['user', 'conversationLastMessageAt', 'conversation'] },
    // A conversation's members in the order they joined, from the index alone (who an inbox summary names).
    { name: 'participants_join_order_idx', properties: ['conversation', 'joinedAt', 'user'] },
  ],
});

export const MessageSchema = defineEntity({
  name: 'Message',
  tableName: 'messages',
  properties: {
    id: p.integer().primary().autoincrement(),
    // No index of their own: the uniques below lead with each (a send writes every index).
    conversation: () => p.manyToOne(ConversationSchema).ref().index(false),
    seq: p.integer(),
    sender: () => p.manyToOne(UserSchema).ref().index(false),
    /** Empty once deleted: the row stays as a tombstone. */
    body: p.text(),
    /** Chosen by the sending client; the idempotency key of a send. */
    clientId: p.string().length(64),
    createdAt: p.datetime().onCreate(now),
    editedAt: p.datetime().nullable(),
    deletedAt: p.datetime().nullable(),
  },
  uniques: [
    { name: 'messages_conversation_seq_unique', properties: ['conversation', 'seq'] },
    { name: 'messages_sender_client_id_unique', properties: ['sender', 'clientId'] },
  ],
  // For the admin statistics (docs/ARCHITECTURE.md, "Admin statistics"): a month of live
  // messages is read from the first index alone, in time order, without touching the table;
  // "has this user sent anything since …" is one probe into the second.
  indexes: [
    { name: 'messages_live_created_idx', properties: ['createdAt', 'sender', 'conversation'], where: { deletedAt: null } },
    { name: 'messages_sender_created_idx', properties: ['sender', 'createdAt'] },
    // Unread counts (docs/ARCHITECTURE.md, "Unread"): the deleted messages after a read
    // marker. Written only when a message is deleted; empty while nothing is.
    { name: 'messages_deleted_idx', properties: ['conversation', 'seq'], where: { deletedAt: { $ne: null } } },
  ],
});

export const ConversationEventSchema = defineEntity({
  name: 'ConversationEvent',
  tableName: 'conversation_events',
  properties: {
    // No index of its own: the key (conversation, seq) leads with it.
    conversation: () => p.manyToOne(ConversationSchema).ref().primary().index(false),
    seq: p.integer().primary(),
    type: p.enum(EVENT_TYPES),
    /** The message the event is about, for message.* events. */
    message: () => p.manyToOne(MessageSchema).ref().nullable(),
    actorId: p.integer(),
    /** Non-message details (user ids, a new title). Never a message body: replay must not reveal deletes. */
    payload: p.json<Record<string, unknown>>().nullable(),
    createdAt: p.datetime().onCreate(now),
  },
  indexes: [
    // Unread counts (docs/ARCHITECTURE.md, "Unread"): the seqs after a read marker that are
    // not a new message (edits, deletes, membership, renames). Written only for those.
    { name: 'conversation_events_changes_idx', properties: ['conversation', 'seq'], where: { type: { $ne: 'message.created' } } },
  ],
});

export type User = InferEntity<typeof UserSchema>;
export type Conversation = InferEntity<typeof ConversationSchema>;
// An interface, not an alias: emitted declarations then name it instead of inlining the
// Conversation <-> Participant cycle until TypeScript elides it to `any`.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Participant extends InferEntity<typeof ParticipantSchema> {}
export type Message = InferEntity<typeof MessageSchema>;
export type ConversationEvent = InferEntity<typeof ConversationEventSchema>;

export const entities = [
  UserSchema,
  ConversationSchema,
  ParticipantSchema,
  MessageSchema,
  ConversationEventSchema,
];

/** The `directKey` of the DM between two users: the same whichever of them asks. */
export function directKeyOf(userA: number, userB: number): string {
  return userA < userB ? `${userA}:${userB}` : `${userB}:${userA}`;
}

/** The `directKey` of a user's notes to self. */
export function selfKeyOf(userId: number): string {
  return `self:${userId}`;
}
