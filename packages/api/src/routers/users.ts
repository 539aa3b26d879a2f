import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { INPUT_LIMITS } from '../limits.ts';
import { text } from '../schemas.ts';
import { searchUsers } from '../services/users.ts';
import { protectedProcedure } from '../trpc.ts';

export const usersRouter = {
  search: protectedProcedure
    .input(
      z.object({
        query: text('Search text', INPUT_LIMITS.searchMax),
        limit: z.number().int().min(1).max(INPUT_LIMITS.userSearchMax).default(10),
      }),
    )
    .query(async ({ ctx, input }) => {
      await ctx.deps.rateLimiter.consume(`users.search:${ctx.user.id}`, ctx.deps.rateLimits.userSearch);
      return searchUsers(ctx, input);
    }),
} satisfies TRPCRouterRecord;
