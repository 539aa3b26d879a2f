import type { TRPCRouterRecord } from '@trpc/server';
import { liveStatsStream } from '../services/admin-live.ts';
import { storedStatsCache } from '../services/stats-cache.ts';
import { adminProcedure, neverAborted } from '../trpc.ts';

export const adminRouter = {
  /** Usage figures from the database, and the live figures of every running instance. */
  stats: adminProcedure.query(async ({ ctx }) => ({
    stored: await storedStatsCache(ctx.deps.db).get(),
    live: await ctx.deps.liveStats.current(),
  })),

  /** The live figures of every running instance: at once, then every ~2 s while the client stays. */
  onStats: adminProcedure.subscription(({ ctx, signal }) => liveStatsStream(ctx.deps, signal ?? neverAborted)),
} satisfies TRPCRouterRecord;
