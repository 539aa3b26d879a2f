/**
 * The parts of the live statistics that need no server: the sliding minute, the latency
 * histogram and how instances' histograms merge, the stores reports go to (in process and
 * Redis), distinct online users across instances, and the counts the API itself keeps
 * (subscriptions, typing, sends) through real procedure calls.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { testDialects } from '@parley/db';
import { describe, expect, it, vi } from 'vitest';
import {
  combineLiveStats,
  InstanceMetrics,
  LiveStatsCollector,
  MemoryLiveStatsStore,
  RedisHealth,
  RedisLiveStatsStore,
  RedisPresence,
  type InstanceReport,
} from '../src/index.ts';
import { LATENCY_BUCKETS, latencyBucketOf, percentilesOf, SlidingMinute, sparse, TypingTracker } from '../src/realtime/live-metrics.ts';
import { connectRedis } from '../src/realtime/redis-connection.ts';
import { captureLogger, createTestBackends, newTestNamespace, testRedisUrl } from './backends.ts';
import { useTestApi } from './helpers.ts';

const WAIT = { timeout: 5_000, interval: 10 };

/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2026, 10, 1, 12, 0, 0)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** A histogram with `count` samples of `ms` each. */
function histogramOf(...groups: [ms: number, count: number][]): Uint32Array {
  const histogram = new Uint32Array(LATENCY_BUCKETS);
  for (const [ms, count] of groups) histogram[latencyBucketOf(ms)] = (histogram[latencyBucketOf(ms)] ?? 0) + count;
  return histogram;
}

function reportOf(id: string, figures: Partial<InstanceReport['stats']>, latency: Uint32Array = new Uint32Array(LATENCY_BUCKETS)): InstanceReport {
  return {
    stats: {
      id,
      startedAt: '2026-11-01T12:00:00.000Z',
      reportedAt: '2026-11-01T12:01:00.000Z',
      uptimeSeconds: 60,
      sockets: 0,
      onlineUsers: 0,
      subscriptions: 0,
      typingUsers: 0,
      messagesPerSecond: 0,
      latencyMs: percentilesOf(latency),
      eventLoopLagMs: { p50: 0.1, p99: 2 },
      memory: { rssBytes: 100_000_000, heapUsedBytes: 30_000_000 },
      ...figures,
    },
    latencyHistogram: sparse(latency),
  };
}

describe('the latency histogram', () => {
  it('reads any latency from 0.1 ms to a minute back within 5 %', () => {
    for (let ms = 0.11; ms < 60_000; ms *= 1.37) {
      const { p50, p99 } = percentilesOf(histogramOf([ms, 1]));
      expect(Math.abs((p50 ?? 0) - ms) / ms).toBeLessThan(0.05);
      expect(p99).toBe(p50);
    }
    expect(percentilesOf(histogramOf([0, 3])).p50).toBe(0.1);
    expect(percentilesOf(histogramOf([10 * 60_000, 1])).p50).toBeGreaterThan(60_000);
    expect(percentilesOf(new Uint32Array(LATENCY_BUCKETS))).toEqual({ p50: null, p99: null });
  });

  it('puts p50 and p99 where the samples are', () => {
    // 98 fast deliveries and 2 slow ones: the median is fast, the 99th percentile slow.
    const { p50, p99 } = percentilesOf(histogramOf([2, 98], [400, 2]));
    expect(p50).toBeCloseTo(2, 0);
    expect(p99).toBeGreaterThan(380);
    expect(p99).toBeLessThan(420);
  });
});

describe('the sliding minute', () => {
  it('counts what happened in the last 60 seconds, and forgets it after', () => {
    const clock = manualClock();
    const minute = new SlidingMinute(clock.now);
    for (let i = 0; i < 5; i++) minute.messageCommitted();
    minute.delivered(3);
    clock.advance(30_000);
    minute.messageCommitted();
    expect(minute.read().messages).toBe(6);
    clock.advance(29_999);
    expect(minute.read().messages).toBe(6);
    expect(percentilesOf(minute.read().latency).p50).toBeCloseTo(3, 0);
    // The first second leaves the window once 60 s have passed; the later one stays.
    clock.advance(1_001);
    expect(minute.read().messages).toBe(1);
    expect(percentilesOf(minute.read().latency).p50).toBeNull();
    // A slot reused a minute later starts from zero.
    clock.advance(30_000);
    minute.messageCommitted();
    expect(minute.read().messages).toBe(1);
    // Idle for an hour: nothing left.
    clock.advance(3_600_000);
    expect(minute.read()).toMatchObject({ messages: 0 });
  });

  it('gives a young instance its rate over the time it has been up, an older one over the minute', () => {
    const clock = manualClock();
    const metrics = new InstanceMetrics({ instanceId: 'young', localUsers: () => 0, typingUsers: () => 0, now: clock.now });
    try {
      clock.advance(10_000);
      for (let i = 0; i < 20; i++) metrics.messageCommitted();
      expect(metrics.snapshot().stats.messagesPerSecond).toBe(2);
      clock.advance(50_000);
      expect(metrics.snapshot().stats.messagesPerSecond).toBeCloseTo(20 / 60, 2);
      expect(metrics.snapshot().stats.uptimeSeconds).toBe(60);
    } finally {
      metrics.close();
    }
  });
});

describe('typing', () => {
  it('counts distinct users until they stop, send, or the TTL passes', () => {
    const clock = manualClock();
    const typing = new TypingTracker(clock.now);
    typing.set(1, 10, true, 6_000);
    typing.set(1, 11, true, 6_000);
    typing.set(2, 10, true, 6_000);
    expect(typing.users()).toBe(2);
    typing.set(1, 10, false, 6_000);
    expect(typing.users()).toBe(2);
    typing.set(1, 11, false, 6_000);
    expect(typing.users()).toBe(1);
    clock.advance(5_999);
    expect(typing.users()).toBe(1);
    clock.advance(1);
    expect(typing.users()).toBe(0);
  });
});

describe('adding up instances', () => {
  it('sums counts and rates, takes distinct online users as given, and merges latency histograms', () => {
    const fast = histogramOf([1, 100]);
    const slow = histogramOf([100, 100]);
    const live = combineLiveStats(
      [
        reportOf('b-instance', { startedAt: '2026-11-01T12:00:05.000Z', sockets: 12, onlineUsers: 4, subscriptions: 20, typingUsers: 1, messagesPerSecond: 0.25 }, slow),
        reportOf('a-instance', { sockets: 18, onlineUsers: 3, subscriptions: 30, typingUsers: 2, messagesPerSecond: 1.5 }, fast),
      ],
      { onlineUsers: 6, complete: true, generatedAt: new Date('2026-11-01T12:01:00.500Z') },
    );
    expect(live.generatedAt).toBe('2026-11-01T12:01:00.500Z');
    expect(live.totals).toMatchObject({ sockets: 30, onlineUsers: 6, subscriptions: 50, typingUsers: 3, messagesPerSecond: 1.75 });
    // Half the deliveries took 1 ms, half 100 ms: the merged median is the fast half's, the
    // p99 the slow half's (neither instance's own p50 nor an average of them).
    expect(live.totals.latencyMs.p50).toBeCloseTo(1, 0);
    expect(live.totals.latencyMs.p99).toBeGreaterThan(95);
    // Oldest instance first.
    expect(live.instances.map((instance) => instance.id)).toEqual(['a-instance', 'b-instance']);
  });
});

describe('the in-process store', () => {
  it('keeps a report until its TTL passes or its instance withdraws it', async () => {
    const clock = manualClock();
    const store = new MemoryLiveStatsStore(clock.now);
    await store.report(reportOf('one', {}), 1_000);
    await store.report(reportOf('two', {}), 1_000);
    clock.advance(500);
    await store.report(reportOf('one', { sockets: 3 }), 1_000);
    expect((await store.read()).map((report) => [report.stats.id, report.stats.sockets])).toEqual([
      ['one', 3],
      ['two', 0],
    ]);
    clock.advance(500);
    expect((await store.read()).map((report) => report.stats.id)).toEqual(['one']);
    await store.withdraw('one');
    expect(await store.read()).toEqual([]);
  });

  it('reports at once and on every interval, and refuses an interval longer than half the TTL', async () => {
    const store = new MemoryLiveStatsStore();
    const metrics = new InstanceMetrics({ instanceId: 'reporter', localUsers: () => 2, typingUsers: () => 0 });
    const collector = new LiveStatsCollector({ metrics, store, onlineUsers: async () => 2, reportMs: 50, ttlMs: 500 });
    try {
      await vi.waitFor(async () => expect((await store.read()).map((report) => report.stats.onlineUsers)).toEqual([2]), WAIT);
      metrics.socketOpened();
      await vi.waitFor(async () => expect((await store.read())[0]?.stats.sockets).toBe(1), WAIT);
    } finally {
      await collector.close();
      metrics.close();
    }
    expect(await store.read()).toEqual([]);
    expect(() => new LiveStatsCollector({ metrics, store, onlineUsers: async () => 0, reportMs: 300, ttlMs: 500 })).toThrow(/at most half the TTL/);
  });
});

describe.runIf(testRedisUrl())('live statistics through Redis', () => {
  it('shares reports between instances; an expired or withdrawn one is gone, and garbage is ignored', async () => {
    const namespace = newTestNamespace();
    const health = new RedisHealth(captureLogger().logger);
    const redis = await connectRedis(testRedisUrl() ?? '', 'parley-test-live-stats', health);
    try {
      const one = new RedisLiveStatsStore({ redis, health, keyPrefix: namespace });
      const two = new RedisLiveStatsStore({ redis, health, keyPrefix: namespace });
      const elsewhere = new RedisLiveStatsStore({ redis, health, keyPrefix: newTestNamespace() });
      await one.report(reportOf('one', { sockets: 18 }, histogramOf([2, 5])), 10_000);
      await two.report(reportOf('two', { sockets: 12 }), 300);
      // Another deployment's instance, and a value no instance wrote: neither is counted.
      await elsewhere.report(reportOf('other', { sockets: 99 }), 10_000);
      await redis.sadd(`${namespace}live-stats:instances`, 'broken');
      await redis.set(`${namespace}live-stats:instance:broken`, '{"stats":{"id":"broken","sockets":-1}}', 'PX', 10_000);

      const read = await one.read();
      expect(read.map((report) => [report.stats.id, report.stats.sockets]).sort()).toEqual([
        ['one', 18],
        ['two', 12],
      ]);
      expect(read.find((report) => report.stats.id === 'one')?.latencyHistogram).toEqual(sparse(histogramOf([2, 5])));

      await sleep(400);
      expect((await two.read()).map((report) => report.stats.id)).toEqual(['one']);
      // The id of the expired report is cleaned out of the set as it is read.
      await vi.waitFor(async () => expect(await redis.sismember(`${namespace}live-stats:instances`, 'two')).toBe(0), WAIT);
      await one.withdraw('one');
      expect(await two.read()).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('counts a user online on two instances once, and a dead instance’s users no longer once its claims expire', async () => {
    const namespace = newTestNamespace();
    const health = new RedisHealth(captureLogger().logger);
    await using survivor = await createTestBackends('redis', { namespace, instanceId: 'survivor' });
    const doomedConnection = await connectRedis(testRedisUrl() ?? '', 'parley-test-doomed-stats', health);
    const doomed = new RedisPresence({ redis: doomedConnection, instanceId: 'doomed', health, keyPrefix: namespace, ttlMs: 600, refreshMs: 150 });
    try {
      await survivor.presence.connected(1);
      await survivor.presence.connected(2);
      await doomed.connected(2);
      await doomed.connected(3);
      await doomed.connected(3);
      expect([survivor.presence.localUserCount(), doomed.localUserCount()]).toEqual([2, 2]);
      expect(await survivor.presence.onlineCount()).toBe(3);
      // Refreshes keep the doomed instance's users counted past one TTL.
      await sleep(900);
      expect(await survivor.presence.onlineCount()).toBe(3);

      // User 1 leaves; user 2 is still on the doomed instance.
      await survivor.presence.disconnected(1);
      await survivor.presence.disconnected(2);
      expect(await survivor.presence.onlineCount()).toBe(2);

      // The doomed instance loses Redis for good: its users drop out when its claims expire.
      doomedConnection.disconnect();
      await vi.waitFor(async () => expect(await survivor.presence.onlineCount()).toBe(0), WAIT);
    } finally {
      await doomed.close();
    }
  });
});

describe.each(testDialects())('what the API counts itself, on %s', (dialect) => {
  const getApi = useTestApi(dialect);

  it('counts a subscription from its first pull until it ends, typing until it stops, and each send once', async () => {
    const api = getApi();
    const [alice, bob] = await Promise.all([api.seedUser('counting_alice'), api.seedUser('counting_bob')]);
    const admin = await api.seedUser('counting_admin', { role: 'admin' });
    const dm = await alice.api.conversations.create({ kind: 'direct', participantIds: [bob.id] });
    const live = async () => (await admin.api.admin.stats()).live;
    const before = (await live()).totals;

    const stream = (await bob.api.inbox.onEvent())[Symbol.asyncIterator]();
    const pulled = stream.next();
    await vi.waitFor(async () => expect((await live()).totals.subscriptions).toBe(before.subscriptions + 1), WAIT);

    await alice.api.conversations.setTyping({ id: dm.id, typing: true });
    expect((await live()).totals.typingUsers).toBe(1);
    const clientId = 'counted-once';
    await alice.api.messages.send({ conversationId: dm.id, body: 'hi', clientId });
    // The send ended Alice's typing; its retry is the same message, not a second one.
    expect((await live()).totals.typingUsers).toBe(0);
    await alice.api.messages.send({ conversationId: dm.id, body: 'hi', clientId });
    expect(api.deps.metrics.messagesCommitted).toBe(1);

    await pulled;
    await stream.return?.();
    await vi.waitFor(async () => expect((await live()).totals.subscriptions).toBe(before.subscriptions), WAIT);
  });

  it('gives admin.onStats the live figures at once and ends it when the caller stops', async () => {
    const api = getApi();
    const admin = await api.seedUser('counting_admin2', { role: 'admin' });
    const stream = (await admin.api.admin.onStats())[Symbol.asyncIterator]();
    const asked = performance.now();
    const first = await stream.next();
    // At once, not after the first 2 s interval.
    expect(performance.now() - asked).toBeLessThan(api.deps.liveStats.reportMs / 2);
    expect(first.done).toBe(false);
    expect(first.value).toMatchObject({ complete: true, instances: [{ id: 'api-test' }] });
    // The next one comes after the interval.
    const second = stream.next();
    const early = await Promise.race([second.then(() => 'pushed'), sleep(api.deps.liveStats.reportMs / 2).then(() => 'waiting')]);
    expect(early).toBe('waiting');
    expect((await second).done).toBe(false);
    await stream.return?.();
  });
});
