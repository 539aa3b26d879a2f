import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { INPUT_LIMITS } from '../limits.ts';
import { id, peopleQuery } from '../schemas.ts';
import { searchUsers, usersByIds } from '../services/users.ts';
import { protectedProcedure } from '../trpc.ts';

const RESULTS_PER_SEARCH = `From 1 to ${INPUT_LIMITS.userSearchMax} results`;

export const usersRouter = {
  search: protectedProcedure
    .input(
      z.object({
        query: peopleQuery,
        limit: z
          .number()
          .int(RESULTS_PER_SEARCH)
          .min(1, RESULTS_PER_SEARCH)
          .max(INPUT_LIMITS.userSearchMax, RESULTS_PER_SEARCH)
          .default(10),
        /** Leaves out this conversation's members (the caller must be one): "Add people" of a group. */
        notInConversationId: id.optional(),
        /** Leaves out these users (those already picked for a new group), so a page is full of others. */
        excludeIds: z
          .array(id)
          .max(INPUT_LIMITS.groupSizeMax, `At most ${INPUT_LIMITS.groupSizeMax} ids to leave out`)
          .optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      await ctx.deps.rateLimiter.consume(`users.search:${ctx.user.id}`, ctx.deps.rateLimits.userSearch);
      return searchUsers(ctx, input);
    }),
  /** Names people by id: the web app names the senders of messages who are no longer members. */
  byIds: protectedProcedure
    .input(
      z.object({
        ids: z
          .array(id)
          .min(1, 'Ask for at least one user')
          .max(INPUT_LIMITS.userLookupMax, `At most ${INPUT_LIMITS.userLookupMax} ids per call`),
      }),
    )
    .query(async ({ ctx, input }) => {
      await ctx.deps.rateLimiter.consume(`users.byIds:${ctx.user.id}`, ctx.deps.rateLimits.userLookup);
      return usersByIds(ctx, input);
    }),
} satisfies TRPCRouterRecord;
