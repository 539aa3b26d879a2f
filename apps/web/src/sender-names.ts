/**
 * Names of people who wrote messages but are no longer members (they left or were removed):
 * the members' names come with the conversation, theirs from users.byIds.
 */
import { useQueryClient } from '@tanstack/react-query';
import { getQueryKey } from '@trpc/react-query';
import { trpc, type RouterOutputs } from './trpc.ts';

export type NamedUser = RouterOutputs['users']['byIds'][number];

/** users.byIds takes at most this many ids a call (INPUT_LIMITS.userLookupMax in the API). */
export const USER_LOOKUP_MAX = 100;

/** Splits ids into the calls users.byIds accepts: sorted and each once, so equal sets share a cache entry. */
export function lookupBatches(ids: Iterable<number>): number[][] {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const batches: number[][] = [];
  for (let start = 0; start < sorted.length; start += USER_LOOKUP_MAX) batches.push(sorted.slice(start, start + USER_LOOKUP_MAX));
  return batches;
}

/**
 * Display names of these users, by id, as far as the server has answered; a user it does not
 * know (or an answer still on its way) is absent, and the caller shows "Former member".
 */
export function useUserNames(ids: Iterable<number>): ReadonlyMap<number, string> {
  return new Map([...useNamedUsers(ids)].map(([id, user]) => [id, user.displayName]));
}

/**
 * These users (username and display name), by id, as far as the server has answered. One
 * call per set of ids, never refetched while cached: names do not change (no procedure changes them).
 */
export function useNamedUsers(ids: Iterable<number>): ReadonlyMap<number, NamedUser> {
  const queryClient = useQueryClient();
  // While a new set is asked for, the names earlier answers gave stay on screen.
  const answeredBefore = (batch: readonly number[]): NamedUser[] | undefined => {
    const wanted = new Set(batch);
    const known = queryClient
      .getQueriesData<NamedUser[]>({ queryKey: getQueryKey(trpc.users.byIds) })
      .flatMap(([, users]) => users ?? [])
      .filter((user) => wanted.has(user.id));
    return known.length > 0 ? known : undefined;
  };
  const answers = trpc.useQueries((t) =>
    lookupBatches(ids).map((batch) =>
      t.users.byIds({ ids: batch }, { staleTime: Infinity, placeholderData: () => answeredBefore(batch) }),
    ),
  );
  return new Map(answers.flatMap((answer) => answer.data ?? []).map((user) => [user.id, user]));
}
