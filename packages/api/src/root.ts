import { authRouter } from './routers/auth.ts';
import { conversationsRouter } from './routers/conversations.ts';
import { messagesRouter } from './routers/messages.ts';
import { usersRouter } from './routers/users.ts';
import { createTRPCRouter } from './trpc.ts';

export const appRouter = createTRPCRouter({
  auth: authRouter,
  users: usersRouter,
  conversations: conversationsRouter,
  messages: messagesRouter,
});

export type AppRouter = typeof appRouter;
