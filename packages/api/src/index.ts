import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from './root.ts';

export { appRouter, type AppRouter } from './root.ts';
export { createCallerFactory } from './trpc.ts';
export { createContextInner, tokenFrom, type Actor, type ApiDeps, type ApiLogger, type Context } from './context.ts';
export { signToken, verifyToken, type TokenConfig, type TokenClaims } from './auth/tokens.ts';
export { DEFAULT_RATE_LIMITS, INPUT_LIMITS, MAX_CALLS_IN_FLIGHT_PER_CONNECTION, MAX_SUBSCRIPTIONS_PER_CONNECTION, type RateLimits, type RateRule } from './limits.ts';
export { MemoryRateLimitStore, RateLimiter, type RateLimitStore } from './rate-limiter.ts';
export { LocalPresence, type Presence } from './realtime/presence.ts';
export { LocalEventBus, topic, type EventBus, type Topic, type Unsubscribe } from './realtime/bus.ts';
export { conversationTopic, inboxTopic, sessionsTopic, type ConversationSignal, type InboxSignal, type SessionSignal } from './realtime/topics.ts';
export { publishPresence } from './realtime/publish.ts';
export { publishTyping, TYPING_TTL_MS, type InboxEvent } from './services/live.ts';
export type * from './views.ts';
export { storedStats, STATS_DAYS, type StoredStats } from './services/stats.ts';
export { STORED_STATS_TTL_MS, storedStatsCache, TtlCache, type TtlCacheOptions } from './services/stats-cache.ts';

/**
 * Inputs of every procedure.
 * @example type SendInput = RouterInputs['messages']['send'];
 */
export type RouterInputs = inferRouterInputs<AppRouter>;

/**
 * Outputs of every procedure.
 * @example type Inbox = RouterOutputs['conversations']['list']['items'];
 */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

// Realtime backends: in process, or shared by every instance through Redis (REDIS_URL).
export {
  createRealtimeBackends,
  type RealtimeBackends,
  type RealtimeBackendsOptions,
  type RealtimeLogger,
} from './realtime/backends.ts';
export { BusUnavailableError, RedisEventBus, type RedisEventBusOptions } from './realtime/redis-bus.ts';
export { RedisPresence, type RedisPresenceOptions } from './realtime/redis-presence.ts';
export { RedisRateLimitStore } from './realtime/redis-rate-limit.ts';
export { redactRedisUrl, RedisHealth, type RedisConnectionOptions } from './realtime/redis-connection.ts';
// Live statistics: this instance's figures, and every instance's through a store (Redis or in process).
export {
  InstanceMetrics,
  wallClockMs,
  type InstanceLiveStats,
  type InstanceMetricsOptions,
  type MetricsListener,
  type Percentiles,
  type ProcedureOutcome,
} from './realtime/live-metrics.ts';
export {
  combineLiveStats,
  LIVE_STATS_REPORT_MS,
  LIVE_STATS_TTL_MS,
  LiveStatsCollector,
  MemoryLiveStatsStore,
  RedisLiveStatsStore,
  type InstanceReport,
  type LiveStats,
  type LiveStatsCollectorOptions,
  type LiveStatsStore,
} from './realtime/live-stats.ts';
