/**
 * The live statistics an admin sees (admin.stats, admin.onStats) follow what really
 * happens on the servers: real sockets opened and closed across two instances, typing,
 * subscriptions, sends and their delivery, and an instance that dies.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRealtimeBackends, type LiveStats, type RealtimeLogger } from '@parley/api';
import { createScratchDatabase, type ScratchDatabase } from '@parley/db';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type SocketClient } from '../harness.ts';
import {
  GENEROUS_LIMITS,
  newClientId,
  newNamespace,
  realtimeSetups,
  scaleOutAvailable,
  testRedisUrl,
  WAIT,
  watchConversation,
  watchInbox,
  watchTyping,
  type Instance,
  type RealtimeSetup,
  type Recorder,
} from './helpers.ts';

/** Reports every 200 ms that live 1.5 s: a stopped instance must leave in seconds, not the default 15. */
const REPORT_MS = 200;
const REPORT_TTL_MS = 1_500;
const TYPING_TTL_MS = 1_000;
const ADMIN = 'stats_admin';

const quietLogger: RealtimeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A server whose live figures are reported at the test's pace, with ADMIN as an admin. */
async function startStatsInstance(setup: RealtimeSetup, database: ScratchDatabase, namespace: string): Promise<Instance> {
  const realtime = await createRealtimeBackends({
    redisUrl: setup.bus === 'redis' ? testRedisUrl() : undefined,
    logger: quietLogger,
    redisPrefix: namespace,
    liveStatsReportMs: REPORT_MS,
    liveStatsTtlMs: REPORT_TTL_MS,
  });
  try {
    const t = await startTestServer(setup.dialect, {
      database,
      env: { PARLEY_ADMINS: ADMIN },
      start: { realtime, rateLimits: GENEROUS_LIMITS, typingTtlMs: TYPING_TTL_MS },
    });
    return Object.assign(t, { realtime });
  } catch (error) {
    await realtime.close();
    throw error;
  }
}

/** Waits (bounded) until every socket has reported closing, then closes them all. */
async function closeAll(sockets: SocketClient[]): Promise<void> {
  await Promise.all(sockets.map((socket) => socket.close()));
}

const byId = (live: LiveStats, id: string) => live.instances.find((instance) => instance.id === id);

describe.runIf(scaleOutAvailable())('live statistics across two instances (PostgreSQL, Redis)', () => {
  const setup: RealtimeSetup = { name: 'PostgreSQL, Redis', dialect: 'postgresql', bus: 'redis' };
  let database: ScratchDatabase;
  let namespace: string;
  let a: Instance;
  let b: Instance;
  let adminToken: string;

  beforeAll(async () => {
    database = await createScratchDatabase(setup.dialect);
    namespace = newNamespace();
    a = await startStatsInstance(setup, database, namespace);
    b = await startStatsInstance(setup, database, namespace);
    adminToken = (await a.signUp(ADMIN)).token;
  });
  afterAll(async () => {
    await a[Symbol.asyncDispose]();
    await b[Symbol.asyncDispose]();
    await database.drop();
  });

  const stats = async () => (await a.http(adminToken).admin.stats.query()).live;

  it('counts 30 sockets split 18 + 12 over the instances, users online once however many instances they use, and 0 after they close', async () => {
    const users = await Promise.all(Array.from({ length: 6 }, (_, n) => a.signUp(`split_${n}`)));
    // Users 0–2 have six tabs each on A (18 sockets); users 2–5 three tabs each on B (12).
    // User 2 is on both instances: 3 + 4 online per instance, 6 distinct in all.
    const tabs = (instance: Instance, from: number, to: number, each: number) =>
      users.slice(from, to + 1).flatMap((user) => Array.from({ length: each }, () => instance.socket(user.token)));
    const onA = tabs(a, 0, 2, 6);
    const onB = tabs(b, 2, 5, 3);
    expect([onA.length, onB.length]).toEqual([18, 12]);

    await vi.waitFor(async () => {
      const live = await stats();
      expect(live.complete).toBe(true);
      expect(live.totals).toMatchObject({ sockets: 30, onlineUsers: 6 });
      expect(byId(live, a.realtime.instanceId)).toMatchObject({ sockets: 18, onlineUsers: 3 });
      expect(byId(live, b.realtime.instanceId)).toMatchObject({ sockets: 12, onlineUsers: 4 });
      // Nothing else reports into this deployment's namespace.
      expect(live.instances).toHaveLength(2);
    }, WAIT);

    await closeAll([...onA, ...onB]);
    await vi.waitFor(async () => {
      const live = await stats();
      expect(live.totals).toMatchObject({ sockets: 0, onlineUsers: 0 });
      expect(live.instances.map((instance) => [instance.sockets, instance.onlineUsers])).toEqual([
        [0, 0],
        [0, 0],
      ]);
    }, WAIT);
  });

  it('merges the latency of deliveries on both instances and adds up their message rates', async () => {
    const [sender, reader] = await Promise.all([a.signUp('rate_sender'), b.signUp('rate_reader')]);
    const dm = await a.http(sender.token).conversations.create.mutate({ kind: 'direct', participantIds: [reader.id] });
    await using readerTab = b.socket(reader.token);
    await using senderTab = a.socket(sender.token);
    using onB = watchConversation(readerTab.api, dm.id);
    using onA = watchConversation(senderTab.api, dm.id);
    await vi.waitFor(() => expect([onA.started, onB.started]).toEqual([1, 1]), WAIT);

    for (let n = 0; n < 6; n++) {
      await b.http(reader.token).messages.send.mutate({ conversationId: dm.id, body: `from B ${n}`, clientId: newClientId() });
      await a.http(sender.token).messages.send.mutate({ conversationId: dm.id, body: `from A ${n}`, clientId: newClientId() });
    }
    await vi.waitFor(() => expect([onA.items.length, onB.items.length]).toEqual([12, 12]), WAIT);

    await vi.waitFor(async () => {
      const live = await stats();
      const [first, second] = [byId(live, a.realtime.instanceId), byId(live, b.realtime.instanceId)];
      // Each instance committed six sends and handed twelve created events to its subscriber.
      for (const instance of [first, second]) {
        expect(instance?.messagesPerSecond).toBeGreaterThan(0);
        expect(instance?.latencyMs.p50).not.toBeNull();
      }
      expect(live.totals.messagesPerSecond).toBeCloseTo((first?.messagesPerSecond ?? 0) + (second?.messagesPerSecond ?? 0), 2);
      const { p50, p99 } = live.totals.latencyMs;
      expect(p50).not.toBeNull();
      expect(p99 ?? 0).toBeGreaterThanOrEqual(p50 ?? Infinity);
      // Merged, not averaged: the total's p99 is no lower than the slower instance's median.
      expect(p99 ?? 0).toBeGreaterThanOrEqual(Math.max(first?.latencyMs.p50 ?? 0, second?.latencyMs.p50 ?? 0));
    }, WAIT);
  });

  it('drops an instance that stopped gracefully at once, and one that was killed once its report expires', async () => {
    const third = await startStatsInstance(setup, database, namespace);
    await vi.waitFor(async () => expect((await stats()).instances).toHaveLength(3), WAIT);
    await third[Symbol.asyncDispose]();
    // A graceful stop withdraws its report: gone on the very next read.
    expect((await stats()).instances.map((instance) => instance.id).sort()).toEqual(
      [a.realtime.instanceId, b.realtime.instanceId].sort(),
    );

    // A process that reports into the same deployment, then dies without a word (SIGKILL).
    const child = spawn(process.execPath, [REPORTER, testRedisUrl() ?? '', namespace, String(REPORT_MS), String(REPORT_TTL_MS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const instanceId = await new Promise<string>((resolve, reject) => {
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const line = output.split('\n').find((text) => text.startsWith('{'));
          if (line) resolve((JSON.parse(line) as { instanceId: string }).instanceId);
        });
        child.once('exit', (code) => reject(new Error(`the reporter exited (${code}) before reporting`)));
      });
      await vi.waitFor(async () => expect(byId(await stats(), instanceId)).toBeDefined(), WAIT);

      child.kill('SIGKILL');
      await exited;
      const killedAt = performance.now();
      await vi.waitFor(async () => expect(byId(await stats(), instanceId)).toBeUndefined(), WAIT);
      // Gone once its last report expired: within the 1.5 s TTL (the default would be 15 s), with slack for a busy machine.
      expect(performance.now() - killedAt).toBeLessThan(REPORT_TTL_MS + 2_500);
      expect((await stats()).instances).toHaveLength(2);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });
});

const REPORTER = fileURLToPath(new URL('../fixtures/live-stats-reporter.ts', import.meta.url));

describe.each(realtimeSetups())('live statistics of one instance ($name)', { concurrent: true }, (setup) => {
  let database: ScratchDatabase;
  let t: Instance;
  let adminToken: string;

  beforeAll(async () => {
    database = await createScratchDatabase(setup.dialect);
    t = await startStatsInstance(setup, database, newNamespace());
    adminToken = (await t.signUp(ADMIN)).token;
  });
  afterAll(async () => {
    await t?.[Symbol.asyncDispose]();
    await database?.drop();
  });

  const totals = async () => (await t.http(adminToken).admin.stats.query()).live.totals;

  it('follows subscriptions, typing, sends and their deliveries', { concurrent: false }, async () => {
    const [alice, bob] = await Promise.all([t.signUp('live_alice'), t.signUp('live_bob')]);
    const dm = await t.http(alice.token).conversations.create.mutate({ kind: 'direct', participantIds: [bob.id] });
    expect(await totals()).toMatchObject({ subscriptions: 0, typingUsers: 0, messagesPerSecond: 0, latencyMs: { p50: null, p99: null } });

    await using aliceTab = t.socket(alice.token);
    await using bobTab = t.socket(bob.token);
    const streams: Recorder<unknown>[] = [watchConversation(bobTab.api, dm.id), watchTyping(bobTab.api, dm.id), watchInbox(aliceTab.api)];
    await vi.waitFor(() => expect(streams.map((stream) => stream.started)).toEqual([1, 1, 1]), WAIT);
    await vi.waitFor(async () => expect(await totals()).toMatchObject({ sockets: 2, onlineUsers: 2, subscriptions: 3 }), WAIT);

    // Typing: on with setTyping(true); off with setTyping(false), with a send, and by itself after the TTL.
    const typing = (value: boolean) => aliceTab.api.conversations.setTyping.mutate({ id: dm.id, typing: value });
    const send = (body: string) => aliceTab.api.messages.send.mutate({ conversationId: dm.id, body, clientId: newClientId() });
    await typing(true);
    expect((await totals()).typingUsers).toBe(1);
    await typing(false);
    expect((await totals()).typingUsers).toBe(0);
    await typing(true);
    await send('typed it');
    expect((await totals()).typingUsers).toBe(0);
    await typing(true);
    expect((await totals()).typingUsers).toBe(1);
    await vi.waitFor(async () => expect((await totals()).typingUsers).toBe(0), { ...WAIT, timeout: TYPING_TTL_MS * 3 });

    for (let n = 0; n < 9; n++) await send(`message ${n}`);
    const [bobEvents] = streams;
    await vi.waitFor(() => expect(bobEvents?.items).toHaveLength(10), WAIT);
    const after = await totals();
    // Ten messages within the instance's first minute: the rate is over the time it has been up.
    expect(after.messagesPerSecond).toBeGreaterThan(0);
    expect(after.messagesPerSecond).toBeLessThanOrEqual(10);
    expect(after.latencyMs.p50).toBeGreaterThanOrEqual(0);
    expect(after.latencyMs.p99).toBeGreaterThanOrEqual(after.latencyMs.p50 ?? Infinity);
    // Milliseconds, not seconds or a clock mix-up: delivered on one machine, on loopback (bound generous for a busy CI machine).
    expect(after.latencyMs.p99).toBeLessThan(5_000);

    for (const stream of streams) stream.unsubscribe();
    await vi.waitFor(async () => expect((await totals()).subscriptions).toBe(0), WAIT);
  });

  it('pushes the live figures with admin.onStats at once and then every report interval, until the admin leaves', { concurrent: false }, async () => {
    const [carol] = await Promise.all([t.signUp('push_carol')]);
    await using adminTab = t.socket(adminToken);
    const pushes: { at: number; live: LiveStats }[] = [];
    const subscription = adminTab.api.admin.onStats.subscribe(undefined, {
      onData: (live) => pushes.push({ at: performance.now(), live }),
    });
    try {
      await vi.waitFor(() => expect(pushes.length).toBeGreaterThanOrEqual(1), WAIT);
      // The admin's own socket and subscription are part of what it sees (once the previous test's sockets are gone).
      await vi.waitFor(() => expect(pushes.at(-1)?.live.totals).toMatchObject({ sockets: 1, subscriptions: 1 }), WAIT);

      // Carol connects: a later push shows her, without asking again.
      await using carolTab = t.socket(carol.token);
      await vi.waitFor(() => expect(pushes.at(-1)?.live.totals).toMatchObject({ sockets: 2, onlineUsers: 2 }), WAIT);
      await carolTab.close();
      await vi.waitFor(() => expect(pushes.at(-1)?.live.totals).toMatchObject({ sockets: 1, onlineUsers: 1 }), WAIT);

      const count = pushes.length;
      await vi.waitFor(() => expect(pushes.length).toBeGreaterThanOrEqual(count + 3), WAIT);
      // Paced by the report interval on the server, not a busy loop (the client may receive two at once when busy).
      const times = pushes.map((push) => Date.parse(push.live.generatedAt));
      const gaps = times.slice(1).map((time, i) => time - (times[i] ?? 0));
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(REPORT_MS - 5);
    } finally {
      subscription.unsubscribe();
    }
    const stopped = pushes.length;
    // The admin left: its subscription ends on the server and nothing more arrives.
    await vi.waitFor(async () => expect((await totals()).subscriptions).toBe(0), WAIT);
    await new Promise((resolve) => setTimeout(resolve, REPORT_MS * 3));
    expect(pushes.length).toBe(stopped);
  });
});
