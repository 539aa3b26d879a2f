/**
 * Fault 3: Redis restarts under load. Two instances share PostgreSQL and a Redis of the
 * test's own (so restarting it disturbs no other test). While Redis is gone, live delivery
 * between instances pauses; when it returns, every stream repairs the gap from the
 * database: each client ends up with exactly what the database holds, and every
 * acknowledged send is stored once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { createScratchDatabase, testDialects } from '@parley/db';
import { describe, expect, it, vi } from 'vitest';
import { newNamespace, TcpProxy, WAIT } from '../realtime/helpers.ts';
import { crowd, expectExactlyOnce, expectViewsEqual, freePort, SendLoad, startProcesses, storedMessages } from './load.ts';

const USERS = 5;
const TABS_PER_USER = 4;
const MESSAGES_PER_CLIENT = 5;
const TOTAL = USERS * TABS_PER_USER * MESSAGES_PER_CLIENT;
const REDIS_DOWN_MS = 3_000;

/** A throw-away redis-server on a fixed port, so it can come back where the instances expect it. */
class RedisProcess {
  readonly port: number;
  #child: ChildProcess | null = null;

  constructor(port: number) {
    this.port = port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.#child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    while (!(await this.#answers())) {
      if (Date.now() > deadline) throw new Error('redis-server did not start');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  #answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(this.port, '127.0.0.1');
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
    });
  }
}

const redisInstalled = await new Promise<boolean>((resolve) => {
  const probe = spawn('redis-server', ['--version'], { stdio: 'ignore' });
  probe.once('error', () => resolve(false));
  probe.once('exit', (code) => resolve(code === 0));
});
const runnable = redisInstalled && testDialects().includes('postgresql');
if (!runnable && process.env.CI) throw new Error('CI must run the Redis restart test: it needs redis-server and PostgreSQL');

describe.runIf(runnable)('Redis restarted under load', () => {
  it('pauses live delivery, then repairs every gap from the database', { timeout: 120_000 }, async () => {
    const redis = new RedisProcess(await freePort());
    await redis.start();
    const scratch = await createScratchDatabase('postgresql');
    try {
      await using deployment = await startProcesses(2, scratch.target.location, { REDIS_URL: redis.url, REDIS_PREFIX: newNamespace() });
      const [first, second] = deployment.servers;
      if (!first || !second) throw new Error('two instances expected');
      await using balancer = await TcpProxy.start([first.port, second.port]);

      await using people = await crowd(first, { name: 'redis', users: USERS, tabsPerUser: TABS_PER_USER, wsUrl: balancer.wsUrl });
      const { clients, streams } = people;

      const load = new SendLoad(people.groupId, { retryDelayMs: 250 });
      const sending = load.run(clients, MESSAGES_PER_CLIENT);
      await load.acknowledgedAtLeast(TOTAL / 4);
      await redis.kill();
      const acknowledgedAtKill = load.acknowledged.size;
      await new Promise((resolve) => setTimeout(resolve, REDIS_DOWN_MS));
      const acknowledgedWhileDown = load.acknowledged.size - acknowledgedAtKill;
      await redis.start();
      await sending;

      // Redis going away is not a crash: both instances kept serving.
      expect([first.running, second.running]).toEqual([true, true]);
      expect(load.acknowledged.size).toBe(TOTAL);
      await vi.waitFor(() => expect(streams.map((stream) => stream.items.length)).toEqual(streams.map(() => TOTAL)), WAIT);
      expect(streams.flatMap((stream) => stream.errors)).toEqual([]);
      const stored = await storedMessages(scratch.target, people.groupId);
      expectExactlyOnce(stored, load);
      expectViewsEqual(streams, stored);
      console.info(
        `redis restart: ${clients.length} clients over 2 instances; ${TOTAL} messages, ${load.attempts.length} send attempts, ` +
          `failures by code ${JSON.stringify(load.failuresByCode())}, ${acknowledgedWhileDown} acknowledged while Redis was down, ` +
          `${load.acknowledged.size} acknowledged, ${stored.length} stored, every client saw ${TOTAL}`,
      );
    } finally {
      await scratch.drop();
      await redis.kill();
    }
  });
});
