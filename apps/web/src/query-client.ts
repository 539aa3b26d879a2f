import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import { isUnauthorized } from './errors.ts';
import type { Session } from './session.ts';
import { isApiError } from './trpc.ts';

/** Retrying cannot fix a request the server rejected as the client's fault (4xx). */
const MAX_RETRIES = 2;

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
        staleTime: 30_000,
        retry: (failures, error) => failures < MAX_RETRIES && !isClientError(error),
      },
    },
  });
}

function isClientError(error: unknown): boolean {
  const status = isApiError(error) ? error.data?.httpStatus : undefined;
  return status !== undefined && status >= 400 && status < 500;
}
