/**
 * The one place tRPC is initialised. It exports procedure tiers, never `t`:
 *   publicProcedure → protectedProcedure (signed in) → memberProcedure (member of the
 *   conversation named in the input) ; protectedProcedure → adminProcedure.
 * @see https://trpc.io/docs/server/procedures#reusable-base-procedures
 */
import { UniqueConstraintViolationException } from '@parley/db';
import { findCaller, findUser, type EntityManager, type UserRow } from '@parley/db';
import { initTRPC, TRPCError } from '@trpc/server';
import { z, ZodError } from 'zod';
import { verifyToken, type TokenClaims } from './auth/tokens.ts';
import type { Context, InFlight } from './context.ts';
import type { InstanceMetrics } from './realtime/live-metrics.ts';
import { conversationNotFound, databaseUnavailable, FieldError, isDatabaseUnavailable } from './errors.ts';
import { MAX_CALLS_IN_FLIGHT_PER_CONNECTION, MAX_SUBSCRIPTIONS_PER_CONNECTION } from './limits.ts';
import { RateLimitedError } from './rate-limiter.ts';
import { id } from './schemas.ts';

const t = initTRPC.context<Context>().create({
  // Never send stack traces, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      // An unexpected failure is ours: its message may name internals, so it stays in the log.
      message: error.code === 'INTERNAL_SERVER_ERROR' ? 'Something went wrong on our side' : cause instanceof ZodError ? inWords(cause) : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        /** Field errors of invalid input, as `z.flattenError` shapes them. */
        zodError: fieldErrorsOf(cause),
        /** For TOO_MANY_REQUESTS: how long to wait before trying again. */
        retryAfterMs: cause instanceof RateLimitedError ? cause.retryAfterMs : null,
      },
    };
  },
});

/**
 * Invalid input in a sentence an API client can show or log: "body: A message cannot be
 * empty; clientId: letters, digits, _ and - only" (tRPC's own is zod's issues as JSON).
 */
function inWords(error: ZodError): string {
  return error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}

/** Field errors in z.flattenError's shape, from a schema or from a service's FieldError. */
function fieldErrorsOf(cause: unknown): { formErrors: string[]; fieldErrors: Record<string, string[] | undefined> } | null {
  if (cause instanceof ZodError) return z.flattenError(cause);
  if (cause instanceof FieldError) return { formErrors: [], fieldErrors: { [cause.field]: [cause.message] } };
  return null;
}

export const createTRPCRouter = t.router;

/** For a subscription called without a signal (a direct caller): it ends when its consumer stops. */
export const neverAborted: AbortSignal = new AbortController().signal;
export const createCallerFactory = t.createCallerFactory;

/**
 * What every call goes through, in one middleware (each middleware level costs tRPC two
 * copies of the call's options and one of the context: with three levels here that was 10 %
 * of a send's CPU). In order:
 * - caps what one connection can have the server do at once (a WebSocket's context lives
 *   as long as the socket, and tRPC starts every call a frame holds without waiting): calls
 *   in flight (MAX_CALLS_IN_FLIGHT_PER_CONNECTION) and live subscriptions
 *   (MAX_SUBSCRIPTIONS_PER_CONNECTION). A slot is taken before the procedure runs, so a
 *   burst cannot all pass the check while the first calls are still running, and freed when
 *   the call ends, or the stream ends however it ends. A refusal costs no database work
 *   (and is counted in /metrics like any other outcome).
 * - forks an EntityManager for the call (over WebSockets the context outlives calls), and
 *   turns database failures a client can run into into the codes the design names;
 * - records the call's outcome (for /metrics) and counts the subscriptions running on this
 *   instance (the live statistics): a subscription counts from its first pull to its end.
 */
const withCall = t.middleware(async function withCall({ ctx, path, type, next }) {
  const subscription = type === 'subscription';
  const { inFlight, deps: { metrics } } = ctx;
  if (subscription ? inFlight.subscriptions >= MAX_SUBSCRIPTIONS_PER_CONNECTION : inFlight.calls >= MAX_CALLS_IN_FLIGHT_PER_CONNECTION) {
    metrics.procedureFinished({ path, type, code: 'TOO_MANY_REQUESTS' });
    throw new TRPCError({
      code: 'TOO_MANY_REQUESTS',
      message: subscription
        ? `At most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} live subscriptions per connection: stop one before starting another`
        : `At most ${MAX_CALLS_IN_FLIGHT_PER_CONNECTION} calls at once per connection: wait for answers before sending more`,
    });
  }
  if (subscription) inFlight.subscriptions += 1;
  else inFlight.calls += 1;
  let handedOver = false;
  try {
    const em: EntityManager = ctx.deps.db.em.fork();
    const result = await next({ ctx: { em } });
    const failure = result.ok ? null : databaseFailure(result.error);
    metrics.procedureFinished({ path, type, code: result.ok ? 'OK' : (failure ?? result.error).code });
    if (failure) throw failure;
    if (!subscription || !result.ok || !isAsyncIterable(result.data)) return result;
    handedOver = true;
    return { ...result, data: new LiveStream(result.data, metrics, inFlight) };
  } finally {
    // A stream handed over frees its slot when it ends (LiveStream).
    if (!handedOver) {
      if (subscription) inFlight.subscriptions -= 1;
      else inFlight.calls -= 1;
    }
  }
});

/** The code the design names for a database failure a client can run into, or null for any other error. */
function databaseFailure(error: TRPCError): TRPCError | null {
  if (error.code !== 'INTERNAL_SERVER_ERROR') return null;
  const cause = error.cause;
  if (isDatabaseUnavailable(cause)) return databaseUnavailable(cause);
  if (cause instanceof UniqueConstraintViolationException) {
    return new TRPCError({ code: 'CONFLICT', message: 'That conflicts with a concurrent change, try again', cause });
  }
  return null;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * A subscription's stream as the adapter pulls it: counted in the live statistics from its
 * first pull to its end, and holding its connection's subscription slot until it ends,
 * however it ends — done, failed, or closed (return() reaches the source, so closing it still
 * ends the original), even before its first pull. A plain iterator rather than an async
 * generator: one lives as long as each subscription, and a generator with its frame costs
 * several times more.
 */
class LiveStream implements AsyncIterableIterator<unknown>, AsyncDisposable {
  readonly #source: AsyncIterator<unknown>;
  readonly #metrics: InstanceMetrics;
  readonly #inFlight: InFlight;
  #started = false;
  #ended = false;

  constructor(stream: AsyncIterable<unknown>, metrics: InstanceMetrics, inFlight: InFlight) {
    this.#source = stream[Symbol.asyncIterator]();
    this.#metrics = metrics;
    this.#inFlight = inFlight;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<unknown>> {
    if (!this.#started && !this.#ended) {
      this.#started = true;
      this.#metrics.subscriptionStarted();
    }
    try {
      const step = await this.#source.next();
      if (step.done) this.#end();
      return step;
    } catch (error) {
      this.#end();
      // A stream that meets a database outage ends as a call would: unavailable, not a 500.
      throw isDatabaseUnavailable(error) ? databaseUnavailable(error) : error;
    }
  }

  async return(value?: unknown): Promise<IteratorResult<unknown>> {
    this.#end();
    return (await this.#source.return?.(value)) ?? { done: true, value };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#started) this.#metrics.subscriptionEnded();
    this.#inFlight.subscriptions -= 1;
  }
}

export const publicProcedure = t.procedure.use(withCall);

/** Verifies the token on every call, so a logout kills earlier tokens on open sockets too. */
export const protectedProcedure = publicProcedure.use(async function isAuthed({ ctx, next }) {
  const claims = await claimsOf(ctx);
  const user = claims ? await findUser(ctx.em, claims.userId) : null;
  // Infers the user as non-nullable for every procedure built on this one.
  return next({ ctx: { user: signedInUser(claims, user) } });
});

/** The user a token names while the token is still theirs (not revoked by a logout). */
function signedInUser(claims: TokenClaims | null, user: UserRow | null): UserRow {
  if (!claims || !user || user.tokenVersion !== claims.tokenVersion) throw notSignedIn();
  return user;
}

const notSignedIn = () => new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in again: your session is missing, expired or revoked' });

/** The presented token's claims while it is valid: its signature checked once per context. */
async function claimsOf(ctx: Context): Promise<TokenClaims | null> {
  if (!ctx.token) return null;
  const claims = ctx.verifiedTokens.get(ctx.token) ?? (await verifyToken(ctx.deps.tokens, ctx.token));
  if (!claims || claims.expiresAt <= Date.now()) return null;
  if (!ctx.verifiedTokens.has(ctx.token)) {
    ctx.verifiedTokens.clear();
    ctx.verifiedTokens.set(ctx.token, claims);
  }
  return claims;
}

// Built once: zod compiles a schema on its first parse, and building one per call made every
// member call compile it again (6 % of the server's CPU under fan-out).
const BY_ID: z.ZodType<number, { id: number }> = z.object({ id }).transform((ref) => ref.id);
const BY_CONVERSATION_ID: z.ZodType<number, { conversationId: number }> = z.object({ conversationId: id }).transform((ref) => ref.conversationId);

/**
 * Members only, of the conversation the input names (`ref`: by `id` in conversations.*, by
 * `conversationId` in messages.* and the streams, so a missing one is named as the procedure
 * spells it). A non-member gets NOT_FOUND, exactly like a conversation that does not exist,
 * so the API never confirms that a conversation exists.
 */
function membersOf(ref: z.ZodType<number>) {
  return publicProcedure.use(async function isMember({ ctx, getRawInput, next }) {
    const claims = await claimsOf(ctx);
    if (!claims) throw notSignedIn();
    const conversation = ref.safeParse(await getRawInput());
    // The token names the user: their row and their membership are read in one statement,
    // and checked in protectedProcedure's order.
    const { user, membership } = conversation.success
      ? await findCaller(ctx.em, claims.userId, conversation.data)
      : { user: await findUser(ctx.em, claims.userId), membership: null };
    const me = signedInUser(claims, user);
    if (!conversation.success) throw new TRPCError({ code: 'BAD_REQUEST', message: 'A valid conversation id is required', cause: conversation.error });
    if (!membership) throw conversationNotFound();
    return next({ ctx: { user: me, membership } });
  });
}

/** Members of the conversation `{ id }` names (conversations.get, update, markRead…). */
export const memberProcedure = membersOf(BY_ID);
/** Members of the conversation `{ conversationId }` names (messages.list and send, the conversation's streams). */
export const conversationMemberProcedure = membersOf(BY_CONVERSATION_ID);

export const adminProcedure = protectedProcedure.use(async function isAdmin({ ctx, next }) {
  if (ctx.user.role !== 'admin') throw new TRPCError({ code: 'FORBIDDEN', message: 'Admins only' });
  return next();
});
