/**
 * Fault 1: a crash under load. The real entry point (src/main.ts) as its own process,
 * SIGKILLed while 50 clients send, then started again on the same port and database.
 * Clients retry what was not acknowledged with the same clientId and resume their streams
 * from their lastEventId. Nothing acknowledged may be lost, nothing may be stored twice,
 * and every client must end up seeing exactly what the database holds.
 */
import { createScratchDatabase, testDialects } from '@parley/db';
import { describe, expect, it, vi } from 'vitest';
import { WAIT } from '../realtime/helpers.ts';
import { crowd, databaseUrl, expectExactlyOnce, expectViewsEqual, SendLoad, ServerProcess, storedMessages } from './load.ts';

const USERS = 10;
/** Five tabs per user: 50 clients sending at once. */
const TABS_PER_USER = 5;
const MESSAGES_PER_CLIENT = 4;
const TOTAL = USERS * TABS_PER_USER * MESSAGES_PER_CLIENT;

// Both databases at once: most of the time is spent waiting on processes and sockets.
describe.each(testDialects())('a server killed while 50 clients send (%s)', { concurrent: true }, (dialect) => {
  it('keeps every acknowledged message exactly once, and every client’s view equals the database', { timeout: 90_000 }, async () => {
    const scratch = await createScratchDatabase(dialect);
    try {
      // 50 tabs from one address reconnect at once after the crash: more than the per-address
      // upgrade limit allows in 10 s (people behind one NAT would set TRUST_PROXY instead).
      await using server = await ServerProcess.start(databaseUrl(scratch.target), { RATE_LIMIT_SCALE: '10' });
      await using senders = await crowd(server, { name: 'sender', users: USERS, tabsPerUser: TABS_PER_USER });
      const { clients, streams } = senders;

      const load = new SendLoad(senders.groupId, { retryDelayMs: 50 });
      const sending = load.run(clients, MESSAGES_PER_CLIENT);
      // Mid-way, the process dies without any chance to clean up, and comes back.
      await load.acknowledgedAtLeast(TOTAL / 4, 30_000);
      await server.kill('SIGKILL');
      const acknowledgedBeforeCrash = load.acknowledged.size;
      const restartStarted = performance.now();
      await server.restart();
      const downMs = Math.round(performance.now() - restartStarted);
      await sending;

      // The crash was felt: sends failed and were retried, every stream was resumed.
      expect(acknowledgedBeforeCrash).toBeLessThan(TOTAL);
      expect(load.attempts.length).toBeGreaterThan(TOTAL);
      expect(load.acknowledged.size).toBe(TOTAL);
      await vi.waitFor(() => expect(streams.map((stream) => stream.items.length)).toEqual(streams.map(() => TOTAL)), WAIT);
      for (const stream of streams) {
        expect(stream.started).toBeGreaterThanOrEqual(2);
        expect(stream.errors).toEqual([]);
      }
      await senders[Symbol.asyncDispose]();
      await server.kill('SIGTERM');

      const stored = await storedMessages(scratch.target, senders.groupId);
      expectExactlyOnce(stored, load);
      expectViewsEqual(streams, stored);
      console.info(
        `SIGKILL (${dialect}): ${clients.length} clients; ${TOTAL} messages, ${load.attempts.length} send attempts, ` +
          `failures by code ${JSON.stringify(load.failuresByCode())}, ${load.acknowledged.size} acknowledged (${acknowledgedBeforeCrash} before the kill), down for ${downMs} ms, ` +
          `${stored.length} stored, every client saw ${TOTAL}`,
      );
    } finally {
      await scratch.drop();
    }
  });
});
