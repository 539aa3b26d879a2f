import { raw } from '@parley/db';
import { UserSchema } from '@parley/db';
import type { Actor } from '../context.ts';
import { userView, type UserView } from '../views.ts';

/**
 * A filter key matching rows where any of `columns` contains `text`, case-insensitively,
 * with LIKE wildcards escaped (same SQL on SQLite and PostgreSQL).
 */
export function containsText(columns: string[], text: string) {
  const pattern = `%${text.toLowerCase().replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
  return raw(
    (alias: string) => `(${columns.map((column) => `lower(${alias}.${column}) like ? escape '\\'`).join(' or ')})`,
    columns.map(() => pattern),
  );
}

/** People other than me whose username or display name contains the query. */
export async function searchUsers(actor: Actor, input: { query: string; limit: number }): Promise<UserView[]> {
  const { em, user: me } = actor;
  const users = await em.find(
    UserSchema,
    { id: { $ne: me.id }, [containsText(['username', 'display_name'], input.query)]: [] },
    { orderBy: { username: 'asc' }, limit: input.limit },
  );
  const online = await actor.deps.presence.onlineAmong(users.map((user) => user.id));
  return users.map((user) => userView(user, online));
}
