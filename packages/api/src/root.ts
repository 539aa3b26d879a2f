// Lets TypeScript name tracked() outputs in the emitted router types (tRPC keeps the type in this entry).
export type { TrackedData } from '@trpc/server/unstable-core-do-not-import';
import { adminRouter } from './routers/admin.ts';
import { authRouter } from './routers/auth.ts';
import { conversationsRouter } from './routers/conversations.ts';
import { inboxRouter } from './routers/inbox.ts';
import { messagesRouter } from './routers/messages.ts';
import { usersRouter } from './routers/users.ts';
import { createTRPCRouter } from './trpc.ts';

export const appRouter = createTRPCRouter({
  auth: authRouter,
  users: usersRouter,
  conversations: conversationsRouter,
  messages: messagesRouter,
  inbox: inboxRouter,
  admin: adminRouter,
});

export type AppRouter = typeof appRouter;
