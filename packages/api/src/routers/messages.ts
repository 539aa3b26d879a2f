import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { clientId, id, messageBody, pageLimit, seq } from '../schemas.ts';
import { deleteMessage, editMessage, listMessages, sendMessage } from '../services/messages.ts';
import { conversationMemberProcedure, protectedProcedure } from '../trpc.ts';

export const messagesRouter = {
  list: conversationMemberProcedure
    .input(z.object({ conversationId: id, before: seq.optional(), after: seq.optional(), limit: pageLimit.default(50) }))
    .query(({ ctx, input }) => listMessages(ctx.em, ctx.membership, input)),

  send: conversationMemberProcedure
    .input(z.object({ conversationId: id, body: messageBody, clientId }))
    .mutation(({ ctx, input }) =>
      sendMessage(ctx, ctx.membership, input, () =>
        ctx.deps.rateLimiter.consume(`messages.send:${ctx.user.id}`, ctx.deps.rateLimits.messageSend),
      ),
    ),

  // Edit and delete name a message, not a conversation: membership is checked in the service.
  edit: protectedProcedure
    .input(z.object({ id, body: messageBody }))
    .mutation(({ ctx, input }) => editMessage(ctx, input)),

  delete: protectedProcedure
    .input(z.object({ id }))
    .mutation(({ ctx, input }) => deleteMessage(ctx, input)),
} satisfies TRPCRouterRecord;
