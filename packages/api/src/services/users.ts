import { searchUsers as findUsers } from '@parley/db';
import type { Actor } from '../context.ts';
import { userView, type UserView } from '../views.ts';

/** People other than me whose username or display name contains the query. */
export async function searchUsers(actor: Actor, input: { query: string; limit: number }): Promise<UserView[]> {
  const users = await findUsers(actor.em, { query: input.query, excludeUserId: actor.user.id, limit: input.limit });
  const online = await actor.deps.presence.onlineAmong(users.map((user) => user.id));
  return users.map((user) => userView(user, online));
}
