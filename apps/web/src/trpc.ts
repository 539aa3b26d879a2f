/**
 * The app's one link to the API. Only *types* come from @parley/api: the router's shape,
 * inputs, outputs and error shape are inferred, so any drift between server and client is
 * a compile error here, and no server code ever reaches the bundle.
 * @see https://trpc.io/docs/client/react
 */
import type { AppRouter, RouterInputs, RouterOutputs } from '@parley/api';
import { isTRPCClientError, type TRPCClientErrorLike } from '@trpc/client';
import { createTRPCReact } from '@trpc/react-query';

export type { AppRouter, RouterInputs, RouterOutputs };

/** The signed-in user, as auth.me returns it. */
export type Me = RouterOutputs['auth']['me'];
/** One inbox row, as conversations.list returns it. */
export type ConversationSummary = RouterOutputs['conversations']['list']['items'][number];
/** One conversation with its members (and how far each has read), as conversations.get returns it. */
export type ConversationDetail = RouterOutputs['conversations']['get'];
/** One message, as messages.list and messages.send return it. */
export type Message = RouterOutputs['messages']['send'];
/** One page of history, ascending by seq. */
export type HistoryPage = RouterOutputs['messages']['list'];
/** What conversations.onEvent yields: one durable change of a conversation. */
export type ConversationEvent = RouterOutputs['conversations']['onEvent'] extends AsyncIterable<infer Tracked>
  ? Tracked extends { data: infer Event }
    ? Event
    : Tracked
  : never;
/** One page of the inbox, as conversations.list returns it. */
export type InboxPage = RouterOutputs['conversations']['list'];
/** What inbox.onEvent yields: a conversation of mine changed, appeared or went, or someone's presence. */
export type InboxEvent = RouterOutputs['inbox']['onEvent'] extends AsyncIterable<infer Event> ? Event : never;

/** The admin statistics as admin.stats returns them; `stored` comes from the database. */
export type AdminStats = RouterOutputs['admin']['stats'];
export type StoredStats = AdminStats['stored'];
/** The live figures of every running instance, as admin.onStats pushes them (and admin.stats returns them). */
export type LiveStats = RouterOutputs['admin']['onStats'] extends AsyncIterable<infer Live> ? Live : never;

/** An error as the API sends it, including the `zodError` and `retryAfterMs` our formatter adds. */
export type ApiError = TRPCClientErrorLike<AppRouter>;

export const trpc = createTRPCReact<AppRouter>();

export function isApiError(error: unknown): error is ApiError {
  return isTRPCClientError<AppRouter>(error);
}
