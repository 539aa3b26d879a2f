/** Conversations: create (with DM/self de-duplication), inbox, detail, membership, read state. */
import { UniqueConstraintViolationException } from '@parley/db';
import {
  conversationHead,
  ConversationSchema,
  directKeyOf,
  inboxPage,
  membersInboxState,
  ParticipantSchema,
  selfKeyOf,
  unreadAfter,
  UserSchema,
  type ConversationKind,
  type ConversationRow,
  type EntityManager,
  type UserRow,
} from '@parley/db';
import { badInput, conversationNotFound } from '../errors.ts';
import { INPUT_LIMITS } from '../limits.ts';
import type { Actor } from '../context.ts';
import type { Presence } from '../realtime/presence.ts';
import { publishAfterCommit } from '../realtime/publish.ts';
import {
  conversationRowOf,
  conversationSummaryView,
  conversationView,
  myPartView,
  SUMMARY_MEMBERS,
  type ConversationSummary,
  type ConversationView,
} from '../views.ts';


export interface CreateConversationInput {
  kind: ConversationKind;
  participantIds: number[];
  title?: string | undefined;
}

/**
 * Creates a conversation, or returns the existing DM / notes-to-self (`created: false`).
 * The unique directKey makes the database the judge when two creates race.
 * `beforeCreate` runs only when something is really created (the rate limit).
 */
export async function createConversation(
  actor: Actor,
  input: CreateConversationInput,
  beforeCreate: () => Promise<void>,
): Promise<ConversationView & { created: boolean }> {
  const { em, user: me } = actor;
  const others = [...new Set(input.participantIds)].filter((id) => id !== me.id);
  const directKey = directKeyFor(me, input.kind, others);

  if (directKey) {
    const existing = await findByDirectKey(actor, directKey);
    if (existing) return existing;
  }
  if (input.kind === 'group' && !input.title) {
    throw badInput('title', 'A group needs a title');
  }
  if (input.kind === 'group' && others.length + 1 > INPUT_LIMITS.groupSizeMax) {
    throw badInput('participantIds', `A group can have at most ${INPUT_LIMITS.groupSizeMax} members`);
  }
  const found = others.length ? await em.find(UserSchema, { id: { $in: others } }) : [];
  if (found.length !== others.length) throw badInput('participantIds', 'Some of those users do not exist');

  await beforeCreate();
  try {
    const conversation = await em.transactional(async (tx) => {
      const created = tx.create(ConversationSchema, {
        kind: input.kind,
        title: input.kind === 'group' ? (input.title ?? null) : null,
        directKey,
        createdBy: me.id,
      });
      tx.create(ParticipantSchema, { conversation: created, user: me.id, role: input.kind === 'group' ? 'owner' : 'member' });
      // A new DM reaches the other person's inbox with its first message, not when I open it.
      const hiddenUntilMessage = input.kind === 'direct';
      for (const user of found) tx.create(ParticipantSchema, { conversation: created, user, role: 'member', hiddenUntilMessage });
      return created;
    });
    const told = input.kind === 'direct' ? [me.id] : [me.id, ...found.map((user) => user.id)];
    await publishAfterCommit(actor.deps, { conversationId: conversation.id, events: [], added: told, memberIds: told });
    return { ...(await conversationDetail(actor, conversationRowOf(conversation))), created: true };
  } catch (error) {
    // A concurrent create of the same DM won: return what it made.
    if (directKey && error instanceof UniqueConstraintViolationException) {
      const existing = await findByDirectKey({ ...actor, em: em.fork() }, directKey);
      if (existing) return existing;
    }
    throw error;
  }
}

function directKeyFor(me: UserRow, kind: ConversationKind, others: number[]): string | null {
  if (kind === 'self') {
    if (others.length > 0) throw badInput('participantIds', 'Notes to self have no other participants');
    return selfKeyOf(me.id);
  }
  if (kind === 'direct') {
    const [other] = others;
    if (others.length !== 1 || other === undefined) {
      throw badInput('participantIds', 'A direct conversation has exactly one other participant');
    }
    return directKeyOf(me.id, other);
  }
  if (others.length === 0) throw badInput('participantIds', 'A group needs at least one other member');
  return null;
}

/** The existing DM or notes to self; a DM someone else opened with me is listed for me from now on. */
async function findByDirectKey(actor: Actor, directKey: string) {
  const conversation = await actor.em.findOne(ConversationSchema, { directKey });
  if (!conversation) return null;
  const detail = await conversationDetail(actor, conversationRowOf(conversation));
  const shown = await actor.em.nativeUpdate(
    ParticipantSchema,
    { conversation: conversation.id, user: actor.user.id, hiddenUntilMessage: true },
    { hiddenUntilMessage: false },
  );
  if (shown > 0) {
    await publishAfterCommit(actor.deps, { conversationId: conversation.id, events: [], added: [actor.user.id], memberIds: [actor.user.id] });
  }
  return { ...detail, created: false };
}

/** A conversation with every member, as I see it (NOT_FOUND unless I am one). */
export async function conversationDetail(actor: Actor, conversation: ConversationRow): Promise<ConversationView> {
  const { em, user: me } = actor;
  const members = await em.find(
    ParticipantSchema,
    { conversation: conversation.id },
    { populate: ['user'], orderBy: { joinedAt: 'asc', user: 'asc' } },
  );
  const mine = members.find((member) => member.user.id === me.id);
  if (!mine) throw conversationNotFound();
  const online = await actor.deps.presence.onlineAmong(members.map((member) => member.user.id));
  return conversationView(conversation, members, mine, online);
}

/** The inbox cursor: position of the last item of a page in (lastMessageAt, id) order. */
function encodeCursor(conversation: ConversationRow): string {
  return `${conversation.lastMessageAt.getTime()}_${conversation.id}`;
}

// Past year 9999 a date needs a six-digit ISO year, which PostgreSQL refuses (a server error).
const LATEST_CURSOR_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function decodeCursor(cursor: string): { lastMessageAt: Date; conversationId: number } {
  const match = /^(\d{1,15})_(\d{1,10})$/.exec(cursor);
  const at = Number(match?.[1]);
  const id = Number(match?.[2]);
  if (!match || at > LATEST_CURSOR_TIME || id > 2 ** 31 - 1) throw badInput('cursor', 'Invalid cursor');
  return { lastMessageAt: new Date(at), conversationId: id };
}

/**
 * My conversations, newest activity first, one keyset page at a time: two statements in
 * plain SQL (@parley/db reads.ts) — the page with each newest message, my unread count and
 * its first members, then the members each summary names — each reading index ranges the size
 * of the page, whatever the size of the database or of my inbox.
 */
export async function listConversations(
  actor: Actor,
  input: { cursor?: string | undefined; limit: number; search?: string | undefined },
): Promise<{ items: ConversationSummary[]; nextCursor: string | null }> {
  const page = await inboxPage(actor.em, {
    userId: actor.user.id,
    limit: input.limit + 1,
    after: input.cursor ? decodeCursor(input.cursor) : undefined,
    search: input.search,
    firstMembers: SUMMARY_MEMBERS,
  });
  const hasMore = page.length > input.limit;
  const mine = page.slice(0, input.limit);
  const last = mine.at(-1);
  if (mine.length === 0) return { items: [], nextCursor: null };
  const online = await actor.deps.presence.onlineAmong([...new Set(mine.flatMap((row) => row.namedMembers.map((member) => member.userId)))]);
  return {
    items: mine.map((row) =>
      conversationSummaryView(
        row.conversation,
        row.namedMembers,
        row.memberCount,
        { role: row.myRole, muted: row.muted, mutedUntil: row.mutedUntil },
        online,
        row.lastMessage,
        row.unreadCount,
      ),
    ),
    nextCursor: hasMore && last ? encodeCursor(last.conversation) : null,
  };
}

/** My unread in the conversations after `cursor` in inbox order (past the pages loaded), muted ones left out. */
export async function unreadBeyond(actor: Actor, cursor: string): Promise<{ conversations: number; messages: number }> {
  return unreadAfter(actor.em, { userId: actor.user.id, after: decodeCursor(cursor), now: new Date() });
}

/**
 * One conversation's inbox summary as each wanted member sees it (their role, their unread
 * count), for inbox.onEvent: two queries however many members (the conversation with its
 * members, newest message and named members; then the wanted members' state), so one read
 * serves every subscriber a change signals. `wanted` picks the members to summarise (those
 * listening); `members` holds every member, so a wanted user in neither is not one.
 */
export async function memberSummaries(
  em: EntityManager,
  presence: Presence,
  conversationId: number,
  wanted: (userId: number) => boolean,
): Promise<{ members: Set<number>; summaries: Map<number, ConversationSummary> }> {
  const summaries = new Map<number, ConversationSummary>();
  const head = await conversationHead(em, conversationId, SUMMARY_MEMBERS);
  if (!head) return { members: new Set(), summaries };
  const members = new Set(head.memberIds);
  const summarised = head.memberIds.filter(wanted);
  if (summarised.length === 0) return { members, summaries };
  const [state, online] = await Promise.all([
    membersInboxState(em, conversationId, summarised),
    presence.onlineAmong(head.namedMembers.map((member) => member.userId)),
  ]);
  // Built once; each member's summary differs only in their own fields.
  const nobody = { role: 'member', muted: false, mutedUntil: null } as const;
  const shared = conversationSummaryView(head.conversation, head.namedMembers, head.memberIds.length, nobody, online, head.lastMessage, 0);
  // No entry: they left after the member list was read.
  for (const [userId, { unreadCount, ...mine }] of state) {
    summaries.set(userId, { ...shared, ...myPartView(mine), unreadCount });
  }
  return { members, summaries };
}
