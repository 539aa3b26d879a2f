/**
 * The load process: forked by the bench, it opens real WebSocket clients to the servers
 * under test (other processes) on 127.0.0.1, runs the job it is sent, and answers with
 * what it measured. Send→deliver latency is measured from when a message was *due* to be
 * posted, not when the (possibly late) load loop posted it, so a saturated machine shows
 * up as latency instead of being hidden.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { signToken } from '@parley/api';
import { latencyOf } from '../summary.ts';
import { parleyClient, postFailures, rawWsClient, socketIoClient, TrpcSocket, type LoadClient, type OnInbox, type OnMessage } from './clients.ts';
import { soak, type Deliver } from './soak.ts';
import type {
  ConnectionsHolding,
  ConnectionsJob,
  Endpoint,
  FanoutCloseJob,
  FanoutOpened,
  FanoutOpenJob,
  FanoutSoak,
  FanoutSoakJob,
  FanoutStep,
  FanoutSweep,
  FanoutSweepJob,
  FromLoad,
  Job,
  QueryJob,
  QueryRun,
  SendJob,
  SendRun,
  ToLoad,
} from './jobs.ts';

const TOKEN_TTL_SECONDS = 3_600;
const send = (message: FromLoad) => process.send?.(message);
const progress = (text: string) => send({ type: 'progress', text });

let released: (() => void) | null = null;
process.on('message', (message: ToLoad) => {
  if (message.type === 'release') return released?.();
  run(message.job)
    .then((result) => send({ type: 'result', result }))
    .catch((error: unknown) => send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
});
process.on('disconnect', () => process.exit(0));

function run(job: Job) {
  switch (job.type) {
    case 'fanout-open':
      return fanoutOpen(job);
    case 'fanout-sweep':
      return fanoutSweep(job);
    case 'fanout-soak':
      return fanoutSoak(job);
    case 'fanout-close':
      return fanoutClose(job);
    case 'connections':
      return connections(job);
    case 'send':
      return sendPath(job);
    case 'query':
      return query(job);
  }
}

function tokenFor(endpoint: Endpoint, userId: number): Promise<string> {
  if (!endpoint.jwtSecret) throw new Error('a Parley endpoint needs its jwtSecret');
  return signToken({ secret: new TextEncoder().encode(endpoint.jwtSecret), ttlSeconds: TOKEN_TTL_SECONDS }, { userId, tokenVersion: 0 });
}

/** Client `index` (user index+1) of an endpoint, on instance index mod instances. */
async function openClient(endpoint: Endpoint, index: number, onMessage: OnMessage, inbox: boolean, onInbox?: OnInbox): Promise<LoadClient> {
  const url = endpoint.urls[index % endpoint.urls.length] ?? '';
  if (endpoint.protocol === 'ws') return rawWsClient(url, onMessage);
  if (endpoint.protocol === 'socketio') return socketIoClient(url, onMessage);
  // Parley's client: the bare tRPC baseline serves the same procedures, and takes any token.
  if (endpoint.protocol === 'trpc') return parleyClient(url, 'none', onMessage, { inbox, onInbox });
  return parleyClient(url, await tokenFor(endpoint, index + 1), onMessage, { inbox, onInbox });
}

/** Runs `work` for 0..count-1 with at most `concurrency` at a time. */
async function pool<T>(count: number, concurrency: number, work: (index: number) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  const results = new Array<PromiseSettledResult<T>>(count);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < count; index = next++) {
      try {
        results[index] = { status: 'fulfilled', value: await work(index) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

const CLOCK_TICKS_PER_SECOND = 100;
/** How long a backlog may take to clear after an overloaded step. */
const QUIESCE_LIMIT_MS = 30_000;

/** CPU seconds used so far by these processes (user + system), from /proc. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
    } catch {
      // The process is gone: its time no longer counts.
    }
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

// ---------------------------------------------------------------- fan-out

interface FanoutSession {
  sweep(job: FanoutSweepJob): Promise<FanoutSweep>;
  soak(job: FanoutSoakJob): Promise<FanoutSoak>;
  close(): void;
}

/** Fan-out sessions stay connected between sweeps, so the bench can interleave targets run by run. */
const sessions = new Map<string, FanoutSession>();

async function fanoutOpen(job: FanoutOpenJob): Promise<FanoutOpened> {
  if (sessions.has(job.session)) throw new Error(`fan-out session ${job.session} is already open`);
  const rooms = Math.ceil(job.clients / job.groupSize);
  /** Per tag (a step, a soak phase): what to do with a delivery of one of its messages. */
  const trackers = new Map<number, Deliver>();
  let tag = 0;
  const track = (deliver: Deliver) => {
    const stepTag = ++tag;
    trackers.set(stepTag, deliver);
    return { tag: stepTag, untrack: () => void trackers.delete(stepTag) };
  };
  let lastArrival = performance.now();
  /** Per client: the last message its conversation stream delivered and its inbox showed (the soak compares them). */
  const lastStreamBody = new Array<string | null>(job.clients).fill(null);
  const lastInboxBody = new Array<string | null>(job.clients).fill(null);
  const inboxEvents = new Uint32Array(job.clients);
  const onMessage = (client: number, body: string) => {
    lastArrival = performance.now();
    lastStreamBody[client] = body;
    // "<tag>:<message>": the tag's tracker knows when the message was due.
    const colon = body.indexOf(':');
    trackers.get(Number(body.slice(0, colon)))?.(client, Number(body.slice(colon + 1)), lastArrival);
  };
  const onInbox = (client: number, body: string | null) => {
    inboxEvents[client] = (inboxEvents[client] ?? 0) + 1;
    lastInboxBody[client] = body;
  };

  const settled = await pool(job.clients, 50, async (index) => {
    const client = await openClient(
      job.endpoint,
      index,
      (body) => onMessage(index, body),
      job.inbox,
      (body) => onInbox(index, body),
    );
    await client.join(Math.floor(index / job.groupSize) + 1);
    return client;
  });
  const clients = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = settled.find((result) => result.status === 'rejected');
  const close = () => {
    for (const client of clients) client.close();
    sessions.delete(job.session);
  };
  if (failure?.status === 'rejected') {
    close();
    throw new Error(`${job.clients - clients.length} of ${job.clients} clients could not connect: ${String(failure.reason)}`);
  }

  /** Posts at `perSec` deliveries/s for stepMs, then waits for the deliveries (at most drainMs). */
  const runStep = async (perSec: number, stepMs: number, drainMs: number, latencyLimitMs: number): Promise<FanoutStep> => {
    const messagesPerSec = perSec / job.groupSize;
    const total = Math.round((messagesPerSec * stepMs) / 1000);
    /** The due time of each message, and how many of its deliveries arrived. */
    const record = { dueAt: new Float64Array(total), got: new Uint16Array(total), latencies: [] as number[] };
    const { tag: stepTag, untrack } = track((_client, message, at) => {
      const dueAt = record.dueAt[message];
      if (dueAt === undefined) return;
      record.got[message] = (record.got[message] ?? 0) + 1;
      record.latencies.push(at - dueAt);
    });
    const cpuBefore = { server: cpuSeconds(job.endpoint.pids), load: process.cpuUsage() };
    const start = performance.now();
    const interval = 1000 / messagesPerSec;
    let posted = 0;
    while (posted < total) {
      const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
      for (; posted < due; posted++) {
        record.dueAt[posted] = start + posted * interval;
        // Each message goes to the next room; the rooms' members take turns to post.
        const room = posted % rooms;
        const member = Math.floor(posted / rooms) % job.groupSize;
        const sender = clients[room * job.groupSize + member] ?? clients[0];
        void sender?.post(room + 1, `${stepTag}:${posted}`, `f${process.pid}-${job.session}-${stepTag}-${posted}`);
      }
      await sleep(1);
    }
    const expected = total * job.groupSize;
    const postedAt = performance.now();
    while (record.latencies.length < expected && performance.now() - postedAt < drainMs) await sleep(5);
    const end = performance.now();
    const seconds = (end - start) / 1000;
    const serverCpu = (cpuSeconds(job.endpoint.pids) - cpuBefore.server) / seconds;
    const loadUsage = process.cpuUsage(cpuBefore.load);
    untrack();
    const delivered = record.latencies.length;
    // What never arrived counts as at least as late as the end of the drain.
    const samples = record.latencies;
    for (let message = 0; message < total; message++) {
      const missing = job.groupSize - (record.got[message] ?? 0);
      for (let i = 0; i < missing; i++) samples.push(end - (record.dueAt[message] ?? start));
    }
    const latency = latencyOf(samples);
    return {
      offeredPerSec: perSec,
      // Per second of the posting window (total messages at the offered rate).
      deliveredPerSec: delivered / ((total * interval) / 1000),
      posted: total,
      expected,
      delivered,
      latency,
      serverCpu,
      loadCpu: (loadUsage.user + loadUsage.system) / 1e6 / seconds,
      passed: latency.p99 <= latencyLimitMs && delivered === expected,
    };
  };

  /**
   * After an overloaded step, so the next one starts clean: until the server has answered
   * every post and nothing has arrived for a second (at most QUIESCE_LIMIT_MS).
   */
  const quiesce = async (): Promise<boolean> => {
    const deadline = performance.now() + QUIESCE_LIMIT_MS;
    const busy = () => performance.now() - lastArrival < 1_000 || clients.some((client) => client.pending() > 0);
    while (busy() && performance.now() < deadline) await sleep(50);
    return !busy();
  };

  let run = 0;
  const sweep = async (sweepJob: FanoutSweepJob): Promise<FanoutSweep> => {
    const { ladder, stepMs, drainMs, latencyLimitMs } = sweepJob;
    run++;
    const failuresBefore = postFailures.count;
    const measured: FanoutStep[] = [];
    let lastPassed: number | null = null;
    let firstFailed: number | null = null;
    for (const rate of ladder) {
      const step = await runStep(rate, stepMs, drainMs, latencyLimitMs);
      measured.push(step);
      progress(describeStep(run, step));
      if (!step.passed) {
        firstFailed = rate;
        break;
      }
      lastPassed = rate;
    }
    // One step between the last pass and the first failure narrows where the limit is.
    // (Rates above the first failure are not measured: their latency only grows with the
    // length of the step, so it says nothing.)
    if (lastPassed !== null && firstFailed !== null && (await quiesce())) {
      const step = await runStep(Math.round(Math.sqrt(lastPassed * firstFailed) / 50) * 50, stepMs, drainMs, latencyLimitMs);
      measured.push(step);
      progress(describeStep(run, step));
    }
    const quiet = await quiesce();
    const failures = postFailures.count - failuresBefore;
    if (failures > 0) progress(`  ${failures} posts failed, e.g. ${postFailures.last}`);
    // Not quiet: a further run would start behind a backlog and measure it, not the server.
    if (!quiet) progress(`  still working off the overload ${QUIESCE_LIMIT_MS / 1000} s after the run: no further runs`);
    const passing = measured.filter((step) => step.passed).map((step) => step.deliveredPerSec);
    return { steps: measured, maxPassingPerSec: passing.length > 0 ? Math.max(...passing) : 0, postFailures: failures, quiet };
  };

  const soakSession = {
    clients,
    groupSize: job.groupSize,
    track,
    lastStreamBody,
    lastInboxBody,
    inboxEvents,
    serverCpuSeconds: () => cpuSeconds(job.endpoint.pids),
    progress,
  };
  sessions.set(job.session, { sweep, soak: (soakJob) => soak(soakSession, soakJob), close });
  // Warm-up (JIT, connection pools, caches): not measured.
  try {
    const warmUp = await runStep(job.warmUpPerSec, job.warmUpMs, 1_000, Number.POSITIVE_INFINITY);
    const quiet = await quiesce();
    if (!quiet) progress(`  still working off the warm-up (${warmUp.offeredPerSec} deliveries/s) ${QUIESCE_LIMIT_MS / 1000} s later`);
    return { connected: clients.length, warmUp, quiet };
  } catch (error) {
    close();
    throw error;
  }
}

async function fanoutSweep(job: FanoutSweepJob): Promise<FanoutSweep> {
  const session = sessions.get(job.session);
  if (!session) throw new Error(`no fan-out session ${job.session}`);
  return session.sweep(job);
}

async function fanoutSoak(job: FanoutSoakJob): Promise<FanoutSoak> {
  const session = sessions.get(job.session);
  if (!session) throw new Error(`no fan-out session ${job.session}`);
  return session.soak(job);
}

async function fanoutClose(job: FanoutCloseJob): Promise<{ closed: true }> {
  sessions.get(job.session)?.close();
  return { closed: true };
}

function describeStep(run: number, step: FanoutStep): string {
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : String(n));
  return (
    `  run ${run}: offered ${step.offeredPerSec}/s delivered ${Math.round(step.deliveredPerSec)}/s ` +
    `(${step.delivered}/${step.expected}) p50 ${f(step.latency.p50)} ms p99 ${f(step.latency.p99)} ms ` +
    `server CPU ${Math.round(step.serverCpu * 100)}% load CPU ${Math.round(step.loadCpu * 100)}% ${step.passed ? 'ok' : 'over the limit'}`
  );
}

// ---------------------------------------------------------------- connections

async function connections(job: ConnectionsJob): Promise<{ released: true }> {
  const start = performance.now();
  const ignore: OnMessage = () => undefined;
  const settled = await pool(job.clients, job.concurrency, (index) => openClient(job.endpoint, index, ignore, true));
  const clients = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = settled.find((result) => result.status === 'rejected');
  const holding: ConnectionsHolding = {
    connected: clients.length,
    failed: job.clients - clients.length,
    firstError: failure?.status === 'rejected' ? String(failure.reason) : '',
    connectMs: performance.now() - start,
  };
  const release = new Promise<void>((resolve) => (released = resolve));
  send({ type: 'holding', holding });
  await release;
  released = null;
  for (const client of clients) client.close();
  await sleep(500);
  return { released: true };
}

// ---------------------------------------------------------------- send path

async function sendPath(job: SendJob): Promise<SendRun> {
  const sockets = await Promise.all(
    job.senders.map(async (sender, index) => {
      const url = job.endpoint.urls[index % job.endpoint.urls.length] ?? '';
      return TrpcSocket.open(url, await tokenFor(job.endpoint, sender.userId));
    }),
  );
  let measuring = false;
  let stopped = false;
  let acked = 0;
  let ackedTotal = 0;
  let failed = 0;
  let firstError = '';
  const latencies: number[] = [];
  const loops = job.senders.map(async (sender, index) => {
    const socket = sockets[index];
    for (let n = 0; !stopped && socket && !socket.closed; n++) {
      const begun = performance.now();
      const counted = measuring;
      try {
        await socket.call('mutation', 'messages.send', {
          conversationId: sender.conversationId,
          body: `send path ${n}`,
          clientId: `${job.clientIdPrefix}${index}-${n}`,
        });
        ackedTotal++;
        if (counted && !stopped) {
          acked++;
          latencies.push(performance.now() - begun);
        }
      } catch (error) {
        failed++;
        firstError ||= error instanceof Error ? error.message : String(error);
      }
    }
  });
  await sleep(job.warmupMs);
  measuring = true;
  const start = performance.now();
  const cpuBefore = { server: cpuSeconds(job.endpoint.pids), load: process.cpuUsage() };
  await sleep(job.durationMs);
  stopped = true;
  const seconds = (performance.now() - start) / 1000;
  const serverCpu = (cpuSeconds(job.endpoint.pids) - cpuBefore.server) / seconds;
  const loadUsage = process.cpuUsage(cpuBefore.load);
  await Promise.all(loops);
  for (const socket of sockets) socket.close();
  return {
    acked,
    ackedTotal,
    failed,
    firstError,
    perSec: acked / seconds,
    latency: latencyOf(latencies),
    serverCpu,
    loadCpu: (loadUsage.user + loadUsage.system) / 1e6 / seconds,
  };
}

// ---------------------------------------------------------------- queries

async function query(job: QueryJob): Promise<QueryRun> {
  const socket = await TrpcSocket.open(job.endpoint.urls[0] ?? '', await tokenFor(job.endpoint, job.userId));
  const latencies: number[] = [];
  let failed = 0;
  let firstError = '';
  const deadline = performance.now() + job.budgetMs;
  try {
    for (let call = 0; call < job.warmup + job.calls && (call < job.warmup + 10 || performance.now() < deadline); call++) {
      const input = job.inputs[call % job.inputs.length];
      const begun = performance.now();
      try {
        const answer = await socket.call('query', job.path, input);
        const elapsed = performance.now() - begun;
        const problem = checkAnswer(job.expect, answer);
        if (problem) throw new Error(problem);
        if (call >= job.warmup) latencies.push(elapsed);
      } catch (error) {
        failed++;
        firstError ||= error instanceof Error ? error.message : String(error);
      }
    }
  } finally {
    socket.close();
  }
  return { latency: latencyOf(latencies), failed, firstError };
}

/** Why an answer is not what the scenario needs, or null. */
function checkAnswer(expect: QueryJob['expect'], answer: unknown): string | null {
  const items = typeof answer === 'object' && answer !== null && 'items' in answer && Array.isArray(answer.items) ? (answer.items as unknown[]) : null;
  if (!items) return 'the answer has no items';
  if (items.length !== expect.items) return `expected ${expect.items} items, got ${items.length}`;
  if (expect.kind === 'inbox' && !items.every((item) => typeof item === 'object' && item !== null && 'unreadCount' in item && typeof item.unreadCount === 'number')) {
    return 'an inbox item has no unreadCount';
  }
  return null;
}
