/**
 * What one instance measures about itself for the live statistics (docs/ARCHITECTURE.md,
 * "Live statistics"). Everything here is in memory and bounded: counters, a ring of 60
 * one-second buckets for the sliding minute (messages and a latency histogram per second),
 * and typing entries that expire. Nothing touches the database.
 */
import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';

/** A median and a 99th percentile, in milliseconds; null when nothing was measured. */
export interface Percentiles {
  p50: number | null;
  p99: number | null;
}

/** This instance's live figures, as admin.stats and admin.onStats show them. */
export interface InstanceLiveStats {
  /** Unique per running process (host-pid-random unless configured). */
  id: string;
  startedAt: string;
  /** When these figures were taken. */
  reportedAt: string;
  uptimeSeconds: number;
  /** WebSocket connections open on this instance, signed in or not. */
  sockets: number;
  /** Distinct users with at least one signed-in socket on this instance. */
  onlineUsers: number;
  /** tRPC subscriptions running on this instance (every kind, admin.onStats included). */
  subscriptions: number;
  /** Distinct users whose typing signal went through this instance and has not ended or expired. */
  typingUsers: number;
  /** Messages committed on this instance over the last minute, per second. */
  messagesPerSecond: number;
  /** From the send's commit to the created event being handed to a subscriber's socket, over the last minute. */
  latencyMs: Percentiles;
  /** Event-loop delay over the last report interval (~2 s). */
  eventLoopLagMs: Percentiles;
  memory: { rssBytes: number; heapUsedBytes: number };
}

/**
 * The latency histogram: bucket 0 holds [0, 0.1] ms and bucket i > 0 holds
 * (0.1·g^(i-1), 0.1·g^i] ms with g = 2^(1/8), so a percentile read from it is within ±5 %
 * of the true value. 161 buckets reach ~105 s; anything slower lands in the last one.
 */
export const LATENCY_BUCKETS = 161;
const SMALLEST_MS = 0.1;
const GROWTH = 2 ** (1 / 8);

export function latencyBucketOf(ms: number): number {
  if (!(ms > SMALLEST_MS)) return 0;
  return Math.min(LATENCY_BUCKETS - 1, Math.ceil(Math.log(ms / SMALLEST_MS) / Math.log(GROWTH)));
}

/** The value a bucket stands for: the geometric middle of its bounds. */
function bucketValueMs(bucket: number): number {
  if (bucket === 0) return SMALLEST_MS;
  return SMALLEST_MS * GROWTH ** (bucket - 0.5);
}

/** The p50 and p99 of a histogram of LATENCY_BUCKETS counts, to 3 significant digits. */
export function percentilesOf(histogram: ArrayLike<number>): Percentiles {
  let total = 0;
  for (let i = 0; i < histogram.length; i++) total += histogram[i] ?? 0;
  if (total === 0) return { p50: null, p99: null };
  const at = (quantile: number) => {
    const rank = Math.max(1, Math.ceil(quantile * total));
    let seen = 0;
    for (let i = 0; i < histogram.length; i++) {
      seen += histogram[i] ?? 0;
      if (seen >= rank) return Number(bucketValueMs(i).toPrecision(3));
    }
    return Number(bucketValueMs(histogram.length - 1).toPrecision(3));
  };
  return { p50: at(0.5), p99: at(0.99) };
}

/** A histogram as [bucket, count] pairs of its non-empty buckets: what an instance reports. */
export type SparseHistogram = [bucket: number, count: number][];

export function sparse(histogram: ArrayLike<number>): SparseHistogram {
  const pairs: SparseHistogram = [];
  for (let i = 0; i < histogram.length; i++) {
    const count = histogram[i] ?? 0;
    if (count > 0) pairs.push([i, count]);
  }
  return pairs;
}

/** Adds sparse histograms (several instances' minutes) into one dense histogram. */
export function mergeHistograms(histograms: readonly SparseHistogram[]): Float64Array {
  const merged = new Float64Array(LATENCY_BUCKETS);
  for (const histogram of histograms) {
    for (const [bucket, count] of histogram) {
      if (bucket >= 0 && bucket < LATENCY_BUCKETS) merged[bucket] = (merged[bucket] ?? 0) + count;
    }
  }
  return merged;
}

const WINDOW_SECONDS = 60;
const EVENT_LOOP_RESOLUTION_MS = 10;

/**
 * The last minute in one-second buckets: a ring of 60 slots, each remembering which second
 * it holds, so a slot from a minute ago is cleared when its second comes round again.
 * Fixed memory (60 × 161 counters), O(1) to record, O(60 × 161) to read.
 */
export class SlidingMinute {
  readonly #now: () => number;
  readonly #second = new Float64Array(WINDOW_SECONDS).fill(-1);
  readonly #messages = new Uint32Array(WINDOW_SECONDS);
  readonly #latency = Array.from({ length: WINDOW_SECONDS }, () => new Uint32Array(LATENCY_BUCKETS));

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  messageCommitted(): void {
    const slot = this.#slot();
    this.#messages[slot] = (this.#messages[slot] ?? 0) + 1;
  }

  delivered(latencyMs: number): void {
    const histogram = this.#latency[this.#slot()];
    const bucket = latencyBucketOf(latencyMs);
    if (histogram) histogram[bucket] = (histogram[bucket] ?? 0) + 1;
  }

  /** Messages and the latency histogram of the seconds in (now − 60 s, now]. */
  read(): { messages: number; latency: Uint32Array } {
    const current = Math.floor(this.#now() / 1000);
    let messages = 0;
    const latency = new Uint32Array(LATENCY_BUCKETS);
    for (let slot = 0; slot < WINDOW_SECONDS; slot++) {
      const second = this.#second[slot] ?? -1;
      if (second <= current - WINDOW_SECONDS || second > current) continue;
      messages += this.#messages[slot] ?? 0;
      const histogram = this.#latency[slot];
      if (histogram) for (let i = 0; i < LATENCY_BUCKETS; i++) latency[i] = (latency[i] ?? 0) + (histogram[i] ?? 0);
    }
    return { messages, latency };
  }

  #slot(): number {
    const second = Math.floor(this.#now() / 1000);
    const slot = second % WINDOW_SECONDS;
    if (this.#second[slot] !== second) {
      this.#second[slot] = second;
      this.#messages[slot] = 0;
      this.#latency[slot]?.fill(0);
    }
    return slot;
  }
}

/** Typing entries kept at most: beyond it new ones are not kept (a gauge, and a courtesy to newcomers, not a record). */
const MAX_TYPING_ENTRIES = 100_000;

/**
 * Who is typing where: per conversation, each typist and when their signal expires. An entry
 * ends with setTyping(false), a message from the user there, their socket closing (which
 * sends setTyping(false) for them), or the typing TTL without a refresh. Presence keeps one
 * per instance (presence.ts): who someone opening a conversation sees typing first, and
 * the live figures' count of those typing through this instance.
 */
export class TypingTracker {
  readonly #now: () => number;
  readonly #until = new Map<number, Map<number, number>>();
  #entries = 0;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Records a start (for `ttlMs`) or a stop; true when the user was typing there until now. */
  set(userId: number, conversationId: number, typing: boolean, ttlMs: number): boolean {
    const now = this.#now();
    const until = this.#until.get(conversationId)?.get(userId);
    const wasTyping = until !== undefined && until > now;
    if (!typing) {
      if (until !== undefined) this.#delete(conversationId, userId);
      return wasTyping;
    }
    if (until === undefined && this.#entries >= MAX_TYPING_ENTRIES) {
      this.#prune(now);
      if (this.#entries >= MAX_TYPING_ENTRIES) return wasTyping;
    }
    let typists = this.#until.get(conversationId);
    if (!typists) {
      typists = new Map();
      this.#until.set(conversationId, typists);
    }
    if (!typists.has(userId)) this.#entries += 1;
    typists.set(userId, now + ttlMs);
    return wasTyping;
  }

  /** Distinct users typing now. */
  users(): number {
    this.#prune(this.#now());
    return new Set([...this.#until.values()].flatMap((typists) => [...typists.keys()])).size;
  }

  /** Who is typing in `conversationId` now, each with the milliseconds their signal has left. */
  in(conversationId: number): Map<number, number> {
    const now = this.#now();
    const left = new Map<number, number>();
    for (const [userId, until] of this.#until.get(conversationId) ?? []) if (until > now) left.set(userId, until - now);
    return left;
  }

  clear(): void {
    this.#until.clear();
    this.#entries = 0;
  }

  #delete(conversationId: number, userId: number): void {
    const typists = this.#until.get(conversationId);
    if (!typists?.delete(userId)) return;
    this.#entries -= 1;
    if (typists.size === 0) this.#until.delete(conversationId);
  }

  #prune(now: number): void {
    for (const [conversationId, typists] of this.#until) {
      for (const [userId, until] of typists) if (until <= now) this.#delete(conversationId, userId);
    }
  }
}

/** A wall-clock time in milliseconds with sub-millisecond resolution, comparable across processes. */
export const wallClockMs = (): number => performance.timeOrigin + performance.now();

/** One procedure call's outcome: 'OK' or its tRPC error code. */
export interface ProcedureOutcome {
  path: string;
  type: 'query' | 'mutation' | 'subscription';
  code: string;
}

export interface MetricsListener {
  /** A created event was handed to a subscriber, `latencyMs` after its commit. */
  delivered?(latencyMs: number): void;
  /** A procedure call finished (a subscription: when it started, or failed to). */
  procedure?(outcome: ProcedureOutcome): void;
}

export interface InstanceMetricsOptions {
  instanceId: string;
  /** Distinct users with a signed-in socket here (Presence.localUserCount). */
  localUsers: () => number;
  /** Distinct users typing through this instance (Presence.localTypingUsers). */
  typingUsers: () => number;
  now?: () => number;
}

/**
 * This instance's live figures. The API records into it (commits, deliveries,
 * subscriptions, procedure outcomes), presence counts users and typists, the server records sockets, and snapshot() reads it
 * all at once. Listeners (the Prometheus exporter) hear of deliveries and procedure calls.
 */
export class InstanceMetrics {
  readonly instanceId: string;
  readonly startedAt: Date;
  readonly #now: () => number;
  readonly #localUsers: () => number;
  readonly #typingUsers: () => number;
  readonly #minute: SlidingMinute;
  readonly #eventLoop: ELDHistogram;
  #eventLoopLag: Percentiles = { p50: null, p99: null };
  #sockets = 0;
  #subscriptions = 0;
  #messagesCommitted = 0;
  readonly #listeners = new Set<MetricsListener>();

  constructor(options: InstanceMetricsOptions) {
    this.instanceId = options.instanceId;
    this.#now = options.now ?? Date.now;
    this.startedAt = new Date(this.#now());
    this.#localUsers = options.localUsers;
    this.#typingUsers = options.typingUsers;
    this.#minute = new SlidingMinute(this.#now);
    // Samples the loop every EVENT_LOOP_RESOLUTION_MS in native code; read and reset once per report.
    this.#eventLoop = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
    this.#eventLoop.enable();
  }

  socketOpened(): void {
    this.#sockets += 1;
  }

  socketClosed(): void {
    this.#sockets = Math.max(0, this.#sockets - 1);
  }

  subscriptionStarted(): void {
    this.#subscriptions += 1;
  }

  subscriptionEnded(): void {
    this.#subscriptions = Math.max(0, this.#subscriptions - 1);
  }

  /** A message was committed by a send on this instance. */
  messageCommitted(): void {
    this.#messagesCommitted += 1;
    this.#minute.messageCommitted();
  }

  /** A created event committed at `committedAt` (wallClockMs of the sending instance) is handed to a subscriber now. */
  delivered(committedAt: number): void {
    // Another host's clock may run slightly ahead: a negative latency means "about zero".
    const latencyMs = Math.max(0, wallClockMs() - committedAt);
    this.#minute.delivered(latencyMs);
    for (const listener of this.#listeners) listener.delivered?.(latencyMs);
  }

  procedureFinished(outcome: ProcedureOutcome): void {
    for (const listener of this.#listeners) listener.procedure?.(outcome);
  }

  /** Messages committed here since the start (for Prometheus' counter). */
  get messagesCommitted(): number {
    return this.#messagesCommitted;
  }

  listen(listener: MetricsListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Closes the event-loop window: its percentiles are reported until the next call. */
  rotateEventLoopWindow(): void {
    this.#eventLoopLag = eventLoopPercentiles(this.#eventLoop);
    this.#eventLoop.reset();
  }

  /** Every figure now, plus the minute's latency histogram (for merging across instances). */
  snapshot(): { stats: InstanceLiveStats; latencyHistogram: SparseHistogram } {
    const now = this.#now();
    const minute = this.#minute.read();
    const uptimeSeconds = Math.max(0, (now - this.startedAt.getTime()) / 1000);
    // A young instance has not lived a whole minute: its rate is over the time it has.
    const windowSeconds = Math.min(WINDOW_SECONDS, Math.max(1, uptimeSeconds));
    const memory = process.memoryUsage();
    const eventLoopLag = this.#eventLoopLag.p50 === null ? eventLoopPercentiles(this.#eventLoop) : this.#eventLoopLag;
    return {
      stats: {
        id: this.instanceId,
        startedAt: this.startedAt.toISOString(),
        reportedAt: new Date(now).toISOString(),
        uptimeSeconds: Math.floor(uptimeSeconds),
        sockets: this.#sockets,
        onlineUsers: this.#localUsers(),
        subscriptions: this.#subscriptions,
        typingUsers: this.#typingUsers(),
        messagesPerSecond: Math.round((minute.messages / windowSeconds) * 100) / 100,
        latencyMs: percentilesOf(minute.latency),
        eventLoopLagMs: eventLoopLag,
        memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed },
      },
      latencyHistogram: sparse(minute.latency),
    };
  }

  close(): void {
    this.#eventLoop.disable();
    this.#listeners.clear();
  }
}

/**
 * The monitor records the time between its timer's runs, which is the resolution plus the
 * lag: the resolution is taken off, so an idle loop reads about 0 ms.
 */
function eventLoopPercentiles(histogram: ELDHistogram): Percentiles {
  if (histogram.count === 0) return { p50: null, p99: null };
  const ms = (nanoseconds: number) => Math.max(0, Math.round((nanoseconds / 1e6 - EVENT_LOOP_RESOLUTION_MS) * 100) / 100);
  return { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)) };
}
