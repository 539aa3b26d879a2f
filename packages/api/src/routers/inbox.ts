import type { TRPCRouterRecord } from '@trpc/server';
import { inboxEvents, subscriberOf } from '../services/live.ts';
import { neverAborted, protectedProcedure } from '../trpc.ts';

export const inboxRouter = {
  onEvent: protectedProcedure.subscription(({ ctx, signal }) => inboxEvents(subscriberOf(ctx), signal ?? neverAborted)),
} satisfies TRPCRouterRecord;
