import type { TRPCRouterRecord } from '@trpc/server';
import { inboxEvents } from '../services/live.ts';
import { neverAborted, protectedProcedure } from '../trpc.ts';

export const inboxRouter = {
  onEvent: protectedProcedure.subscription(({ ctx, signal }) => inboxEvents(ctx, signal ?? neverAborted)),
} satisfies TRPCRouterRecord;
