/**
 * `pnpm bench:soak` (issue 7, fault 6): Parley under a steady load for a long time, at half
 * the capacity measured in the same run, with nothing lost and no memory creeping up.
 *
 * Per target: the fan-out scenario's ladder (scenarios.ts, fresh deployment) gives the
 * capacity, the highest deliveries/s whose p99 stays within 100 ms, in each run; the soak
 * takes half the lowest run's (a median hid a run at half the others, and a soak that close
 * to what the server sustains measures its backlog, not its memory). Then a
 * new deployment (a server that has never been overloaded, so its memory starts clean)
 * with the same clients, conversations of 10 each holding inbox.onEvent and its
 * conversation's conversations.onEvent, takes that rate: a warm-up, then the soak,
 * with the server's RSS after a forced GC sampled every 30 s. Afterwards each message is
 * checked by its clientId: stored exactly once in its own conversation when acknowledged,
 * received once by every member, and shown as the last message in every member's inbox.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { deploy, storedByClientId, type Deployment, type TargetSpec } from './deploy.ts';
import { groupsFixture } from './fixtures.ts';
import type { Memory } from './processes.ts';
import type { FanoutOpened, FanoutRun, FanoutSoak } from './load/jobs.ts';
import { describeMachine, type Machine } from './machine.ts';
import { fanout, type Context, type Outcome } from './scenarios.ts';
import { figureOf } from './summary.ts';

export interface SoakSettings {
  minutes: number;
  /** At the soak rate, before the RSS baseline: JIT, pools, caches and the database's first pages settle. */
  warmUpSeconds: number;
  sampleSeconds: number;
  intervalSeconds: number;
  /** How long after the last post deliveries may still arrive before they count as lost. */
  drainLimitSeconds: number;
  /** Growth of RSS after GC over the soak that fails it. */
  rssGrowthLimit: number;
  /** --per-sec: soak at this many deliveries/s instead of half the measured capacity (no ladder). */
  fixedPerSec: number | null;
}

export function soakSettings(minutes: number, fixedPerSec: number | null = null): SoakSettings {
  return {
    minutes,
    fixedPerSec,
    warmUpSeconds: Math.min(60, Math.max(15, minutes * 6)),
    sampleSeconds: 30,
    intervalSeconds: 60,
    drainLimitSeconds: 30,
    rssGrowthLimit: 0.1,
  };
}

/** The servers' memory after a forced full GC (summed over instances). */
export interface MemorySample extends Memory {
  /** Since the soak began (after the warm-up). */
  atSeconds: number;
  /** RSS split by kind (/proc/<pid>/status): anonymous (heap, malloc), file-backed (code, mapped files), shared memory (SQLite's -shm). */
  rssAnon: number;
  rssFile: number;
  rssShmem: number;
  /**
   * Anonymous RSS split by mapping (/proc/<pid>/smaps): the brk heap, where malloc puts the
   * main thread's small allocations (SQLite's page cache and statements, better-sqlite3,
   * ws, Node's own), and every other anonymous mapping (V8's heap pages, malloc's large
   * blocks and thread arenas).
   */
  rssBrkHeap: number;
  rssOtherAnon: number;
  /** How long the request took, the two GCs included: the load's latency feels this pause. */
  gcMs: number;
}

/** One phase's messages against the database, by clientId. */
export interface StoredCheck {
  rows: number;
  /** Acknowledged messages stored exactly once, in the conversation they were sent to. */
  storedOnce: number;
  /** Acknowledged but not in the database. */
  lost: number;
  /** Rows beyond the first under one clientId. */
  duplicates: number;
  /** Stored in another conversation than the one they were sent to. */
  misplaced: number;
  /** Failed or unanswered, yet stored (the send went through, its answer did not). */
  storedUnacknowledged: number;
  /** Rows under the phase's prefix that were never posted. */
  unknown: number;
}

export interface SoakPhase {
  load: FanoutSoak;
  stored: StoredCheck;
}

export interface Check {
  check: string;
  measured: string;
  passed: boolean;
}

export interface SoakOutcome {
  target: string;
  label: string;
  startedAt: string;
  durationSeconds: number;
  machine: Machine;
  /** The code soaked: HEAD, and whether packages/ or apps/ differed from it (work in progress). */
  code: { commit: string; uncommitted: string[] };
  settings: SoakSettings & { clients: number; groupSize: number; capacityRuns: number; latencyLimitMs: number };
  /** Deliveries/s within the p99 limit, per run of the ladder, and the lowest of them. */
  capacity: { perSec: number; runs: number[] } | null;
  soakPerSec: number;
  warmUp: SoakPhase | null;
  soak: SoakPhase | null;
  memory: { samples: MemorySample[]; baseline: MemorySample | null; end: MemorySample | null; growth: number; heapGrowth: number; slopeMiBPerMinute: number };
  checks: Check[];
  error?: string;
}

const MiB = 2 ** 20;
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const mib = (bytes: number) => (bytes / MiB).toFixed(1);
export const percent = (ratio: number) => `${ratio >= 0 ? '+' : ''}${(ratio * 100).toFixed(1)} %`;

export async function soakTarget(ctx: Context, spec: TargetSpec, s: SoakSettings): Promise<SoakOutcome> {
  const f = ctx.settings.fanout;
  const started = performance.now();
  const outcome: SoakOutcome = {
    target: spec.id,
    label: spec.label,
    startedAt: new Date().toISOString(),
    durationSeconds: 0,
    machine: describeMachine(),
    code: codeUnderTest(),
    settings: { ...s, clients: f.clients, groupSize: f.groupSize, capacityRuns: ctx.settings.runs, latencyLimitMs: f.latencyLimitMs },
    capacity: null,
    soakPerSec: Number.NaN,
    warmUp: null,
    soak: null,
    memory: { samples: [], baseline: null, end: null, growth: Number.NaN, heapGrowth: Number.NaN, slopeMiBPerMinute: Number.NaN },
    checks: [],
  };
  try {
    if (s.fixedPerSec === null) {
      ctx.log(`soak · ${spec.label}: capacity first (the fan-out ladder, ${ctx.settings.runs} run${ctx.settings.runs === 1 ? '' : 's'}), then ${s.minutes} min at half the lowest run`);
      outcome.capacity = capacityOf(await fanout(ctx, [spec]));
      outcome.soakPerSec = outcome.capacity.perSec / 2;
    } else {
      outcome.soakPerSec = s.fixedPerSec;
    }
    ctx.log(
      `soak · ${spec.label}: ${outcome.capacity ? `capacity ${Math.round(outcome.capacity.perSec)} deliveries/s (runs: ${outcome.capacity.runs.map(Math.round).join(', ')}); ` : ''}` +
        `soaking at ${Math.round(outcome.soakPerSec)} deliveries/s = ${(outcome.soakPerSec / f.groupSize).toFixed(1)} messages/s ` +
        `(${s.warmUpSeconds} s warm-up, then ${s.minutes} min)`,
    );
    await soakAt(ctx, spec, s, outcome);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    ctx.log(`  FAILED: ${message}`);
    outcome.error = message.slice(0, 2_000);
  }
  outcome.checks = checksOf(outcome);
  outcome.durationSeconds = (performance.now() - started) / 1000;
  return outcome;
}

function capacityOf([measured]: Outcome<FanoutRun>[]): { perSec: number; runs: number[] } {
  if (!measured || measured.error || measured.runs.length === 0) throw new Error(`capacity not measured: ${measured?.error ?? 'no fan-out run'}`);
  const runs = measured.runs.map((run) => run.maxPassingPerSec);
  const perSec = figureOf(runs).min;
  if (!(perSec > 0)) throw new Error(`no step of the ladder stayed within the p99 limit (runs: ${runs.join(', ')}): nothing to soak at`);
  return { perSec, runs };
}

async function soakAt(ctx: Context, spec: TargetSpec, s: SoakSettings, outcome: SoakOutcome): Promise<void> {
  const f = ctx.settings.fanout;
  const rooms = Math.ceil(f.clients / f.groupSize);
  const perSec = outcome.soakPerSec;
  const session = `soak-${spec.id}`;
  const deployment = await deploy(spec, { data: groupsFixture(rooms, f.groupSize), redisUrl: ctx.redisUrl });
  const memory = async (atSeconds: number): Promise<MemorySample> => {
    const asked = performance.now();
    const all = await Promise.all(deployment.servers.map((server) => server.memory()));
    const gcMs = performance.now() - asked;
    const total = (key: keyof Memory) => all.reduce((sum, m) => sum + m[key], 0);
    const parts = deployment.servers.map((server) => rssParts(server.pid));
    const part = (key: keyof (typeof parts)[number]) => parts.reduce((sum, p) => sum + p[key], 0);
    return {
      atSeconds,
      gcMs,
      rssAnon: part('anon'),
      rssFile: part('file'),
      rssShmem: part('shmem'),
      rssBrkHeap: part('brkHeap'),
      rssOtherAnon: part('otherAnon'),
      rss: total('rss'),
      heapUsed: total('heapUsed'),
      heapTotal: total('heapTotal'),
      external: total('external'),
      arrayBuffers: total('arrayBuffers'),
      v8Malloced: total('v8Malloced'),
    };
  };
  const phase = (label: string, seconds: number, intervalSeconds: number, clientIdPrefix: string) =>
    ctx.load.run<FanoutSoak>({
      type: 'fanout-soak',
      session,
      label,
      perSec,
      durationMs: seconds * 1000,
      intervalMs: intervalSeconds * 1000,
      clientIdPrefix,
      drainLimitMs: s.drainLimitSeconds * 1000,
    });
  try {
    const opened = await ctx.load.run<FanoutOpened>({
      type: 'fanout-open',
      session,
      endpoint: deployment.endpoint,
      clients: f.clients,
      groupSize: f.groupSize,
      inbox: f.inbox,
      warmUpPerSec: perSec,
      warmUpMs: f.stepMs,
    });
    ctx.log(`  ${opened.connected} clients connected`);
    // Prefixes without "_" or "%": they are matched with LIKE.
    const warmUp = await phase('warm-up', s.warmUpSeconds, s.warmUpSeconds, 'soakwarmup-');
    outcome.warmUp = { load: warmUp, stored: await checkStored(deployment, warmUp, rooms) };
    const baseline = await memory(0);
    outcome.memory.baseline = baseline;
    outcome.memory.samples.push(baseline);
    ctx.log(`  after the warm-up: ${describeMemory(baseline)} (after GC)`);

    const soakStarted = performance.now();
    const since = () => (performance.now() - soakStarted) / 1000;
    const running = phase('minute', s.minutes * 60, s.intervalSeconds, 'soak-');
    await whileRunning(running, s.sampleSeconds * 1000, async () => {
      const sample = await memory(since());
      outcome.memory.samples.push(sample);
      ctx.log(`  ${Math.round(sample.atSeconds)} s: ${describeMemory(sample, baseline)}`);
    });
    const soaked = await running;
    const end = await memory(since());
    outcome.memory.samples.push(end);
    outcome.memory.end = end;
    outcome.memory.growth = end.rss / baseline.rss - 1;
    outcome.memory.heapGrowth = end.heapUsed / baseline.heapUsed - 1;
    outcome.memory.slopeMiBPerMinute = slope(outcome.memory.samples.map((m) => [m.atSeconds / 60, m.rss / MiB]));
    ctx.log(`  at the end: ${describeMemory(end, baseline)}`);
    outcome.soak = { load: soaked, stored: await checkStored(deployment, soaked, rooms) };
  } finally {
    await ctx.load.run({ type: 'fanout-close', session }).catch(() => undefined);
    await deployment.close();
  }
}

function describeMemory(m: MemorySample, baseline?: MemorySample): string {
  const growth = baseline ? ` (${percent(m.rss / baseline.rss - 1)})` : '';
  return (
    `RSS ${mib(m.rss)} MiB${growth}, heap ${mib(m.heapUsed)} of ${mib(m.heapTotal)} MiB, ` +
    `external ${mib(m.external)} MiB, V8 malloc ${mib(m.v8Malloced)} MiB; RSS anon ${mib(m.rssAnon)} (brk heap ${mib(m.rssBrkHeap)}, other ${mib(m.rssOtherAnon)}) ` +
    `file ${mib(m.rssFile)} shmem ${mib(m.rssShmem)} MiB; GC request ${Math.round(m.gcMs)} ms`
  );
}

/** RSS by kind from /proc (NaN where there is none). */
function rssParts(pid: number): { anon: number; file: number; shmem: number; brkHeap: number; otherAnon: number } {
  const read = (file: string) => {
    try {
      return readFileSync(`/proc/${pid}/${file}`, 'utf8');
    } catch {
      return ''; // Not Linux, or the process is gone.
    }
  };
  const status = read('status');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  // smaps: a header line per mapping (address range, perms, offset, device, inode, path), then "Field: N kB" lines.
  let brkHeap = 0;
  let otherAnon = 0;
  let mapping = '';
  const smaps = read('smaps');
  for (const line of smaps.split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (header) {
      // inode 0 and no path (or a [heap]/[anon:…] label): anonymous memory.
      const [, inode, path = ''] = header;
      mapping = path === '[heap]' ? 'brk' : inode === '0' && (path === '' || path.startsWith('[anon')) ? 'anon' : 'other';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    if (mapping === 'brk') brkHeap += Number(rss[1]) * 1024;
    else if (mapping === 'anon') otherAnon += Number(rss[1]) * 1024;
  }
  if (!smaps) brkHeap = otherAnon = Number.NaN;
  return { anon: kib('RssAnon'), file: kib('RssFile'), shmem: kib('RssShmem'), brkHeap, otherAnon };
}

/** HEAD and the files of packages/ and apps/ that differ from it: what the servers ran. */
function codeUnderTest(): SoakOutcome['code'] {
  const git = (...args: string[]) => {
    try {
      // trimEnd: porcelain lines start with a space when only the worktree differs.
      return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd();
    } catch {
      return '';
    }
  };
  const uncommitted = git('status', '--porcelain', '--', 'packages', 'apps')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.slice(3));
  return { commit: git('rev-parse', '--short', 'HEAD') || 'unknown', uncommitted };
}

/** Calls `sample` every `everyMs` until `work` settles. */
async function whileRunning(work: Promise<unknown>, everyMs: number, sample: () => Promise<void>): Promise<void> {
  let done = false;
  const finished = work.then(
    () => void (done = true),
    () => void (done = true),
  );
  const started = performance.now();
  for (let next = everyMs; !done; next += everyMs) {
    let timer: NodeJS.Timeout | undefined;
    const tick = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, started + next - performance.now()))));
    await Promise.race([tick, finished]);
    clearTimeout(timer);
    if (!done) await sample();
  }
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const covariance = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0);
  const variance = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  return variance > 0 ? covariance / variance : Number.NaN;
}

/** Each message the phase posted against the rows stored under its clientId. */
async function checkStored(deployment: Deployment, phase: FanoutSoak, rooms: number): Promise<StoredCheck> {
  if (!deployment.database) throw new Error('the soak needs a Parley deployment with a database');
  const stored = await storedByClientId(deployment.database, phase.clientIdPrefix);
  const unacknowledged = new Set(phase.unacknowledgedMessages);
  const check: StoredCheck = { rows: 0, storedOnce: 0, lost: 0, duplicates: 0, misplaced: 0, storedUnacknowledged: 0, unknown: 0 };
  for (const conversations of stored.values()) check.rows += conversations.length;
  for (let message = 0; message < phase.posted; message++) {
    const clientId = `${phase.clientIdPrefix}${message}`;
    const conversations = stored.get(clientId) ?? [];
    stored.delete(clientId);
    check.duplicates += Math.max(0, conversations.length - 1);
    if (unacknowledged.has(message)) {
      if (conversations.length > 0) check.storedUnacknowledged++;
      continue;
    }
    if (conversations.length === 0) check.lost++;
    else if (conversations.some((conversation) => conversation !== (message % rooms) + 1)) check.misplaced++;
    else if (conversations.length === 1) check.storedOnce++;
  }
  check.unknown = stored.size;
  return check;
}

const sum = (outcome: SoakOutcome, value: (phase: SoakPhase) => number) =>
  [outcome.warmUp, outcome.soak].reduce((total, phase) => total + (phase ? value(phase) : 0), 0);

/** What the soak promises, over the warm-up and the soak together (memory: over the soak). */
export function checksOf(outcome: SoakOutcome): Check[] {
  if (!outcome.warmUp || !outcome.soak) return outcome.error ? [{ check: 'the soak ran to the end', measured: outcome.error.split('\n')[0] ?? '', passed: false }] : [];
  const n = (value: (phase: SoakPhase) => number) => sum(outcome, value);
  const count = (value: number) => value.toLocaleString('en-US');
  const posted = n((p) => p.load.posted);
  const acknowledged = n((p) => p.load.acknowledged);
  const failed = n((p) => p.load.failed);
  const unanswered = n((p) => p.load.unanswered);
  const storedOnce = n((p) => p.stored.storedOnce);
  const lost = n((p) => p.stored.lost);
  const storedTwice = n((p) => p.stored.duplicates);
  const misplaced = n((p) => p.stored.misplaced);
  const unknown = n((p) => p.stored.unknown);
  const expected = n((p) => p.load.expectedDeliveries);
  const missing = n((p) => p.load.missingDeliveries);
  const duplicates = n((p) => p.load.duplicateDeliveries);
  const misdelivered = n((p) => p.load.misdelivered);
  const { baseline, end, growth } = outcome.memory;
  const clients = outcome.settings.clients;
  const behind = outcome.soak.load.inboxBehind;
  return [
    {
      check: 'every send answered, none failed',
      measured: `${count(posted)} sent, ${count(acknowledged)} acknowledged, ${count(failed)} failed, ${count(unanswered)} unanswered`,
      passed: failed === 0 && unanswered === 0 && acknowledged === posted,
    },
    {
      check: 'every acknowledged message stored exactly once, in its conversation',
      measured: `${count(storedOnce)} of ${count(acknowledged)}; ${count(lost)} missing, ${count(storedTwice)} extra rows, ${count(misplaced)} misplaced, ${count(unknown)} unknown`,
      passed: storedOnce === acknowledged && lost + storedTwice + misplaced + unknown === 0,
    },
    {
      check: 'every member received every acknowledged message once',
      measured: `${count(expected - missing)} of ${count(expected)} deliveries; ${count(missing)} missing, ${count(duplicates)} duplicated, ${count(misdelivered)} to non-members`,
      passed: missing + duplicates + misdelivered === 0,
    },
    {
      check: "every member's inbox ends on its conversation's last message",
      measured: `${count(clients - behind)} of ${count(clients)} clients`,
      passed: behind === 0,
    },
    {
      check: `RSS after GC grows < ${Math.round(outcome.settings.rssGrowthLimit * 100)} % over the soak`,
      measured: baseline && end ? `${mib(baseline.rss)} → ${mib(end.rss)} MiB: ${percent(growth)}` : 'not measured',
      passed: Number.isFinite(growth) && growth < outcome.settings.rssGrowthLimit,
    },
  ];
}

export const passed = (outcome: SoakOutcome) => !outcome.error && outcome.checks.length > 0 && outcome.checks.every((check) => check.passed);
