import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { displayName, hasNoNul, password, username } from '../schemas.ts';
import { login, logout, register, renewSession } from '../services/auth.ts';
import { meView } from '../views.ts';
import { protectedProcedure, publicProcedure } from '../trpc.ts';

export const authRouter = {
  register: publicProcedure
    .input(z.object({ username, password, displayName: displayName.optional() }))
    .mutation(async ({ ctx, input }) => {
      await ctx.deps.rateLimiter.consume(`register:${ctx.clientIp}`, ctx.deps.rateLimits.register);
      return register(ctx.em, ctx.deps.tokens, ctx.deps.admins, input);
    }),

  login: publicProcedure
    // Limits here only bound the work; a wrong value simply fails to sign in.
    .input(
      z.object({
        username: z.string().trim().toLowerCase().max(64, 'At most 64 characters').refine(hasNoNul, 'A username cannot contain NUL characters'),
        password: z.string().max(1024, 'At most 1024 characters'),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { rateLimiter, rateLimits } = ctx.deps;
      // Widest first: an address over its budget spends nothing of anyone's per-username budget.
      await rateLimiter.consume(`login-ip:${ctx.clientIp}`, rateLimits.loginPerIp);
      await rateLimiter.consume(`login:${input.username}:${ctx.clientIp}`, rateLimits.login);
      await rateLimiter.consume(`login-user:${input.username}`, rateLimits.loginPerUsername);
      return login(ctx.em, ctx.deps.tokens, ctx.deps.admins, input);
    }),

  me: protectedProcedure.query(({ ctx }) => meView(ctx.user)),

  /** A new token for my session (the web app asks once half of its token's life is gone). */
  renew: protectedProcedure.mutation(({ ctx }) => renewSession(ctx)),

  logout: protectedProcedure.mutation(async ({ ctx }) => {
    await logout(ctx);
    return { loggedOut: true as const };
  }),
} satisfies TRPCRouterRecord;
