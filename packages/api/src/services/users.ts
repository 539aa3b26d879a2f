import { findCaller, findUsersByIds, searchUsers as findUsers } from '@parley/db';
import type { Actor } from '../context.ts';
import { conversationNotFound } from '../errors.ts';
import { userNameView, userView, type UserNameView, type UserView } from '../views.ts';

/**
 * People other than me whose username or display name contains the query, but for
 * `excludeIds` (those already picked for a new group); with `notInConversationId`, only
 * those not in that conversation (whom I could add), which I must be in myself: NOT_FOUND
 * otherwise, as every member call answers.
 */
export async function searchUsers(
  actor: Actor,
  input: { query: string; limit: number; notInConversationId?: number | undefined; excludeIds?: readonly number[] | undefined },
): Promise<UserView[]> {
  const { notInConversationId } = input;
  if (notInConversationId !== undefined) {
    const { membership } = await findCaller(actor.em, actor.user.id, notInConversationId);
    if (!membership) throw conversationNotFound();
  }
  const users = await findUsers(actor.em, {
    query: input.query,
    excludeUserId: actor.user.id,
    notInConversationId,
    excludeUserIds: input.excludeIds,
    limit: input.limit,
  });
  const online = await actor.deps.presence.onlineAmong(users.map((user) => user.id));
  return users.map((user) => userView(user, online));
}

/**
 * The names of these users, by id; an id with no user is simply absent. Reveals nothing
 * users.search does not (anyone signed in can find anyone's id and names), so it is not
 * limited to people I share a conversation with: it names those who left one.
 */
export async function usersByIds(actor: Actor, input: { ids: readonly number[] }): Promise<UserNameView[]> {
  const users = await findUsersByIds(actor.em, [...new Set(input.ids)]);
  return users.map(userNameView);
}
