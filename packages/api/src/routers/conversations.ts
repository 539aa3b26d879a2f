import { CONVERSATION_KINDS } from '@parley/db';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { INPUT_LIMITS } from '../limits.ts';
import { id, pageLimit, searchText, seq, title } from '../schemas.ts';
import { conversationDetail, createConversation, listConversations } from '../services/conversations.ts';
import {
  addParticipants,
  leaveConversation,
  markRead,
  removeParticipant,
  renameConversation,
  setParticipantRole,
} from '../services/membership.ts';
import { memberProcedure, protectedProcedure } from '../trpc.ts';

export const conversationsRouter = {
  create: protectedProcedure
    .input(
      z.object({
        kind: z.enum(CONVERSATION_KINDS),
        participantIds: z.array(id).max(INPUT_LIMITS.groupSizeMax).default([]),
        title: title.optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      createConversation(ctx.em, ctx.deps.presence, ctx.user, input, () =>
        ctx.deps.rateLimiter.consume(`conversations.create:${ctx.user.id}`, ctx.deps.rateLimits.conversationCreate),
      ),
    ),

  list: protectedProcedure
    .input(
      z.object({
        cursor: z.string().max(40).nullish(),
        limit: pageLimit.default(20),
        search: searchText.optional(),
      }),
    )
    .query(({ ctx, input }) =>
      listConversations(ctx.em, ctx.deps.presence, ctx.user, {
        cursor: input.cursor ?? undefined,
        limit: input.limit,
        search: input.search || undefined,
      }),
    ),

  get: memberProcedure
    .input(z.object({ id }))
    .query(({ ctx }) => conversationDetail(ctx.em, ctx.deps.presence, ctx.membership.conversation.getEntity(), ctx.user)),

  update: memberProcedure
    .input(z.object({ id, title }))
    .mutation(({ ctx, input }) => renameConversation(ctx.em, ctx.deps.presence, ctx.user, ctx.membership, input.title)),

  addParticipants: memberProcedure
    .input(z.object({ id, userIds: z.array(id).min(1).max(INPUT_LIMITS.groupSizeMax) }))
    .mutation(({ ctx, input }) => addParticipants(ctx.em, ctx.deps.presence, ctx.user, ctx.membership, input.userIds)),

  removeParticipant: memberProcedure
    .input(z.object({ id, userId: id }))
    .mutation(({ ctx, input }) => removeParticipant(ctx.em, ctx.deps.presence, ctx.user, ctx.membership, input.userId)),

  setRole: memberProcedure
    .input(z.object({ id, userId: id, role: z.enum(['admin', 'member']) }))
    .mutation(({ ctx, input }) => setParticipantRole(ctx.em, ctx.deps.presence, ctx.user, ctx.membership, input)),

  leave: memberProcedure
    .input(z.object({ id }))
    .mutation(({ ctx }) => leaveConversation(ctx.em, ctx.user, ctx.membership)),

  markRead: memberProcedure
    .input(z.object({ id, seq }))
    .mutation(({ ctx, input }) => markRead(ctx.em, ctx.user, ctx.membership, input.seq)),
} satisfies TRPCRouterRecord;
