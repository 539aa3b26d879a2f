/**
 * `/metrics`: this instance's live figures and request counters in Prometheus' text format
 * (prom-client). Each instance exports its own figures, as Prometheus expects of every
 * scrape target; sum them in PromQL. The one figure no sum can give, users online anywhere
 * (distinct), is exported by every instance alike: take max() of it.
 *
 * Reachable from loopback, or from anywhere with `Authorization: Bearer <METRICS_TOKEN>`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InstanceLiveStats, InstanceMetrics, Presence } from '@parley/api';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { sendText } from './static-files.ts';

/** Route classes of the HTTP counter: a fixed set, so a scanner trying random paths adds no series. */
export type HttpRoute = 'trpc' | 'healthz' | 'metrics' | 'web';
const METHODS = new Set(['GET', 'HEAD', 'POST', 'OPTIONS']);

export interface MetricsExporter {
  /** Counts one finished HTTP request. */
  recordHttp(route: HttpRoute, method: string | undefined, status: number): void;
  /** Answers GET /metrics (access already checked). */
  serve(res: ServerResponse): Promise<void>;
  close(): void;
}

export function createMetricsExporter(opts: { metrics: InstanceMetrics; presence: Presence }): MetricsExporter {
  const { metrics, presence } = opts;
  const registry = new Registry();
  /** Taken once per scrape, before the gauges read it (prom-client collects them concurrently). */
  let current: InstanceLiveStats = metrics.snapshot().stats;
  const gauge = (name: string, help: string, value: (stats: InstanceLiveStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value(current));
      },
    });

  new Gauge({
    name: 'parley_instance_info',
    help: 'Always 1; names this instance (the id shown in the admin statistics).',
    labelNames: ['instance_id'],
    registers: [registry],
    collect() {
      this.set({ instance_id: metrics.instanceId }, 1);
    },
  });
  gauge('parley_websocket_connections', 'WebSocket connections open on this instance, signed in or not.', (s) => s.sockets);
  gauge('parley_online_users', 'Distinct users with a signed-in socket on this instance.', (s) => s.onlineUsers);
  new Gauge({
    name: 'parley_online_users_everywhere',
    help: 'Distinct users online on any instance (the same on every instance: use max(), not sum()).',
    registers: [registry],
    async collect() {
      this.set(await presence.onlineCount());
    },
  });
  gauge('parley_subscriptions', 'tRPC subscriptions running on this instance.', (s) => s.subscriptions);
  gauge('parley_typing_users', 'Distinct users typing through this instance now.', (s) => s.typingUsers);
  gauge('parley_messages_per_second', 'Messages committed on this instance over the last minute, per second.', (s) => s.messagesPerSecond);
  new Counter({
    name: 'parley_messages_committed_total',
    help: 'Messages committed by sends on this instance since it started.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(metrics.messagesCommitted);
    },
  });
  const quantileGauge = (name: string, help: string, value: (stats: InstanceLiveStats) => { p50: number | null; p99: number | null }) =>
    new Gauge({
      name,
      help,
      labelNames: ['quantile'],
      registers: [registry],
      collect() {
        this.reset();
        const { p50, p99 } = value(current);
        // No sample, no series: an absent value is not a zero latency.
        const seconds = (ms: number) => Number((ms / 1000).toPrecision(6));
        if (p50 !== null) this.set({ quantile: '0.5' }, seconds(p50));
        if (p99 !== null) this.set({ quantile: '0.99' }, seconds(p99));
      },
    });
  quantileGauge(
    'parley_message_delivery_latency_last_minute_seconds',
    'From the commit of a send to the created event handed to a subscriber socket on this instance, over the last minute.',
    (s) => s.latencyMs,
  );
  quantileGauge('parley_event_loop_lag_seconds', 'Event-loop delay over the last report interval (~2 s).', (s) => s.eventLoopLagMs);
  gauge('parley_process_resident_memory_bytes', 'Resident set size of this process.', (s) => s.memory.rssBytes);
  gauge('parley_process_heap_used_bytes', 'V8 heap in use.', (s) => s.memory.heapUsedBytes);
  gauge('parley_process_uptime_seconds', 'Seconds since this instance started.', (s) => s.uptimeSeconds);
  gauge('parley_process_start_time_seconds', 'When this instance started, in Unix seconds.', () => Math.floor(metrics.startedAt.getTime() / 1000));

  const latency = new Histogram({
    name: 'parley_message_delivery_latency_seconds',
    help: 'From the commit of a send to the created event handed to a subscriber socket on this instance (since start).',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const calls = new Counter({
    name: 'parley_trpc_calls_total',
    help: 'tRPC calls handled by this instance (HTTP and WebSocket), by procedure and outcome (OK or the error code).',
    labelNames: ['procedure', 'type', 'code'],
    registers: [registry],
  });
  const requests = new Counter({
    name: 'parley_http_requests_total',
    help: 'HTTP requests answered by this instance (WebSocket upgrades excluded), by route class, method and status.',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  });

  // The API names only procedures that exist (an unknown path never reaches a procedure), and
  // codes come from tRPC's fixed list: both labels are bounded.
  const stopListening = metrics.listen({
    delivered: (latencyMs) => latency.observe(latencyMs / 1000),
    procedure: ({ path, type, code }) => calls.inc({ procedure: path, type, code }),
  });

  return {
    recordHttp(route, method, status) {
      requests.inc({ route, method: method && METHODS.has(method) ? method : 'other', status: String(status) });
    },
    async serve(res) {
      current = metrics.snapshot().stats;
      const body = await registry.metrics();
      res.statusCode = 200;
      res.setHeader('Content-Type', registry.contentType);
      res.setHeader('Cache-Control', 'no-store');
      res.end(body);
    },
    close() {
      stopListening();
      registry.clear();
    },
  };
}

export type MetricsAccess = 'allowed' | 'unauthorized' | 'forbidden';

/**
 * Who may read /metrics: a request with the configured bearer token, or one from this host.
 * A request that came through a proxy is not "from this host" even when the proxy runs here,
 * unless TRUST_PROXY says the proxy's X-Forwarded-For is to be believed and it names loopback.
 * Without a token, refusal is 403; with one configured, 401 asks for it.
 */
export function metricsAccess(
  req: Pick<IncomingMessage, 'headers'> & { socket: { remoteAddress?: string | undefined } },
  opts: { token: string | null; trustProxy: boolean },
): MetricsAccess {
  if (opts.token !== null && bearerMatches(req.headers.authorization, opts.token)) return 'allowed';
  if (fromLoopback(req, opts.trustProxy)) return 'allowed';
  return opts.token !== null ? 'unauthorized' : 'forbidden';
}

function fromLoopback(req: Pick<IncomingMessage, 'headers'> & { socket: { remoteAddress?: string | undefined } }, trustProxy: boolean): boolean {
  if (!isLoopback(req.socket.remoteAddress)) return false;
  const forwardedFor = req.headers['x-forwarded-for'];
  const proxied = forwardedFor !== undefined || req.headers.forwarded !== undefined || req.headers['x-real-ip'] !== undefined;
  if (!proxied) return true;
  if (!trustProxy || forwardedFor === undefined) return false;
  // The entry our proxy added (the last one) is the only one a client cannot forge.
  const last = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').pop()?.trim();
  return isLoopback(last);
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const ipv4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return ipv4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ipv4);
}

/** Compares digests, so the time taken says nothing about how much of the token matched. */
function bearerMatches(authorization: string | undefined, token: string): boolean {
  if (!authorization?.startsWith('Bearer ')) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(authorization.slice('Bearer '.length).trim()), digest(token));
}

/** GET or HEAD /metrics, with the access rule above. */
export async function handleMetricsRequest(
  req: IncomingMessage,
  res: ServerResponse,
  exporter: MetricsExporter,
  opts: { token: string | null; trustProxy: boolean },
): Promise<void> {
  res.setHeader('Cache-Control', 'no-store');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return sendText(res, 405, 'Method not allowed\n');
  }
  const access = metricsAccess(req, opts);
  if (access === 'unauthorized') {
    res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
    return sendText(res, 401, 'Metrics need Authorization: Bearer <METRICS_TOKEN>\n');
  }
  if (access === 'forbidden') return sendText(res, 403, 'Metrics are served to this host only (or set METRICS_TOKEN)\n');
  return exporter.serve(res);
}
