import type { TRPCRouterRecord } from '@trpc/server';
import { liveStatsStream } from '../services/admin-live.ts';
import { STORED_STATS_TTL_MS, storedStatsCache } from '../services/stats-cache.ts';
import { adminProcedure, neverAborted } from '../trpc.ts';

export const adminRouter = {
  /**
   * Usage figures from the database (computed at most every `storedMaxAgeMs`, so a view can
   * say why a refresh brought the same ones), and the live figures of every running instance.
   */
  stats: adminProcedure.query(async ({ ctx }) => ({
    stored: await storedStatsCache(ctx.deps.db).get(),
    storedMaxAgeMs: STORED_STATS_TTL_MS,
    live: await ctx.deps.liveStats.current(),
  })),

  /** The live figures of every running instance: at once, then every ~2 s while the client stays. */
  onStats: adminProcedure.subscription(({ ctx, signal }) => liveStatsStream(ctx.deps, signal ?? neverAborted)),
} satisfies TRPCRouterRecord;
