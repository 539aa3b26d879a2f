import { testDialects } from '@parley/db';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS } from '../src/limits.ts';
import { MemoryRateLimitStore, RateLimitedError, RateLimiter } from '../src/rate-limiter.ts';
import type { TestUser } from './harness.ts';
import { rejectionOf, useTestApi } from './helpers.ts';

const WINDOW_MS = 60_000;
const PASSWORD = 'rate limited password';

/** Asserts TOO_MANY_REQUESTS carrying how long to wait, within the rule's window. */
async function expectRateLimited(call: Promise<unknown>, windowMs = WINDOW_MS): Promise<void> {
  const error = await rejectionOf(call);
  expect(error.code).toBe('TOO_MANY_REQUESTS');
  expect(error.cause).toBeInstanceOf(RateLimitedError);
  const retryAfterMs = error.cause instanceof RateLimitedError ? error.cause.retryAfterMs : 0;
  expect(retryAfterMs).toBeGreaterThan(0);
  expect(retryAfterMs).toBeLessThanOrEqual(windowMs);
}

describe.each(testDialects())('rate limits on %s', (dialect) => {
  const rule = (limit: number) => ({ limit, windowMs: WINDOW_MS });
  const getApi = useTestApi(dialect, {
    // Login and register at 1: every successful attempt costs a password hash.
    // Typing at its real rule: what the web app's typing throttle is built to stay within.
    rateLimits: {
      messageSend: rule(3),
      login: rule(1),
      conversationCreate: rule(2),
      register: rule(1),
      userSearch: rule(3),
      userLookup: rule(2),
      setTyping: DEFAULT_RATE_LIMITS.setTyping,
    },
  });
  let rhea: TestUser;
  let sol: TestUser;

  beforeAll(async () => {
    const api = getApi();
    rhea = await api.seedUser('rhea');
    sol = await api.seedUser('sol');
    // A real account for the login limit; it also spends the register budget of 10.0.0.9.
    await api.as(null, '10.0.0.9').auth.register({ username: 'lou', password: PASSWORD });
  });

  it('limits messages.send per user; a retry of a stored clientId is not limited', async () => {
    const notes = await rhea.api.conversations.create({ kind: 'self' });
    const send = (clientId: string) => rhea.api.messages.send({ conversationId: notes.id, body: 'hi', clientId });
    const first = await send('s-1');
    await send('s-2');
    await send('s-3');
    await expectRateLimited(send('s-4'));
    // Still limited: a rejected send does not reset anything.
    await expectRateLimited(send('s-5'));
    await expect(send('s-1')).resolves.toEqual(first);
    const history = await rhea.api.messages.list({ conversationId: notes.id });
    expect(history.items.map((m) => m.clientId)).toEqual(['s-1', 's-2', 's-3']);
    // Another user has their own budget.
    const theirs = await sol.api.conversations.create({ kind: 'self' });
    await expect(sol.api.messages.send({ conversationId: theirs.id, body: 'hi', clientId: 's-1' })).resolves.toMatchObject({
      seq: 1,
    });
  });

  it('limits users.search per user', async () => {
    const search = (user: TestUser, query: string) => user.api.users.search({ query });
    await expect(search(rhea, 'sol')).resolves.toMatchObject([{ username: 'sol' }]);
    await search(rhea, 'so');
    await search(rhea, 'zzz');
    await expectRateLimited(search(rhea, 'sol'));
    // Another user has their own budget.
    await expect(search(sol, 'rhea')).resolves.toMatchObject([{ username: 'rhea' }]);
  });

  it('limits users.byIds per user', async () => {
    const lookUp = (user: TestUser, id: number) => user.api.users.byIds({ ids: [id] });
    await expect(lookUp(rhea, sol.id)).resolves.toMatchObject([{ username: 'sol' }]);
    await lookUp(rhea, sol.id);
    await expectRateLimited(lookUp(rhea, sol.id));
    // Another user has their own budget.
    await expect(lookUp(sol, rhea.id)).resolves.toMatchObject([{ username: 'rhea' }]);
  });

  it('limits conversations.create per user, but reopening an existing DM is free', async () => {
    // sol's notes to self from the test above is the first of a budget of 2.
    const dm = await sol.api.conversations.create({ kind: 'direct', participantIds: [rhea.id] });
    await expectRateLimited(sol.api.conversations.create({ kind: 'group', title: 'One', participantIds: [rhea.id] }));
    await expect(sol.api.conversations.create({ kind: 'direct', participantIds: [rhea.id] })).resolves.toMatchObject({
      id: dm.id,
      created: false,
    });
    await expect(rhea.api.conversations.create({ kind: 'direct', participantIds: [sol.id] })).resolves.toMatchObject({
      id: dm.id,
      created: false,
    });
    // rhea has her own budget.
    await expect(rhea.api.conversations.create({ kind: 'group', title: 'Hers', participantIds: [sol.id] })).resolves.toMatchObject({
      created: true,
    });
  });

  it('limits login attempts per username and IP, right or wrong', async () => {
    const api = getApi();
    const from = (ip: string) => api.as(null, ip).auth;
    await expect(from('10.0.0.1').login({ username: 'lou', password: 'wrong password' })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    // The wrong attempt spent the budget: the right password is limited too.
    await expectRateLimited(from('10.0.0.1').login({ username: 'lou', password: PASSWORD }));
    // The key is the normalised username: another spelling is the same key.
    await expectRateLimited(from('10.0.0.1').login({ username: ' LOU ', password: PASSWORD }));
    // Another IP, or another username from the same IP, is not affected.
    await expect(from('10.0.0.2').login({ username: 'lou', password: PASSWORD })).resolves.toMatchObject({
      user: { username: 'lou' },
    });
    // (rhea's seeded account has no password, so this fails fast, but not as limited.)
    await expect(from('10.0.0.1').login({ username: 'rhea', password: PASSWORD })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });

  it('limits registrations per IP', async () => {
    const api = getApi();
    const register = (ip: string, username: string) => api.as(null, ip).auth.register({ username, password: PASSWORD });
    // 10.0.0.9 registered lou: its budget of one is spent.
    await expectRateLimited(register('10.0.0.9', 'reg_one'));
    // Invalid input is rejected before it counts.
    await expect(register('10.0.1.1', 'x')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(register('10.0.1.1', 'reg_one')).resolves.toMatchObject({ user: { username: 'reg_one' } });
    await expectRateLimited(register('10.0.1.1', 'reg_two'));
  });

  it('lets a typist start, send and start again at once, but refuses a flood of typing', async () => {
    // Reopening the DM of the tests above is free; sol has sends left, rhea has none.
    const dm = await sol.api.conversations.create({ kind: 'direct', participantIds: [rhea.id] });
    const setTyping = (user: TestUser, typing: boolean) => user.api.conversations.setTyping({ id: dm.id, typing });
    await expect(setTyping(sol, true)).resolves.toEqual({ typing: true });
    // Sending clears "typing" on the server, so the next message starts it again within a second.
    await sol.api.messages.send({ conversationId: dm.id, body: 'ok', clientId: 'typed-1' });
    await expect(setTyping(sol, true)).resolves.toEqual({ typing: true });
    const rule = DEFAULT_RATE_LIMITS.setTyping;
    for (let sent = 2; sent < rule.limit; sent++) await setTyping(sol, true);
    await expectRateLimited(setTyping(sol, true), rule.windowMs);
    // Stopping is never limited, and another member has their own budget.
    await expect(setTyping(sol, false)).resolves.toEqual({ typing: false });
    await expect(setTyping(rhea, true)).resolves.toEqual({ typing: true });
  });
});

describe('the wait a refusal names', () => {
  it('says it in seconds under a minute, in minutes under an hour, else in hours, and keeps retryAfterMs exact', async () => {
    let now = 0;
    const limiter = new RateLimiter(new MemoryRateLimitStore(() => now), () => now);
    let serial = 0;
    /** The refusal of a second hit on a rule of one per `windowMs`, `elapsedMs` after the first. */
    const refusal = async (windowMs: number, elapsedMs = 0) => {
      const key = `wait-${(serial += 1)}`;
      now = 0;
      await limiter.consume(key, { limit: 1, windowMs });
      now = elapsedMs;
      const error = await rejectionOf(limiter.consume(key, { limit: 1, windowMs }));
      return { message: error.message, retryAfterMs: error.cause instanceof RateLimitedError ? error.cause.retryAfterMs : null };
    };
    const minute = 60_000;
    const hour = 60 * minute;
    expect(await refusal(12_000)).toEqual({ message: 'Too many requests, try again in 12 s', retryAfterMs: 12_000 });
    expect((await refusal(10_000, 9_999)).message).toBe('Too many requests, try again in 1 s');
    // Rounded up: never sooner than the limit allows.
    expect((await refusal(minute, 500)).message).toBe('Too many requests, try again in 1 min');
    expect((await refusal(10 * minute, 5 * minute)).message).toBe('Too many requests, try again in 5 min');
    expect((await refusal(10 * minute, 30_000)).message).toBe('Too many requests, try again in 10 min');
    expect(await refusal(hour, 35_000)).toEqual({ message: 'Too many requests, try again in about 1 hour', retryAfterMs: 3_565_000 });
    expect((await refusal(hour)).message).toBe('Too many requests, try again in about 1 hour');
    expect((await refusal(90 * minute)).message).toBe('Too many requests, try again in about 2 hours');
    expect((await refusal(2 * hour)).message).toBe('Too many requests, try again in about 2 hours');
  });
});
