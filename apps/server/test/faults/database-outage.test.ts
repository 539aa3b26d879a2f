/**
 * Fault 4: PostgreSQL becomes unreachable for 10 s while clients send. The server sits
 * behind a TCP proxy to the database, which drops every connection and refuses new ones:
 * from the server's side that is a database that went away. Sends must fail fast with
 * SERVICE_UNAVAILABLE (no hang, no INTERNAL_SERVER_ERROR), the process must stay up and
 * say it is unhealthy, and once the database is back every retried send lands exactly once.
 */
import { createScratchDatabase, testDialects } from '@parley/db';
import { describe, expect, it, vi } from 'vitest';
import { TcpProxy, WAIT } from '../realtime/helpers.ts';
import { crowd, expectExactlyOnce, expectViewsEqual, SendLoad, ServerProcess, storedMessages, summary } from './load.ts';

const OUTAGE_MS = 10_000;
const USERS = 5;
const TABS_PER_USER = 2;
/** 20 per user, under the send limit of 30 per 10 s that main.ts applies. */
const MESSAGES_PER_CLIENT = 10;
const TOTAL = USERS * TABS_PER_USER * MESSAGES_PER_CLIENT;
/** "Fail fast": well under what a person waits before giving up on a send. */
const FAIL_FAST_MS = 3_000;

describe.runIf(testDialects().includes('postgresql'))('PostgreSQL unreachable for 10 s under load', () => {
  it('fails sends fast with SERVICE_UNAVAILABLE, stays up, and lands every retry exactly once', { timeout: 90_000 }, async () => {
    const scratch = await createScratchDatabase('postgresql');
    const direct = new URL(scratch.target.location);
    await using proxy = await TcpProxy.start(Number(direct.port));
    const viaProxy = new URL(direct);
    viaProxy.port = String(proxy.port);
    try {
      await using server = await ServerProcess.start(viaProxy.toString());
      await using people = await crowd(server, { name: 'outage', users: USERS, tabsPerUser: TABS_PER_USER });
      const { clients, streams } = people;

      const load = new SendLoad(people.groupId, { retryDelayMs: 250 });
      const sending = load.run(clients, MESSAGES_PER_CLIENT);
      await load.acknowledgedAtLeast(TOTAL / 4);

      // The database goes away: open connections die, new ones are refused.
      proxy.route(null);
      proxy.dropAll();
      const outageStarted = performance.now();
      const attemptsBefore = load.attempts.length;
      const acknowledgedAtOutage = load.acknowledged.size;
      const health: number[] = [];
      while (performance.now() - outageStarted < OUTAGE_MS) {
        health.push((await fetch(`${server.url}/healthz`)).status);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      const duringOutage = load.attempts.slice(attemptsBefore);
      const acknowledgedInOutage = load.acknowledged.size - acknowledgedAtOutage;
      proxy.route(Number(direct.port));
      await sending;

      // During the outage: clients were told, quickly, that the service is unavailable.
      const failed = duringOutage.filter((attempt) => attempt.code !== null);
      expect(failed.length).toBeGreaterThan(10);
      expect(new Set(failed.map((attempt) => attempt.code))).toEqual(new Set(['SERVICE_UNAVAILABLE']));
      expect(summary(failed.map((attempt) => attempt.ms)).max).toBeLessThan(FAIL_FAST_MS);
      // A commit under way when the connections died may have been acknowledged; nothing later.
      expect(acknowledgedInOutage).toBeLessThanOrEqual(clients.length);
      // The process stayed up and told the load balancer it is unhealthy, then healthy again.
      expect(server.running).toBe(true);
      expect(health.slice(1).every((status) => status === 503)).toBe(true);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect(Object.keys(load.failuresByCode()).every((code) => code === 'SERVICE_UNAVAILABLE')).toBe(true);

      expect(load.acknowledged.size).toBe(TOTAL);
      // Each stream saw every message and is still open (an error names its code here).
      await vi.waitFor(
        () =>
          expect(streams.map((stream) => ({ seen: stream.items.length, error: stream.errorCode, ended: stream.completed }))).toEqual(
            streams.map(() => ({ seen: TOTAL, error: undefined, ended: false })),
          ),
        WAIT,
      );
      const stored = await storedMessages(scratch.target, people.groupId);
      expectExactlyOnce(stored, load);
      expectViewsEqual(streams, stored);
      console.info(
        `database outage: ${TOTAL} messages, ${load.attempts.length} send attempts, failures by code ${JSON.stringify(load.failuresByCode())}, ` +
          `failed-attempt latency during the outage ${JSON.stringify(summary(failed.map((attempt) => attempt.ms)))} ms, ` +
          `${load.acknowledged.size} acknowledged, ${stored.length} stored, ${streams.length} clients each saw ${TOTAL}`,
      );
    } finally {
      await scratch.drop();
    }
  });
});
