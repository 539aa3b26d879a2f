/**
 * Chooses where live state lives: in this process (no REDIS_URL; one instance), or in
 * Redis, shared by every instance (fan-out over pub/sub, presence and rate-limit counters
 * in keys with TTLs). The rest of the API sees only the interfaces.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { MemoryRateLimitStore, type RateLimitStore } from '../rate-limiter.ts';
import { LocalEventBus, type EventBus } from './bus.ts';
import { InstanceMetrics } from './live-metrics.ts';
import { LiveStatsCollector, MemoryLiveStatsStore, RedisLiveStatsStore, type LiveStatsStore } from './live-stats.ts';
import { LocalPresence, type Presence } from './presence.ts';
import { RedisEventBus } from './redis-bus.ts';
import {
  closeRedis,
  connectRedis,
  redactRedisUrl,
  RedisHealth,
  type RealtimeLogger,
  type RedisConnectionOptions,
} from './redis-connection.ts';
import { RedisPresence } from './redis-presence.ts';
import { RedisRateLimitStore } from './redis-rate-limit.ts';

export type { RealtimeLogger };

export interface RealtimeBackends {
  kind: 'local' | 'redis';
  /** This instance's name in Redis (presence members, connection names). */
  instanceId: string;
  bus: EventBus;
  presence: Presence;
  rateLimitStore: RateLimitStore;
  /** This instance's live figures (sockets, subscriptions, messages, latency…). */
  metrics: InstanceMetrics;
  /** Reports them every ~2 s and reads every instance's (admin.stats, admin.onStats). */
  liveStats: LiveStatsCollector;
  /** Withdraws this instance's presence and live figures and closes every connection. */
  close(): Promise<void>;
}

export interface RealtimeBackendsOptions {
  /** redis:// or rediss:// URL; without it everything runs in this process. */
  redisUrl?: string;
  logger: RealtimeLogger;
  /** Unique per running instance; generated when absent. */
  instanceId?: string;
  /** Namespaces every Redis key and channel, so several deployments (or test files) can share one Redis. */
  redisPrefix?: string;
  presenceTtlMs?: number;
  presenceRefreshMs?: number;
  /** How often this instance reports its live figures (default 2 s) and how long a report lives (default 15 s). */
  liveStatsReportMs?: number;
  liveStatsTtlMs?: number;
  /** Timeouts and reconnection backoff of the Redis connections. */
  redisConnection?: RedisConnectionOptions;
}

/**
 * Builds the backends. With a Redis URL it connects at once and rejects with a clear error
 * when Redis is unreachable, so a misconfigured instance fails at start, not at first use.
 */
export async function createRealtimeBackends(options: RealtimeBackendsOptions): Promise<RealtimeBackends> {
  const { redisUrl, logger } = options;
  const instanceId = options.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;

  if (!redisUrl) {
    const bus = new LocalEventBus({ onListenerError: (error) => logger.error({ error }, 'An event bus listener threw') });
    return assemble(options, instanceId, {
      kind: 'local',
      bus,
      presence: new LocalPresence(),
      rateLimitStore: new MemoryRateLimitStore(),
      liveStatsStore: new MemoryLiveStatsStore(),
    });
  }

  if (!/^rediss?:\/\//.test(redisUrl)) {
    throw new Error(`Redis URL must start with redis:// or rediss://, got ${redactRedisUrl(redisUrl)}`);
  }
  const prefix = options.redisPrefix ?? 'parley:';
  // CLIENT SETNAME accepts no spaces; hostnames rarely have any, but be sure.
  const connectionName = `parley:${instanceId}`.replace(/[^\w.:-]/g, '_');
  const health = new RedisHealth(logger);
  const commands = await connectRedis(redisUrl, `${connectionName}:commands`, health, options.redisConnection);
  let bus: RedisEventBus;
  try {
    bus = await RedisEventBus.connect({
      ...options.redisConnection,
      url: redisUrl,
      logger,
      channelPrefix: prefix,
      connectionName,
      health,
    });
  } catch (error) {
    await closeRedis(commands);
    throw error;
  }
  const presence = new RedisPresence({
    redis: commands,
    instanceId,
    health,
    keyPrefix: prefix,
    ttlMs: options.presenceTtlMs,
    refreshMs: options.presenceRefreshMs,
  });
  logger.info({ redis: redactRedisUrl(redisUrl), instanceId }, 'Realtime backends: Redis (shared by every instance)');
  return assemble(options, instanceId, {
    kind: 'redis',
    bus,
    presence,
    rateLimitStore: new RedisRateLimitStore({ redis: commands, health, keyPrefix: prefix }),
    liveStatsStore: new RedisLiveStatsStore({ redis: commands, health, keyPrefix: prefix }),
    closeConnections: () => closeRedis(commands),
  });
}

interface BackendParts {
  kind: RealtimeBackends['kind'];
  bus: EventBus;
  presence: Presence;
  rateLimitStore: RateLimitStore;
  liveStatsStore: LiveStatsStore;
  /** Closes what the parts share (Redis' command connection), once they are closed. */
  closeConnections?: () => Promise<void>;
}

/** Adds this instance's live figures to the parts, and closes everything in one order for both kinds. */
function assemble(options: RealtimeBackendsOptions, instanceId: string, parts: BackendParts): RealtimeBackends {
  const { kind, bus, presence, rateLimitStore, liveStatsStore, closeConnections } = parts;
  const metrics = new InstanceMetrics({
    instanceId,
    localUsers: () => presence.localUserCount(),
    typingUsers: () => presence.localTypingUsers(),
  });
  const liveStats = new LiveStatsCollector({
    metrics,
    store: liveStatsStore,
    onlineUsers: () => presence.onlineCount(),
    reportMs: options.liveStatsReportMs,
    ttlMs: options.liveStatsTtlMs,
  });
  return {
    kind,
    instanceId,
    bus,
    presence,
    rateLimitStore,
    metrics,
    liveStats,
    close: async () => {
      // Live figures and presence first: withdrawing them from Redis needs its command connection.
      await liveStats.close();
      metrics.close();
      await presence.close();
      await bus.close();
      await closeConnections?.();
    },
  };
}
