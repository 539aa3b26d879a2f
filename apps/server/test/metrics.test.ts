/**
 * /metrics: Prometheus' text format with the live figures and request counters, served to
 * this host, or to anyone with the configured token; refused otherwise.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isLoopback, metricsAccess } from '../src/metrics.ts';
import { startTestServer, type TestServer } from './harness.ts';

const WAIT = { timeout: 10_000, interval: 20 };
const TOKEN = 'metrics-token-for-the-tests';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of an exposition (comments skipped). */
function parseExposition(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not an exposition line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, key, value]) => [key, value]));
      return { name: match[1] ?? '', labels, value: Number(match[3]) };
    });
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when there is none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const matching = samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (matching.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${matching.length} samples`);
  return matching[0]?.value;
}

async function scrape(t: TestServer, headers: Record<string, string> = {}) {
  const response = await fetch(`${t.url}/metrics`, { headers });
  return { response, text: await response.text() };
}

describe('/metrics from this host', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite');
  });
  afterAll(async () => {
    await t?.[Symbol.asyncDispose]();
  });

  it('serves the live figures and the call and request counters in the text format', async () => {
    const [alice, bob] = await Promise.all([t.signUp('metrics_alice'), t.signUp('metrics_bob')]);
    const dm = await t.http(alice.token).conversations.create.mutate({ kind: 'direct', participantIds: [bob.id] });
    // Bob listens (one signed-in socket), plus one anonymous socket: two sockets, one user online.
    await using bobTab = t.socket(bob.token);
    await using anonymousTab = t.socket();
    const received: unknown[] = [];
    const subscription = bobTab.api.conversations.onEvent.subscribe({ conversationId: dm.id }, { onData: (event) => received.push(event) });
    try {
      await vi.waitFor(async () => {
        await anonymousTab.api.auth.me.query().catch(() => undefined);
        const samples = parseExposition((await scrape(t)).text);
        expect(valueOf(samples, 'parley_websocket_connections')).toBe(2);
        expect(valueOf(samples, 'parley_online_users')).toBe(1);
        expect(valueOf(samples, 'parley_online_users_everywhere')).toBe(1);
        expect(valueOf(samples, 'parley_subscriptions')).toBe(1);
      }, WAIT);

      // Three sends and one retry of the third (same clientId): three messages, four calls.
      const clientId = randomUUID();
      for (const id of [randomUUID(), randomUUID(), clientId, clientId]) {
        await t.http(alice.token).messages.send.mutate({ conversationId: dm.id, body: 'hello', clientId: id });
      }
      await vi.waitFor(() => expect(received).toHaveLength(3), WAIT);
      await t.http().auth.me.query().catch(() => undefined);
      await fetch(`${t.url}/healthz`);

      const { response, text } = await scrape(t);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(text).toContain('# TYPE parley_message_delivery_latency_seconds histogram');
      expect(text).toContain('# TYPE parley_messages_committed_total counter');
      const samples = parseExposition(text);
      expect(valueOf(samples, 'parley_messages_committed_total')).toBe(3);
      expect(valueOf(samples, 'parley_messages_per_second')).toBeGreaterThan(0);
      expect(valueOf(samples, 'parley_message_delivery_latency_seconds_count')).toBe(3);
      expect(valueOf(samples, 'parley_message_delivery_latency_last_minute_seconds', { quantile: '0.99' })).toBeGreaterThanOrEqual(0);
      expect(valueOf(samples, 'parley_trpc_calls_total', { procedure: 'messages.send', type: 'mutation', code: 'OK' })).toBe(4);
      expect(valueOf(samples, 'parley_trpc_calls_total', { procedure: 'auth.me', type: 'query', code: 'UNAUTHORIZED' })).toBeGreaterThanOrEqual(1);
      expect(valueOf(samples, 'parley_trpc_calls_total', { procedure: 'conversations.onEvent', code: 'OK' })).toBe(1);
      expect(valueOf(samples, 'parley_http_requests_total', { route: 'healthz', method: 'GET', status: '200' })).toBe(1);
      expect(valueOf(samples, 'parley_http_requests_total', { route: 'trpc', method: 'POST', status: '200' })).toBeGreaterThanOrEqual(4);
      expect(valueOf(samples, 'parley_process_resident_memory_bytes')).toBeGreaterThan(1_000_000);
      expect(valueOf(samples, 'parley_process_uptime_seconds')).toBeGreaterThanOrEqual(0);
      expect(samples.find((sample) => sample.name === 'parley_instance_info')?.labels.instance_id).toMatch(/\w/);
    } finally {
      subscription.unsubscribe();
    }
  });

  it('keeps the request counter bounded: unknown paths count as one route', async () => {
    for (const path of ['/no-such-page', '/.env', '/wp-login.php']) await fetch(`${t.url}${path}`);
    const samples = parseExposition((await scrape(t)).text);
    const routes = new Set(samples.filter((sample) => sample.name === 'parley_http_requests_total').map((sample) => sample.labels.route));
    expect([...routes].every((route) => ['trpc', 'healthz', 'metrics', 'web'].includes(route ?? ''))).toBe(true);
  });

  it('refuses a request relayed by a proxy (X-Forwarded-For, Forwarded) when TRUST_PROXY is off, and anything but GET', async () => {
    expect((await scrape(t, { 'x-forwarded-for': '203.0.113.7' })).response.status).toBe(403);
    expect((await scrape(t, { forwarded: 'for=203.0.113.7' })).response.status).toBe(403);
    // Without a configured token a bearer token opens nothing.
    expect((await scrape(t, { 'x-forwarded-for': '203.0.113.7', authorization: `Bearer ${TOKEN}` })).response.status).toBe(403);
    expect((await fetch(`${t.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});

describe('/metrics with METRICS_TOKEN behind a trusted proxy', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite', { env: { METRICS_TOKEN: TOKEN, TRUST_PROXY: 'true' } });
  });
  afterAll(async () => {
    await t?.[Symbol.asyncDispose]();
  });

  it('asks a remote client for the token (401), and serves it the metrics with the right one', async () => {
    const remote = { 'x-forwarded-for': '203.0.113.7' };
    const refused = await scrape(t, remote);
    expect(refused.response.status).toBe(401);
    expect(refused.response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(refused.text).not.toContain('parley_');
    expect((await scrape(t, { ...remote, authorization: 'Bearer wrong-token-wrong-token' })).response.status).toBe(401);
    expect((await scrape(t, { ...remote, authorization: TOKEN })).response.status).toBe(401);

    const allowed = await scrape(t, { ...remote, authorization: `Bearer ${TOKEN}` });
    expect(allowed.response.status).toBe(200);
    expect(allowed.text).toContain('parley_websocket_connections');
  });

  it('believes the proxy: a client it reports as this host (last X-Forwarded-For entry) needs no token', async () => {
    expect((await scrape(t, { 'x-forwarded-for': '127.0.0.1' })).response.status).toBe(200);
    // A client cannot forge its way in with an earlier entry: only the proxy's own (last) counts.
    expect((await scrape(t, { 'x-forwarded-for': '127.0.0.1, 203.0.113.7' })).response.status).toBe(401);
  });
});

describe('metricsAccess', () => {
  const request = (remoteAddress: string, headers: Record<string, string> = {}) => ({ headers, socket: { remoteAddress } });

  it('lets this host in, refuses others with 403 without a token and 401 with one, and admits the right token from anywhere', () => {
    const open = { token: null, trustProxy: false };
    const guarded = { token: TOKEN, trustProxy: false };
    expect(metricsAccess(request('127.0.0.1'), open)).toBe('allowed');
    expect(metricsAccess(request('::1'), open)).toBe('allowed');
    expect(metricsAccess(request('::ffff:127.0.0.1'), open)).toBe('allowed');
    expect(metricsAccess(request('10.1.2.3'), open)).toBe('forbidden');
    expect(metricsAccess(request('10.1.2.3', { authorization: `Bearer ${TOKEN}` }), open)).toBe('forbidden');
    expect(metricsAccess(request('10.1.2.3'), guarded)).toBe('unauthorized');
    expect(metricsAccess(request('10.1.2.3', { authorization: `Bearer ${TOKEN}x` }), guarded)).toBe('unauthorized');
    expect(metricsAccess(request('10.1.2.3', { authorization: `Bearer ${TOKEN}` }), guarded)).toBe('allowed');
    // A proxy on this host relays someone else: not loopback, unless the trusted proxy says so.
    expect(metricsAccess(request('127.0.0.1', { 'x-real-ip': '10.1.2.3' }), open)).toBe('forbidden');
    expect(metricsAccess(request('127.0.0.1', { 'x-forwarded-for': '10.1.2.3' }), { token: null, trustProxy: true })).toBe('forbidden');
    expect(metricsAccess(request('127.0.0.1', { 'x-forwarded-for': '127.0.0.1' }), { token: null, trustProxy: true })).toBe('allowed');
  });

  it('knows loopback addresses', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(isLoopback(address)).toBe(true);
    for (const address of ['128.0.0.1', '10.0.0.1', '::2', '::ffff:10.0.0.1', '', undefined, '127.0.0.1.evil']) {
      expect(isLoopback(address)).toBe(false);
    }
  });
});
