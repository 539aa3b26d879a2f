/**
 * Guessing passwords: sign-in attempts are limited per address (whatever the username), per
 * username and address, and per username (whatever the address); and a sign-in does not tell
 * an unknown username from a wrong password, by its answer or by its time.
 *
 * On SQLite only: limits and hashing do not touch the database, and every attempt here
 * costs a real scrypt hash (~0.1–0.4 s).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { RateLimitedError } from '../src/rate-limiter.ts';
import { rejectionOf, useTestApi } from './helpers.ts';

const PASSWORD = 'brute force password';
const rule = (limit: number) => ({ limit, windowMs: 60_000 });

async function expectLimited(call: Promise<unknown>): Promise<void> {
  const error = await rejectionOf(call);
  expect({ code: error.code, retryAfter: error.cause instanceof RateLimitedError }).toEqual({ code: 'TOO_MANY_REQUESTS', retryAfter: true });
}

describe('sign-in limits', () => {
  const getApi = useTestApi('sqlite', { rateLimits: { login: rule(100), loginPerIp: rule(2), loginPerUsername: rule(2) } });

  beforeAll(async () => {
    await getApi().as(null, '10.9.9.9').auth.register({ username: 'lou', password: PASSWORD });
  });

  const loginFrom = (ip: string, username: string, password = 'a wrong guess') => getApi().as(null, ip).auth.login({ username, password });

  it('limits one address trying many usernames (password spraying), and only that address', async () => {
    for (const username of ['spray_a', 'spray_b']) {
      await expect(loginFrom('10.1.0.1', username)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    }
    await expectLimited(loginFrom('10.1.0.1', 'spray_c'));
    // Even the right password for a real account, from that address.
    await expectLimited(loginFrom('10.1.0.1', 'lou', PASSWORD));
    await expect(loginFrom('10.1.0.2', 'spray_c')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('limits guesses at one username from many addresses, and only that username', async () => {
    for (const ip of ['10.2.0.1', '10.2.0.2']) {
      await expect(loginFrom(ip, 'lou')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    }
    // A third address, with the right password: the account is resting.
    await expectLimited(loginFrom('10.2.0.3', ' LOU ', PASSWORD));
    await expect(loginFrom('10.2.0.3', 'someone_else')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});

describe('sign-in failures', () => {
  const getApi = useTestApi('sqlite');

  beforeAll(async () => {
    await getApi().signUp('tim', { password: PASSWORD });
  });

  /** How long a failing sign-in takes, in ms. */
  async function timed(username: string): Promise<number> {
    const started = performance.now();
    await expect(getApi().anonymous.auth.login({ username, password: 'not the password' })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'Invalid username or password',
    });
    return performance.now() - started;
  }

  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

  it('take as long for an unknown username as for a wrong password: both cost a scrypt hash', async () => {
    // The first unknown username also makes the stand-in hash: not measured.
    await timed('nobody_warmup');
    const unknown: number[] = [];
    const wrong: number[] = [];
    // Interleaved, so a busy moment on the machine slows both alike.
    for (let round = 0; round < 3; round++) {
      unknown.push(await timed(`nobody_${round}`));
      wrong.push(await timed('tim'));
    }
    const ratio = median(unknown) / median(wrong);
    console.info(
      `sign-in failure medians: unknown user ${median(unknown).toFixed(0)} ms, wrong password ${median(wrong).toFixed(0)} ms (ratio ${ratio.toFixed(2)})`,
    );
    // Without the stand-in hash an unknown user answers in ~1 ms against ~100+ ms: a ratio
    // under 0.05. The bounds are wide so a loaded machine cannot make this flaky.
    expect(ratio).toBeGreaterThan(1 / 3);
    expect(ratio).toBeLessThan(3);
  });
});
