import type { TRPCRouterRecord } from '@trpc/server';
import { storedStats } from '../services/stats.ts';
import { adminProcedure } from '../trpc.ts';

export const adminRouter = {
  /** Usage figures from the database. (The live figures of every instance join them with admin.onStats.) */
  stats: adminProcedure.query(async ({ ctx }) => ({ stored: await storedStats(ctx.em) })),
} satisfies TRPCRouterRecord;
