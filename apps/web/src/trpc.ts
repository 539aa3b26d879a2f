/**
 * The app's one link to the API. Only *types* come from @parley/api: the router's shape,
 * inputs, outputs and error shape are inferred, so any drift between server and client is
 * a compile error here, and no server code ever reaches the bundle.
 * @see https://trpc.io/docs/client/react
 */
import type { AppRouter, RouterInputs, RouterOutputs } from '@parley/api';
import { httpBatchLink, isTRPCClientError, type TRPCClientErrorLike } from '@trpc/client';
import { createTRPCReact } from '@trpc/react-query';

export type { AppRouter, RouterInputs, RouterOutputs };

/** The signed-in user, as auth.me returns it. */
export type Me = RouterOutputs['auth']['me'];
/** One inbox row, as conversations.list returns it. */
export type ConversationSummary = RouterOutputs['conversations']['list']['items'][number];

/** An error as the API sends it, including the `zodError` and `retryAfterMs` our formatter adds. */
export type ApiError = TRPCClientErrorLike<AppRouter>;

export const trpc = createTRPCReact<AppRouter>();

/** `getToken` is read on every request, so signing in or out never needs a new client. */
export function createTrpcClient(getToken: () => string | null) {
  return trpc.createClient({
    links: [
      httpBatchLink({
        url: '/trpc',
        headers: () => {
          const token = getToken();
          return token ? { Authorization: `Bearer ${token}` } : {};
        },
      }),
    ],
  });
}

export function isApiError(error: unknown): error is ApiError {
  return isTRPCClientError<AppRouter>(error);
}
