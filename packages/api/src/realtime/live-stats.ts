/**
 * Live statistics of every running instance (docs/ARCHITECTURE.md, "Live statistics").
 * Each instance reports its figures (InstanceMetrics.snapshot) to a store every ~2 s, with
 * an expiry: in Redis when instances share one, in this process otherwise. Reading them
 * takes the other instances' latest reports and this instance's figures of right now, and
 * adds them up; an instance that died stops reporting and drops out when its report expires.
 * Nothing here touches the database.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import {
  LATENCY_BUCKETS,
  mergeHistograms,
  percentilesOf,
  type InstanceLiveStats,
  type InstanceMetrics,
  type SparseHistogram,
} from './live-metrics.ts';
import type { RedisHealth } from './redis-connection.ts';

/** The live figures summed over every running instance, with each instance's own. */
export interface LiveStats {
  generatedAt: string;
  /**
   * False when the other instances' reports could not be read (Redis unreachable): the
   * figures are then this instance's alone.
   */
  complete: boolean;
  /**
   * Every instance's figures added up, except two: onlineUsers counts distinct users online
   * anywhere (a user on two instances counts once), and latencyMs reads the percentiles of all
   * instances' last-minute deliveries together (their histograms merged).
   */
  totals: Pick<InstanceLiveStats, 'sockets' | 'onlineUsers' | 'subscriptions' | 'typingUsers' | 'messagesPerSecond' | 'latencyMs'>;
  /** Ordered by start time. */
  instances: InstanceLiveStats[];
}

/** What an instance reports: its figures and its last minute's latency histogram. */
export interface InstanceReport {
  stats: InstanceLiveStats;
  latencyHistogram: SparseHistogram;
}

/** Where instances leave their reports. `read` rejects when the store cannot be reached. */
export interface LiveStatsStore {
  report(report: InstanceReport, ttlMs: number): Promise<void>;
  read(): Promise<InstanceReport[]>;
  withdraw(instanceId: string): Promise<void>;
}

export const LIVE_STATS_REPORT_MS = 2_000;
/** A report lives this long: an instance that stops reporting is gone from the figures after it. */
export const LIVE_STATS_TTL_MS = 15_000;

/** Reports of the instances of this process (one instance, or several in a test). */
export class MemoryLiveStatsStore implements LiveStatsStore {
  readonly #reports = new Map<string, { report: InstanceReport; expiresAt: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async report(report: InstanceReport, ttlMs: number): Promise<void> {
    this.#reports.set(report.stats.id, { report, expiresAt: this.#now() + ttlMs });
  }

  async read(): Promise<InstanceReport[]> {
    const now = this.#now();
    for (const [id, entry] of this.#reports) if (entry.expiresAt <= now) this.#reports.delete(id);
    return [...this.#reports.values()].map((entry) => entry.report);
  }

  async withdraw(instanceId: string): Promise<void> {
    this.#reports.delete(instanceId);
  }
}

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const milliseconds = z.number().min(0).max(1e9).nullable();
const percentiles = z.object({ p50: milliseconds, p99: milliseconds });
const isoTime = z.string().max(40);

/** A report read back from Redis is checked, not trusted: another deployment's version may differ. */
const instanceReportSchema = z.object({
  stats: z.object({
    id: z.string().min(1).max(200),
    startedAt: isoTime,
    reportedAt: isoTime,
    uptimeSeconds: count,
    sockets: count,
    onlineUsers: count,
    subscriptions: count,
    typingUsers: count,
    messagesPerSecond: z.number().min(0).max(1e9),
    latencyMs: percentiles,
    eventLoopLagMs: percentiles,
    memory: z.object({ rssBytes: count, heapUsedBytes: count }),
  }),
  latencyHistogram: z
    .array(z.tuple([z.number().int().min(0).max(LATENCY_BUCKETS - 1), count]))
    .max(LATENCY_BUCKETS),
});

export interface RedisLiveStatsStoreOptions {
  /** A command connection; shared, not owned. */
  redis: Redis;
  health: RedisHealth;
  keyPrefix?: string;
}

/**
 * Reports in Redis: one key per instance, `<prefix>live-stats:instance:<id>` (JSON, expiring
 * with the report's TTL on Redis' clock), and the set `<prefix>live-stats:instances` of ids,
 * so reading is SMEMBERS + MGET rather than a SCAN. Ids whose key expired are removed from
 * the set when read.
 */
export class RedisLiveStatsStore implements LiveStatsStore {
  readonly #redis: Redis;
  readonly #health: RedisHealth;
  readonly #prefix: string;

  constructor(options: RedisLiveStatsStoreOptions) {
    this.#redis = options.redis;
    this.#health = options.health;
    this.#prefix = options.keyPrefix ?? 'parley:';
  }

  async report(report: InstanceReport, ttlMs: number): Promise<void> {
    const ttl = Math.max(1, Math.round(ttlMs));
    await this.#run('report', () =>
      this.#redis
        .multi()
        .set(this.#key(report.stats.id), JSON.stringify(report), 'PX', ttl)
        .sadd(this.#setKey, report.stats.id)
        // The set outlives every report by a margin, and goes when the last instance does.
        .pexpire(this.#setKey, ttl * 2)
        .exec(),
    );
  }

  async read(): Promise<InstanceReport[]> {
    const ids = await this.#run('read', () => this.#redis.smembers(this.#setKey));
    if (ids.length === 0) return [];
    const values = await this.#run('read', () => this.#redis.mget(ids.map((id) => this.#key(id))));
    const reports: InstanceReport[] = [];
    const expired: string[] = [];
    ids.forEach((id, index) => {
      const value = values[index];
      if (value === null || value === undefined) {
        expired.push(id);
        return;
      }
      const parsed = instanceReportSchema.safeParse(parseJson(value));
      if (parsed.success) reports.push(parsed.data);
    });
    if (expired.length > 0) this.#redis.srem(this.#setKey, ...expired).catch(() => undefined);
    return reports;
  }

  async withdraw(instanceId: string): Promise<void> {
    await this.#run('withdraw', () => this.#redis.multi().del(this.#key(instanceId)).srem(this.#setKey, instanceId).exec());
  }

  get #setKey(): string {
    return `${this.#prefix}live-stats:instances`;
  }

  #key(instanceId: string): string {
    return `${this.#prefix}live-stats:instance:${instanceId}`;
  }

  async #run<T>(operation: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      this.#health.commandFailed(`live stats ${operation}`, error);
      throw error;
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/** Adds up instances' reports; `onlineUsers` is the distinct count, which no sum can give. */
export function combineLiveStats(
  reports: readonly InstanceReport[],
  opts: { onlineUsers: number; complete: boolean; generatedAt: Date },
): LiveStats {
  const instances = reports
    .map((report) => report.stats)
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.id.localeCompare(b.id));
  const sum = (figure: (stats: InstanceLiveStats) => number) => instances.reduce((total, stats) => total + figure(stats), 0);
  return {
    generatedAt: opts.generatedAt.toISOString(),
    complete: opts.complete,
    totals: {
      sockets: sum((stats) => stats.sockets),
      onlineUsers: opts.onlineUsers,
      subscriptions: sum((stats) => stats.subscriptions),
      typingUsers: sum((stats) => stats.typingUsers),
      messagesPerSecond: round2(sum((stats) => stats.messagesPerSecond)),
      latencyMs: percentilesOf(mergeHistograms(reports.map((report) => report.latencyHistogram))),
    },
    instances,
  };
}

export interface LiveStatsCollectorOptions {
  metrics: InstanceMetrics;
  store: LiveStatsStore;
  /** Distinct users online on any instance (Presence.onlineCount). */
  onlineUsers: () => Promise<number>;
  /** How often this instance reports; default LIVE_STATS_REPORT_MS. */
  reportMs?: number;
  /** How long a report lives; at least twice reportMs; default LIVE_STATS_TTL_MS. */
  ttlMs?: number;
  /** A report that failed (the store reports outages itself; this is for logs). */
  onError?: (error: unknown) => void;
}

/** Reports this instance's figures every `reportMs`, and reads everyone's. */
export class LiveStatsCollector {
  /** How often reports are refreshed: admin.onStats pushes at this pace. */
  readonly reportMs: number;
  readonly #ttlMs: number;
  readonly #metrics: InstanceMetrics;
  readonly #store: LiveStatsStore;
  readonly #onlineUsers: () => Promise<number>;
  readonly #onError: (error: unknown) => void;
  readonly #timer: NodeJS.Timeout;
  #reporting: Promise<void> = Promise.resolve();
  #inFlight = false;
  #closed = false;

  constructor(options: LiveStatsCollectorOptions) {
    const reportMs = options.reportMs ?? LIVE_STATS_REPORT_MS;
    const ttlMs = options.ttlMs ?? LIVE_STATS_TTL_MS;
    if (!(reportMs > 0 && reportMs * 2 <= ttlMs)) {
      throw new Error(`live stats report interval (${reportMs} ms) must be positive and at most half the TTL (${ttlMs} ms)`);
    }
    this.reportMs = reportMs;
    this.#ttlMs = ttlMs;
    this.#metrics = options.metrics;
    this.#store = options.store;
    this.#onlineUsers = options.onlineUsers;
    this.#onError = options.onError ?? (() => undefined);
    this.#timer = setInterval(() => this.#report(), reportMs);
    // The server does not stay up for statistics alone.
    this.#timer.unref();
    this.#report();
  }

  /** Every instance's figures: this one's as of now, the others' as of their last report. */
  async current(): Promise<LiveStats> {
    const own = this.#metrics.snapshot();
    const [reports, onlineUsers] = await Promise.all([
      this.#store.read().catch(() => null),
      this.#onlineUsers().catch(() => own.stats.onlineUsers),
    ]);
    const others = (reports ?? []).filter((report) => report.stats.id !== own.stats.id);
    return combineLiveStats([own, ...others], { onlineUsers, complete: reports !== null, generatedAt: new Date() });
  }

  /** Stops reporting and withdraws this instance's report, so it leaves the figures now rather than after the TTL. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#reporting;
    await this.#store.withdraw(this.#metrics.instanceId).catch(() => undefined);
  }

  #report(): void {
    // A store slower than the interval skips a beat rather than queueing reports.
    if (this.#closed || this.#inFlight) return;
    this.#inFlight = true;
    this.#metrics.rotateEventLoopWindow();
    this.#reporting = this.#store
      .report(this.#metrics.snapshot(), this.#ttlMs)
      .catch((error: unknown) => this.#onError(error))
      .finally(() => {
        this.#inFlight = false;
      });
  }
}
