// Lets TypeScript name tracked() outputs in the emitted router types (tRPC keeps the type in this entry).
export type { TrackedData } from '@trpc/server/unstable-core-do-not-import';
import { CONVERSATION_KINDS } from '@parley/db';
import { tracked, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { eventId, groupMemberIds, id, inboxCursor, muteSeconds, pageLimit, searchText, seq, title } from '../schemas.ts';
import { conversationDetail, createConversation, listConversations, unreadBeyond } from '../services/conversations.ts';
import {
  addParticipants,
  leaveConversation,
  markRead,
  removeParticipant,
  renameConversation,
  setMuted,
  setParticipantRole,
} from '../services/membership.ts';
import { conversationEvents, publishTyping, readReceipts, subscriberOf, typingUsers } from '../services/live.ts';
import { conversationMemberProcedure, memberProcedure, neverAborted, protectedProcedure } from '../trpc.ts';

export const conversationsRouter = {
  create: protectedProcedure
    .input(
      z.object({
        kind: z.enum(CONVERSATION_KINDS),
        participantIds: groupMemberIds.default([]),
        title: title.optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      createConversation(ctx, input, () =>
        ctx.deps.rateLimiter.consume(`conversations.create:${ctx.user.id}`, ctx.deps.rateLimits.conversationCreate),
      ),
    ),

  list: protectedProcedure
    .input(
      z.object({
        cursor: inboxCursor.nullish(),
        limit: pageLimit.default(20),
        search: searchText.optional(),
      }),
    )
    .query(({ ctx, input }) =>
      listConversations(ctx, {
        cursor: input.cursor ?? undefined,
        limit: input.limit,
        search: input.search || undefined,
      }),
    ),

  /**
   * My unread further down the inbox than the pages loaded (`cursor`: the last one's
   * nextCursor): the tab's title counts them, and the inbox says they are there.
   */
  unreadBeyond: protectedProcedure.input(z.object({ cursor: inboxCursor })).query(({ ctx, input }) => unreadBeyond(ctx, input.cursor)),

  get: memberProcedure
    .input(z.object({ id }))
    .query(({ ctx }) => conversationDetail(ctx, ctx.membership.conversation)),

  update: memberProcedure
    .input(z.object({ id, title }))
    .mutation(({ ctx, input }) => renameConversation(ctx, ctx.membership, input.title)),

  addParticipants: memberProcedure
    .input(z.object({ id, userIds: groupMemberIds.min(1, 'Add at least one person') }))
    .mutation(({ ctx, input }) => addParticipants(ctx, ctx.membership, input.userIds)),

  removeParticipant: memberProcedure
    .input(z.object({ id, userId: id }))
    .mutation(({ ctx, input }) => removeParticipant(ctx, ctx.membership, input.userId)),

  setRole: memberProcedure
    .input(z.object({ id, userId: id, role: z.enum(['admin', 'member']) }))
    .mutation(({ ctx, input }) => setParticipantRole(ctx, ctx.membership, input)),

  leave: memberProcedure
    .input(z.object({ id }))
    .mutation(({ ctx }) => leaveConversation(ctx, ctx.membership)),

  setTyping: memberProcedure.input(z.object({ id, typing: z.boolean() })).mutation(async ({ ctx, input }) => {
    // Stopping is never limited: a stale "is typing…" is worse than a chatty client.
    if (input.typing) {
      await ctx.deps.rateLimiter.consume(`setTyping:${ctx.user.id}:${input.id}`, ctx.deps.rateLimits.setTyping);
      ctx.typingIn.add(input.id);
    } else ctx.typingIn.delete(input.id);
    await publishTyping(ctx.deps, ctx.user.id, input.id, input.typing);
    return { typing: input.typing };
  }),

  onEvent: conversationMemberProcedure
    .input(z.object({ conversationId: id, lastEventId: eventId.nullish() }))
    .subscription(({ ctx, input, signal }) => {
      // Without a lastEventId the stream starts after the newest event as of now: fixed
      // here, before tRPC tells the client it has started, so nothing after that is missed.
      // A lastEventId beyond that (a client confused about which stream it had) would make
      // every live event look already seen: it starts from now instead.
      const { lastSeq } = ctx.membership.conversation;
      const after = input.lastEventId ? Math.min(Number(input.lastEventId), lastSeq) : lastSeq;
      const events = conversationEvents(subscriberOf(ctx), input.conversationId, after, signal ?? neverAborted);
      return (async function* () {
        for await (const event of events) {
          yield tracked(String(event.seq), event);
        }
      })();
    }),

  onTyping: conversationMemberProcedure
    .input(z.object({ conversationId: id }))
    .subscription(({ ctx, input, signal }) => typingUsers(subscriberOf(ctx), input.conversationId, signal ?? neverAborted, ctx.deps.typingTtlMs)),

  onReadReceipts: conversationMemberProcedure
    .input(z.object({ conversationId: id }))
    .subscription(({ ctx, input, signal }) => readReceipts(subscriberOf(ctx), input.conversationId, signal ?? neverAborted)),

  markRead: memberProcedure
    .input(z.object({ id, seq }))
    .mutation(({ ctx, input }) => markRead(ctx, ctx.membership, input.seq)),

  setMuted: memberProcedure
    .input(
      z
        .object({ id, muted: z.boolean(), forSeconds: muteSeconds.optional() })
        .refine((input) => input.muted || input.forSeconds === undefined, {
          path: ['forSeconds'],
          message: 'Only a mute lasts for a while: unmuting takes no duration',
        }),
    )
    .mutation(({ ctx, input }) => setMuted(ctx, ctx.membership, input.muted, input.forSeconds)),
} satisfies TRPCRouterRecord;
