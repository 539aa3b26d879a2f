/**
 * The soak's load (`pnpm bench:soak`, bench/src/soak.ts): the members of an open fan-out
 * session post at a fixed rate for a long time, and every message is followed to its
 * acknowledgment and to each member of its conversation, so loss and duplicates are
 * counted exactly rather than inferred from totals. Latency is kept per interval: a queue
 * or a leak that builds up shows as a trend, not hidden in one average.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { latencyOf } from '../summary.ts';
import type { LoadClient } from './clients.ts';
import type { FanoutSoak, FanoutSoakJob, SoakInterval } from './jobs.ts';

/** Delivery of message `message` (of a tracked tag) to client `client`, arriving at `at`. */
export type Deliver = (client: number, message: number, at: number) => void;

/** What the soak needs of an open fan-out session (driver.ts). */
export interface SoakSession {
  clients: LoadClient[];
  groupSize: number;
  /** Routes deliveries of messages posted as "<tag>:<n>" to `deliver`, until untrack(). */
  track(deliver: Deliver): { tag: number; untrack: () => void };
  /** Per client: the body of the last message its conversation stream delivered. */
  lastStreamBody: (string | null)[];
  /** Per client: the body of the last message its inbox's latest summary of that conversation showed. */
  lastInboxBody: (string | null)[];
  /** Per client: inbox events about its conversation (coalesced by the server: at most one per message). */
  inboxEvents: Uint32Array;
  serverCpuSeconds(): number;
  progress(text: string): void;
}

/** How long after the last post a silent stream still counts as settling (late duplicates). */
const SETTLE_MS = 1_000;
/** Unacknowledged messages and short clients listed in the result (the counts are exact). */
const LISTED = 20;

const PENDING = 0;
const ACKNOWLEDGED = 1;
const FAILED = 2;

export async function soak(session: SoakSession, job: FanoutSoakJob): Promise<FanoutSoak> {
  const { clients, groupSize } = session;
  const rooms = Math.ceil(clients.length / groupSize);
  const membersOf = (room: number) => Math.min(groupSize, clients.length - room * groupSize);
  const messagesPerSec = job.perSec / groupSize;
  const interval = 1000 / messagesPerSec;
  const total = Math.round((messagesPerSec * job.durationMs) / 1000);
  const dueAt = new Float64Array(total);
  const status = new Uint8Array(total);
  const errors = new Map<number, string>();
  /** Deliveries of message m to member k of its conversation: received[m × groupSize + k]. */
  const received = new Uint8Array(total * groupSize);
  let misdelivered = 0;
  let delivered = 0;

  const bucketCount = Math.max(1, Math.ceil(job.durationMs / job.intervalMs));
  const buckets = Array.from({ length: bucketCount }, () => ({
    posted: 0,
    acknowledged: 0,
    failed: 0,
    delivered: 0,
    latencies: [] as number[],
    ackLatencies: [] as number[],
    cpuAtStart: Number.NaN,
  }));
  const bucketOf = (message: number) => Math.min(bucketCount - 1, Math.floor((message * interval) / job.intervalMs));

  const { tag, untrack } = session.track((client, message, at) => {
    if (message >= total) return;
    const room = message % rooms;
    if (Math.floor(client / groupSize) !== room) {
      misdelivered++;
      return;
    }
    const slot = message * groupSize + (client % groupSize);
    received[slot] = Math.min(255, (received[slot] ?? 0) + 1);
    delivered++;
    const bucket = buckets[bucketOf(message)];
    if (!bucket) return;
    bucket.delivered++;
    bucket.latencies.push(at - (dueAt[message] ?? at));
  });

  const report = (index: number) => {
    const bucket = buckets[index];
    if (!bucket) return;
    const latency = latencyOf(bucket.latencies);
    session.progress(
      `  ${job.label} ${index + 1}/${bucketCount}: ${bucket.posted} posted, ${bucket.acknowledged} acknowledged` +
        `${bucket.failed ? `, ${bucket.failed} failed` : ''}, ${bucket.delivered} delivered; ` +
        `p50 ${latency.p50.toFixed(1)} ms p99 ${latency.p99.toFixed(1)} ms`,
    );
  };

  const inboxEventsBefore = session.inboxEvents.slice();
  const loadCpuBefore = process.cpuUsage();
  const serverCpuBefore = session.serverCpuSeconds();
  const start = performance.now();
  let reported = 0;
  let posted = 0;
  try {
    while (posted < total) {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - start) / interval) + 1);
      for (; posted < due; posted++) {
        const message = posted;
        dueAt[message] = start + message * interval;
        const bucket = buckets[bucketOf(message)];
        if (bucket && Number.isNaN(bucket.cpuAtStart)) bucket.cpuAtStart = session.serverCpuSeconds();
        if (bucket) bucket.posted++;
        // Each message goes to the next conversation; its members take turns to post.
        const room = message % rooms;
        const member = Math.floor(message / rooms) % membersOf(room);
        const sender = clients[room * groupSize + member];
        const sentAt = performance.now();
        void sender?.post(room + 1, `${tag}:${message}`, `${job.clientIdPrefix}${message}`).then((error) => {
          status[message] = error === null ? ACKNOWLEDGED : FAILED;
          if (error !== null) {
            errors.set(message, error);
            if (bucket) bucket.failed++;
          } else if (bucket) {
            bucket.acknowledged++;
            bucket.ackLatencies.push(performance.now() - sentAt);
          }
        });
      }
      // An interval is reported once its last messages have had a couple of seconds to arrive.
      while (reported < bucketCount - 1 && now - start >= (reported + 1) * job.intervalMs + 2_000) report(reported++);
      await sleep(1);
    }
    const postedFor = (performance.now() - start) / 1000;
    const serverCpuAfterPosting = session.serverCpuSeconds();
    const loadCpu = process.cpuUsage(loadCpuBefore);

    // Drain: every post answered, every acknowledged message at every member, and every
    // member's inbox showing its conversation's last message (or the limit passes).
    const postedAt = performance.now();
    const settled = () => status.every((s) => s !== PENDING) && missingDeliveries() === 0 && inboxBehind().length === 0;
    const missingDeliveries = () => {
      let missing = 0;
      for (let message = 0; message < total; message++) {
        if (status[message] !== ACKNOWLEDGED) continue;
        const members = membersOf(message % rooms);
        for (let k = 0; k < members; k++) if (received[message * groupSize + k] === 0) missing++;
      }
      return missing;
    };
    const inboxBehind = () => {
      const behind: number[] = [];
      for (let client = 0; client < clients.length; client++) {
        if (session.lastInboxBody[client] !== session.lastStreamBody[client]) behind.push(client);
      }
      return behind;
    };
    while (!settled() && performance.now() - postedAt < job.drainLimitMs) await sleep(50);
    const drainMs = performance.now() - postedAt;
    await sleep(SETTLE_MS);
    while (reported < bucketCount) report(reported++);

    // Exact accounting, message by message and member by member.
    let acknowledged = 0;
    let failed = 0;
    let unanswered = 0;
    let expected = 0;
    let missing = 0;
    let duplicates = 0;
    const unacknowledged: FanoutSoak['unacknowledged'] = [];
    const unacknowledgedMessages: number[] = [];
    const receivedByClient = new Uint32Array(clients.length);
    const expectedByClient = new Uint32Array(clients.length);
    for (let message = 0; message < total; message++) {
      const room = message % rooms;
      const members = membersOf(room);
      let reached = 0;
      for (let k = 0; k < members; k++) {
        const copies = received[message * groupSize + k] ?? 0;
        const client = room * groupSize + k;
        receivedByClient[client] = (receivedByClient[client] ?? 0) + copies;
        if (copies > 0) reached++;
        if (status[message] !== ACKNOWLEDGED) continue;
        expectedByClient[client] = (expectedByClient[client] ?? 0) + 1;
        if (copies === 0) missing++;
        if (copies > 1) duplicates += copies - 1;
      }
      if (status[message] === ACKNOWLEDGED) {
        acknowledged++;
        expected += members;
        continue;
      }
      if (status[message] === FAILED) failed++;
      else unanswered++;
      unacknowledgedMessages.push(message);
      if (unacknowledged.length < LISTED) unacknowledged.push({ message, error: errors.get(message) ?? 'no answer', reachedMembers: reached });
    }
    const short: FanoutSoak['clientsShort'] = [];
    let shortClients = 0;
    for (let client = 0; client < clients.length; client++) {
      const got = receivedByClient[client] ?? 0;
      const want = expectedByClient[client] ?? 0;
      if (got >= want) continue;
      shortClients++;
      if (short.length < LISTED) short.push({ userId: client + 1, received: got, expected: want });
    }
    const behind = inboxBehind();
    const intervals: SoakInterval[] = buckets.map((bucket, index) => {
      const nextCpu = buckets[index + 1]?.cpuAtStart ?? serverCpuAfterPosting;
      const seconds = Math.min(job.intervalMs, job.durationMs - index * job.intervalMs) / 1000;
      return {
        fromSeconds: (index * job.intervalMs) / 1000,
        posted: bucket.posted,
        acknowledged: bucket.acknowledged,
        failed: bucket.failed,
        delivered: bucket.delivered,
        latency: latencyOf(bucket.latencies),
        ackLatency: latencyOf(bucket.ackLatencies),
        serverCpu: (nextCpu - bucket.cpuAtStart) / seconds,
      };
    });
    const inboxCounts = Array.from(session.inboxEvents, (count, client) => count - (inboxEventsBefore[client] ?? 0));
    return {
      label: job.label,
      clientIdPrefix: job.clientIdPrefix,
      perSec: job.perSec,
      messagesPerSec,
      durationMs: job.durationMs,
      posted: total,
      acknowledged,
      failed,
      unanswered,
      firstError: errors.values().next().value ?? '',
      unacknowledged,
      unacknowledgedMessages,
      expectedDeliveries: expected,
      delivered,
      missingDeliveries: missing,
      duplicateDeliveries: duplicates,
      misdelivered,
      clientsShort: short,
      shortClients,
      receivedPerClient: { min: Math.min(...receivedByClient), max: Math.max(...receivedByClient) },
      inboxEventsPerClient: { min: Math.min(...inboxCounts), max: Math.max(...inboxCounts) },
      inboxBehind: behind.length,
      inboxBehindUsers: behind.slice(0, LISTED).map((client) => client + 1),
      drainMs,
      latency: latencyOf(buckets.flatMap((bucket) => bucket.latencies)),
      ackLatency: latencyOf(buckets.flatMap((bucket) => bucket.ackLatencies)),
      serverCpu: (serverCpuAfterPosting - serverCpuBefore) / postedFor,
      loadCpu: (loadCpu.user + loadCpu.system) / 1e6 / postedFor,
      intervals,
    };
  } finally {
    untrack();
  }
}
