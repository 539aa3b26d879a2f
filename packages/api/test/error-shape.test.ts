/**
 * What a client receives when a call fails, through tRPC's real HTTP handling (the fetch
 * adapter, in process): field errors for invalid input, when to retry for rate limits,
 * the right status, and never a stack trace.
 */
import { testDialects } from '@parley/db';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { beforeAll, describe, expect, it } from 'vitest';
import { appRouter, createContextInner, tokenFrom } from '../src/index.ts';
import type { TestUser } from './harness.ts';
import { anyString, useTestApi } from './helpers.ts';

interface WireError {
  status: number;
  body: string;
  error: {
    message: string;
    code: number;
    data: {
      code: string;
      httpStatus: number;
      path: string;
      zodError: { formErrors: string[]; fieldErrors: Record<string, string[]> } | null;
      retryAfterMs: number | null;
    };
  };
}

describe.each(testDialects())('error shape over HTTP on %s', (dialect) => {
  const getApi = useTestApi(dialect, { rateLimits: { messageSend: { limit: 1, windowMs: 60_000 } } });
  let nia: TestUser;
  let ola: TestUser;

  beforeAll(async () => {
    nia = await getApi().seedUser('nia');
    ola = await getApi().seedUser('ola');
  });

  /** POSTs a mutation, as @trpc/client's httpLink does, and returns the failure. */
  async function mutationError(path: string, input: unknown, token?: string): Promise<WireError> {
    const api = getApi();
    const response = await fetchRequestHandler({
      endpoint: '/trpc',
      router: appRouter,
      req: new Request(`http://127.0.0.1/trpc/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
        body: JSON.stringify(input),
      }),
      createContext: ({ req }) =>
        createContextInner(api.deps, { token: tokenFrom(req.headers.get('authorization') ?? undefined, undefined) }),
    });
    const body = await response.text();
    const parsed: unknown = JSON.parse(body);
    if (!parsed || typeof parsed !== 'object' || !('error' in parsed)) throw new Error(`Expected an error, got ${body}`);
    return { status: response.status, body, ...(parsed as Pick<WireError, 'error'>) };
  }

  it('sends flattened field errors for invalid input, with status 400', async () => {
    const notes = await nia.api.conversations.create({ kind: 'self' });
    const input = { conversationId: notes.id, body: '   ', clientId: 'bad id!' };
    const failure = await mutationError('messages.send', input, nia.token);
    expect(failure.status).toBe(400);
    expect(failure.error.data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, path: 'messages.send', retryAfterMs: null });
    expect(Object.keys(failure.error.data.zodError?.fieldErrors ?? {}).sort()).toEqual(['body', 'clientId']);
    expect(failure.error.data.zodError?.fieldErrors.body).toEqual(['A message cannot be empty']);
    // And in words, for an API client that shows or logs the message.
    expect(failure.error.message).toBe('body: A message cannot be empty; clientId: letters, digits, _ and - only');
  });

  it('sends field errors that a service found, in the same shape', async () => {
    const failure = await mutationError('conversations.create', { kind: 'direct', participantIds: [] }, nia.token);
    expect(failure.status).toBe(400);
    expect(failure.error.data.zodError).toEqual({ formErrors: [], fieldErrors: { participantIds: [anyString] } });
  });

  it('sends when to retry with TOO_MANY_REQUESTS, with status 429', async () => {
    const notes = await nia.api.conversations.create({ kind: 'self' });
    await nia.api.messages.send({ conversationId: notes.id, body: 'first', clientId: 'wire-1' });
    const failure = await mutationError('messages.send', { conversationId: notes.id, body: 'second', clientId: 'wire-2' }, nia.token);
    expect(failure.status).toBe(429);
    expect(failure.error.data.code).toBe('TOO_MANY_REQUESTS');
    expect(failure.error.data.retryAfterMs).toBeGreaterThan(0);
    expect(failure.error.data.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('answers 401, 404 and 403 with no stack trace and no field errors', async () => {
    const group = await nia.api.conversations.create({ kind: 'group', title: 'Wire', participantIds: [ola.id] });
    const failures = {
      401: await mutationError('auth.logout', {}),
      404: await mutationError('conversations.update', { id: group.id, title: 'Mine' }, (await getApi().seedUser('pia')).token),
      403: await mutationError('conversations.update', { id: group.id, title: 'Mine' }, ola.token),
    };
    for (const [status, failure] of Object.entries(failures)) {
      expect({ status: failure.status, zodError: failure.error.data.zodError }).toEqual({ status: Number(status), zodError: null });
      expect(failure.body).not.toMatch(/stack|\.ts:\d+/);
    }
  });
});
