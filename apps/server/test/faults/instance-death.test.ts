/**
 * Fault 2: three instances share PostgreSQL and Redis behind a round-robin balancer; one is
 * SIGKILLed while 30 clients send. Its clients reconnect through the balancer to the other
 * two and resume their streams from their lastEventId: no gap, no duplicate, nothing
 * acknowledged lost.
 */
import { createScratchDatabase } from '@parley/db';
import { describe, expect, it, vi } from 'vitest';
import { newNamespace, scaleOutAvailable, TcpProxy, testRedisUrl, WAIT } from '../realtime/helpers.ts';
import { crowd, expectExactlyOnce, expectViewsEqual, SendLoad, startProcesses, storedMessages } from './load.ts';

if (!scaleOutAvailable() && process.env.CI) {
  throw new Error('CI must run the scale-out fault tests: set PARLEY_TEST_POSTGRES_URL and PARLEY_TEST_REDIS_URL');
}

const USERS = 6;
const TABS_PER_USER = 5;
/** 20 per user: under the send limit of 30 per 10 s (kept in Redis, shared by the instances). */
const MESSAGES_PER_CLIENT = 4;
const TOTAL = USERS * TABS_PER_USER * MESSAGES_PER_CLIENT;

describe.runIf(scaleOutAvailable())('one of three instances killed under load', () => {
  it('moves its clients to the others, which resume with no gap and lose nothing', { timeout: 120_000 }, async () => {
    const scratch = await createScratchDatabase('postgresql');
    const env = { REDIS_URL: testRedisUrl() ?? '', REDIS_PREFIX: newNamespace() };
    try {
      await using deployment = await startProcesses(3, scratch.target.location, env);
      const { servers } = deployment;
      const [first, victim, third] = servers;
      if (!first || !victim || !third) throw new Error('three instances expected');
      await using balancer = await TcpProxy.start(servers.map((server) => server.port));

      // Round robin: a third of the clients land on each instance.
      await using people = await crowd(first, { name: 'killed', users: USERS, tabsPerUser: TABS_PER_USER, wsUrl: balancer.wsUrl });
      const { clients, streams } = people;

      const load = new SendLoad(people.groupId);
      const sending = load.run(clients, MESSAGES_PER_CLIENT);
      await load.acknowledgedAtLeast(TOTAL / 4);
      await victim.kill('SIGKILL');
      // The balancer's health check takes it out of rotation.
      balancer.route([first.port, third.port]);
      const acknowledgedAtKill = load.acknowledged.size;
      await sending;

      expect(acknowledgedAtKill).toBeLessThan(TOTAL);
      expect(load.acknowledged.size).toBe(TOTAL);
      await vi.waitFor(() => expect(streams.map((stream) => stream.items.length)).toEqual(streams.map(() => TOTAL)), WAIT);
      // The victim's clients (a third) reconnected elsewhere and resumed; nobody saw an error.
      const resumed = streams.filter((stream) => stream.started >= 2).length;
      expect(resumed).toBe(clients.length / 3);
      expect(streams.flatMap((stream) => stream.errors)).toEqual([]);

      const stored = await storedMessages(scratch.target, people.groupId);
      expectExactlyOnce(stored, load);
      expectViewsEqual(streams, stored);
      console.info(
        `instance killed: ${clients.length} clients over 3 instances, ${resumed} resumed elsewhere; ${TOTAL} messages, ` +
          `${load.attempts.length} send attempts, failures by code ${JSON.stringify(load.failuresByCode())}, ` +
          `${load.acknowledged.size} acknowledged (${acknowledgedAtKill} before the kill), ${stored.length} stored, every client saw ${TOTAL}`,
      );
    } finally {
      await scratch.drop();
    }
  });
});
