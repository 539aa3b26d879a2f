/** Shared test helpers: one API per describe block, error assertions, direct reads of the log. */
import { ConversationEventSchema, ConversationSchema, directSql, UserSchema, type Conversation, type Dialect } from '@parley/db';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, expect, vi } from 'vitest';
import { z, ZodError } from 'zod';
import { signToken } from '../src/auth/tokens.ts';
import { FieldError } from '../src/errors.ts';
import { createTestApi, type Caller, type TestApi } from './harness.ts';

/**
 * One real API on a throw-away database for the whole describe block: opening a database
 * and hashing passwords cost more than the tests themselves.
 */
export function useTestApi(dialect: Dialect, opts?: Parameters<typeof createTestApi>[1]): () => TestApi {
  let api: TestApi | undefined;
  beforeAll(async () => {
    api = await createTestApi(dialect, opts);
  });
  afterAll(async () => {
    await api?.[Symbol.asyncDispose]();
  });
  return () => {
    if (!api) throw new Error('The test API is not ready (used outside a test?)');
    return api;
  };
}

/** The TRPCError a call fails with; fails the test if it succeeds or throws anything else. */
export async function rejectionOf(call: Promise<unknown>): Promise<TRPCError> {
  let outcome: unknown;
  try {
    outcome = await call;
  } catch (error) {
    if (error instanceof TRPCError) return error;
    throw error;
  }
  throw new Error(`Expected the call to fail, but it returned ${JSON.stringify(outcome).slice(0, 300)}`);
}

/** The fields a BAD_REQUEST names, as the error formatter reports them to the client. */
export function fieldsOf(cause: unknown): string[] {
  if (cause instanceof ZodError) return Object.keys(z.flattenError(cause).fieldErrors);
  if (cause instanceof FieldError) return [cause.field];
  return [];
}

/** Asserts BAD_REQUEST with a field error on `field`. */
export async function expectFieldError(call: Promise<unknown>, field: string): Promise<void> {
  const error = await rejectionOf(call);
  expect({ code: error.code, fields: fieldsOf(error.cause) }).toEqual({
    code: 'BAD_REQUEST',
    fields: expect.arrayContaining([field]) as string[],
  });
}

/** The durable log of a conversation, read straight from the database. */
export async function eventsOf(api: TestApi, conversationId: number) {
  const events = await api.db.em
    .fork()
    .find(ConversationEventSchema, { conversation: conversationId }, { orderBy: { seq: 'asc' } });
  return events.map((event) => ({
    seq: event.seq,
    type: event.type,
    messageId: event.message?.id ?? null,
    actorId: event.actorId,
    payload: event.payload,
  }));
}

/** Counts the statements sent to the database, through MikroORM or the plain-SQL paths (still runs them). */
export async function countQueries(api: TestApi) {
  const spies = [vi.spyOn(api.db.em.getConnection(), 'execute'), vi.spyOn(await directSql(api.db.em), 'query')];
  return {
    count: () => spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0),
    [Symbol.dispose]: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

/** The conversation row as stored (counters included), bypassing the API. */
export async function conversationRow(api: TestApi, id: number): Promise<Conversation> {
  return api.db.em.fork().findOneOrFail(ConversationSchema, id);
}

/**
 * A caller with a freshly issued token for an existing user, as a login would give,
 * without paying for a password hash: for tests that need many sessions.
 */
export async function freshSession(api: TestApi, userId: number): Promise<Caller> {
  const user = await api.db.em.fork().findOneOrFail(UserSchema, userId);
  return api.as(await signToken(api.deps.tokens, { userId: user.id, tokenVersion: user.tokenVersion }));
}

/** Asymmetric matchers typed as what they stand for (Vitest types them `any`). */
export const anyNumber = expect.any(Number) as number;
export const anyString = expect.any(String) as string;

/** A conversation id no test creates (ids are 32-bit). */
export const MISSING_ID = 2 ** 31 - 1;

/** Numbered client ids for sends: `prefix-1`, `prefix-2`, … */
export function clientIds(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}-${index + 1}`);
}
