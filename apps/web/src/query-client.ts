import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import { isUnauthorized } from './errors.ts';
import type { Session } from './session.ts';
import { isApiError } from './trpc.ts';

/** Retrying cannot fix a request the server rejected as the client's fault (4xx). */
const MAX_RETRIES = 2;

/** How long an answer counts as fresh: older, a window focus or the browser's "online" refetches it. */
const QUERY_STALE_MS = 30_000;

/**
 * Mutations go out even while the browser says it is offline (TanStack Query's default holds
 * them, silently, until it is back): a click then fails at once with "cannot reach", which
 * every control says where it was pressed, rather than do nothing and act minutes later
 * (a mute chosen offline, a sign-out that hung on "Signing out…"). Queries keep the default:
 * they are read again when the connection is back.
 */
export const MUTATION_DEFAULTS = { networkMode: 'always' } as const;

/**
 * One place decides what a dead token means: whatever call finds it (auth.me at start, or
 * any later query or mutation), the session ends and the sign-in form says why.
 */
export function createQueryClient(session: Session): QueryClient {
  const onError = (error: unknown) => {
    if (isApiError(error) && isUnauthorized(error)) session.expire();
  };
  return new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        staleTime: QUERY_STALE_MS,
        retry: (failures, error) => failures < MAX_RETRIES && !isClientError(error),
      },
      mutations: MUTATION_DEFAULTS,
    },
  });
}

function isClientError(error: unknown): boolean {
  const status = isApiError(error) ? error.data?.httpStatus : undefined;
  return status !== undefined && status >= 400 && status < 500;
}
