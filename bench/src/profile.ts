/**
 * `pnpm bench --profile`: Parley (on SQLite unless `--targets` names another) under the send path, under fan-out and answering
 * the inbox (conversations.list at full size, one call after another), each in its own server process, profiled (V8's sampling CPU profiler, started in the server
 * through parley-hook.ts) only while the workload runs; then where the server's CPU time
 * went: the functions with the most self time, the same time summed by package, and the plain-SQL
 * statements run meanwhile by total time. Then the same workload again under V8's sampling
 * heap profiler: what it allocated per unit of work, and where. `--per-sec N` profiles
 * fan-out at N deliveries/s.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deploy, TARGETS, type Deployment, type TargetSpec } from './deploy.ts';
import { directsFixture, groupsFixture } from './fixtures.ts';
import type { FanoutOpened, FanoutSweep, QueryRun, SendJob, SendRun } from './load/jobs.ts';
import { inboxDataset, inboxListJob, type Context } from './scenarios.ts';
import type { ProfileKind, StatementTotal } from './targets/control.ts';

/**
 * Fan-out is profiled by default at a rate Parley sustains on a slow hour of this machine (a
 * heavily overloaded server mostly profiles its queue); `--per-sec` sets another, e.g. near
 * the limit, where the costs that grow with load show.
 */
const FANOUT_PROFILE_RATE = 2_500;
const PROFILE_SECONDS = 10;
const INBOX_PROFILE_CALLS = 1_000;
const TOP = 25;

export async function runProfiles(ctx: Context, outDir: string, spec: TargetSpec, fanoutPerSec = FANOUT_PROFILE_RATE): Promise<void> {
  // SQLite's are the committed profiles (bench/results/profile-*.txt); another target's carry its id.
  const name = (part: string) => (spec.id === TARGETS.sqlite.id ? part : `${spec.id}-${part}`);
  const options = { redisUrl: ctx.redisUrl };
  const dir = resolve(outDir, 'profiles');
  mkdirSync(dir, { recursive: true });
  const summarize = (part: string, title: string, unit: string, profiled: Profiled) =>
    report(ctx, { dir, outDir, name: name(part), target: spec.label, title, unit, ...profiled });

  const senders = ctx.settings.send.senders;
  const sendJob = (deployment: Deployment, prefix: string, seconds: number): SendJob => ({
    type: 'send',
    endpoint: deployment.endpoint,
    senders: Array.from({ length: senders }, (_, i) => ({ userId: i + 1, conversationId: i + 1 })),
    warmupMs: 0,
    durationMs: seconds * 1000,
    clientIdPrefix: prefix,
  });
  ctx.log(`profiling the send path: ${senders} senders for ${PROFILE_SECONDS} s, after a 3 s warm-up`);
  const sendDeployment = await deploy(spec, { ...options, data: directsFixture(senders) });
  let send: Profiled;
  try {
    await ctx.load.run<SendRun>(sendJob(sendDeployment, 'warmup-', 3));
    send = await profileWorkload(sendDeployment, join(dir, name('send')), async (window) => {
      const run = await ctx.load.run<SendRun>(sendJob(sendDeployment, `${window}-`, PROFILE_SECONDS));
      ctx.log(`  ${Math.round(run.perSec)} sends/s while profiled (${window}), p50 ${run.latency.p50.toFixed(1)} ms`);
      return run.ackedTotal;
    });
  } finally {
    await sendDeployment.close();
  }
  summarize('send', 'send path', 'send', send);

  const s = ctx.settings.fanout;
  ctx.log(
    `profiling fan-out: ${s.clients} clients in conversations of ${s.groupSize}${s.inbox ? ' (each with inbox.onEvent)' : ''}, ` +
      `${fanoutPerSec} deliveries/s for ${PROFILE_SECONDS} s`,
  );
  const fanoutDeployment = await deploy(spec, { ...options, data: groupsFixture(Math.ceil(s.clients / s.groupSize), s.groupSize) });
  let fanout: Profiled;
  try {
    const session = 'profile';
    await ctx.load.run<FanoutOpened>({
      type: 'fanout-open',
      session,
      endpoint: fanoutDeployment.endpoint,
      clients: s.clients,
      groupSize: s.groupSize,
      inbox: s.inbox,
      warmUpPerSec: fanoutPerSec,
      warmUpMs: 3_000,
    });
    fanout = await profileWorkload(fanoutDeployment, join(dir, name('fanout')), async (window) => {
      const run = await ctx.load.run<FanoutSweep>({
        type: 'fanout-sweep',
        session,
        ladder: [fanoutPerSec],
        stepMs: PROFILE_SECONDS * 1000,
        drainMs: s.drainMs,
        latencyLimitMs: s.latencyLimitMs,
      });
      const step = run.steps[0];
      if (step) ctx.log(`  delivered ${Math.round(step.deliveredPerSec)}/s, p50 ${step.latency.p50.toFixed(1)} ms, p99 ${step.latency.p99.toFixed(1)} ms while profiled (${window})`);
      return step?.delivered ?? 0;
    });
    await ctx.load.run({ type: 'fanout-close', session });
  } finally {
    await fanoutDeployment.close();
  }
  summarize('fanout', 'fan-out', 'delivery', fanout);

  const inbox = ctx.settings.inbox;
  const fixture = inboxDataset(inbox, { scale: 1, history: false });
  ctx.log(`profiling the inbox: conversations.list (${inbox.pageSize} items) at full size, ${INBOX_PROFILE_CALLS} calls one after another`);
  const inboxDeployment = await deploy(spec, { ...options, data: fixture.data });
  let inboxProfiled: Profiled;
  try {
    const queryJob = (calls: number) =>
      inboxListJob(inbox, inboxDeployment.endpoint, fixture.focusUserId, { warmup: 0, calls, budgetMs: PROFILE_SECONDS * 1000 });
    await ctx.load.run<QueryRun>(queryJob(inbox.warmup));
    inboxProfiled = await profileWorkload(inboxDeployment, join(dir, name('inbox')), async (window) => {
      const run = await ctx.load.run<QueryRun>(queryJob(INBOX_PROFILE_CALLS));
      ctx.log(`  p50 ${run.latency.p50.toFixed(2)} ms, p99 ${run.latency.p99.toFixed(2)} ms while profiled (${window})`);
      return run.latency.count;
    });
  } finally {
    await inboxDeployment.close();
  }
  summarize('inbox', 'inbox', 'call', inboxProfiled);
}

/** What profileWorkload recorded. */
interface Profiled {
  /** The plain-SQL statements run while the CPU was profiled. */
  statements: StatementTotal[];
  /** How much work (sends, deliveries, calls) the allocation window did. */
  allocationsWork: number;
}

/**
 * Runs `workload` twice on the deployment's (first) server: under the CPU profiler
 * (`<path>.cpuprofile`), then under the allocation sampler (`<path>.heapprofile`), each
 * for a window of its own, since the sampler takes CPU time of its own. `workload` says how
 * much work it did.
 */
async function profileWorkload(deployment: Deployment, path: string, workload: (window: ProfileKind) => Promise<number>): Promise<Profiled> {
  const [server] = deployment.servers;
  if (!server) throw new Error('a deployment without a server');
  await server.profileStart('cpu');
  await workload('cpu');
  const statements = await server.profileStop(`${path}.cpuprofile`);
  await server.profileStart('allocations');
  const allocationsWork = await workload('allocations');
  await server.profileStop(`${path}.heapprofile`);
  return { statements, allocationsWork };
}

function report(
  ctx: Context,
  { dir, outDir, name, statements, allocationsWork, unit, target, title }: Profiled & { dir: string; outDir: string; name: string; unit: string; target: string; title: string },
): void {
  const profilePath = join(dir, `${name}.cpuprofile`);
  const textPath = join(outDir, `profile-${name}.txt`);
  const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as CpuProfile;
  const allocations = JSON.parse(readFileSync(join(dir, `${name}.heapprofile`), 'utf8')) as AllocationProfile;
  const text = [
    summarizeProfile(profile, target, title),
    summarizeStatements(statements, profile),
    summarizeAllocations(allocations, PROFILE_SECONDS, { count: allocationsWork, unit }),
  ].join('\n\n');
  writeFileSync(textPath, `${text}\n`);
  ctx.log(`\n${text}\n(written to ${textPath}; the raw profiles, ${profilePath} and .heapprofile, open in Chrome DevTools)\n`);
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** `file:///…/node_modules/.pnpm/x@1/node_modules/@scope/pkg/dist/a.js` → `@scope/pkg/dist/a.js`; the repo's own files relative to it. */
function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const inModules = path.lastIndexOf('/node_modules/');
  if (inModules >= 0) return path.slice(inModules + '/node_modules/'.length);
  const repo = path.search(/\/(packages|apps|bench)\//);
  return repo >= 0 ? path.slice(repo + 1) : path;
}

/** Where a function lives: a package, one of ours, Node itself, or V8. */
function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : 'V8 / native';
  if (url.startsWith('node:')) return 'node: (core)';
  const short = shortUrl(url);
  if (/^(packages|apps|bench)\//.test(short)) return short.split('/').slice(0, 2).join('/');
  const parts = short.split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? short);
}

export function summarizeProfile(profile: CpuProfile, target: string, title: string): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfTime = new Map<number, number>();
  profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  let idle = 0;
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  /** The nearest caller with a source file: native code (a C++ binding, a builtin) is charged to it. */
  const callerWithSource = (id: number) => {
    for (let at = parent.get(id); at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame?.url) return frame;
    }
    return undefined;
  };
  for (const [id, micros] of selfTime) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    total += micros;
    // Idle, and the profiler's own inspector session, are not the server's work.
    if (frame.functionName === '(idle)' || frame.url.startsWith('node:inspector')) {
      idle += micros;
      continue;
    }
    let key: string;
    let area: string;
    const caller = frame.url || frame.functionName.startsWith('(') ? undefined : callerWithSource(id);
    if (caller) {
      key = `native ${frame.functionName || 'code'} called by ${shortUrl(caller.url)}:${caller.lineNumber + 1} ${caller.functionName || '(anonymous)'}`;
      area = `${areaOf(caller.url, caller.functionName)} (native)`;
    } else {
      const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
      key = `${where ? `${where} ` : ''}${frame.functionName || '(anonymous)'}`;
      area = areaOf(frame.url, frame.functionName);
    }
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
    byArea.set(area, (byArea.get(area) ?? 0) + micros);
  }
  const busy = total - idle;

  // Inclusive time of Parley's own functions (packages/, apps/): each sample counts once for
  // every one of them on its stack, so it shows which code paths the time is spent under.
  const ownKeyOf = new Map<number, string | null>();
  const ownKey = (id: number): string | null => {
    if (ownKeyOf.has(id)) return ownKeyOf.get(id) ?? null;
    const frame = byId.get(id)?.callFrame;
    const short = frame?.url ? shortUrl(frame.url) : '';
    const key = frame && /^(packages|apps)\//.test(short) ? `${short}:${frame.lineNumber + 1} ${frame.functionName || '(anonymous)'}` : null;
    ownKeyOf.set(id, key);
    return key;
  };
  const inclusive = new Map<string, number>();
  for (const [id, micros] of selfTime) {
    const frame = byId.get(id)?.callFrame;
    if (frame?.functionName === '(idle)' || frame?.url.startsWith('node:inspector')) continue;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = ownKey(at);
      if (key && !seen.has(key)) {
        seen.add(key);
        inclusive.set(key, (inclusive.get(key) ?? 0) + micros);
      }
    }
  }
  const pct = (micros: number) => `${((micros / busy) * 100).toFixed(1).padStart(5)} %`;
  const top = (map: Map<string, number>, n: number) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
  return [
    `CPU profile of ${target}, ${title}: ${(total / 1e6).toFixed(1)} s sampled, ${((busy / total) * 100).toFixed(0)} % busy; shares are of busy time`,
    '',
    'self time by package / area:',
    ...top(byArea, 15).map(([area, micros]) => `  ${pct(micros)}  ${area}`),
    '',
    `top ${TOP} functions by self time (native code, e.g. SQLite inside better-sqlite3, is charged to its JavaScript caller):`,
    ...top(byFunction, TOP).map(([fn, micros]) => `  ${pct(micros)}  ${fn}`),
    '',
    "Parley's own functions by inclusive time (in them and what they call synchronously; work resumed after an",
    'await is charged to the library that resumes it, so this undercounts async code paths):',
    ...top(inclusive, TOP).map(([fn, micros]) => `  ${pct(micros)}  ${fn}`),
  ].join('\n');
}

/** Statements' SQL on one line, cut to this many characters. */
const SQL_SHOWN = 110;

/**
 * The plain-SQL statements of the profiled window by total time: what the CPU profile can
 * only charge to `all` and `run`. On SQLite a statement's time is spent on the event loop;
 * on PostgreSQL it is a round trip (waiting included), so its total is not CPU.
 */
export function summarizeStatements(statements: StatementTotal[], profile: CpuProfile): string {
  if (statements.length === 0) return 'plain-SQL statements: none while profiled';
  const sampledMs = profile.timeDeltas.reduce((sum, delta) => sum + delta, 0) / 1000;
  const sorted = [...statements].sort((a, b) => b.ms - a.ms);
  return [
    `plain-SQL statements by total time (timed in the server; ${sampledMs.toFixed(0)} ms sampled; on PostgreSQL a round trip, waiting included):`,
    '  total ms     calls   us/call  statement',
    ...sorted.slice(0, TOP).map(({ sql, calls, ms }) => {
      const oneLine = sql.replace(/\s+/g, ' ').trim();
      const shown = oneLine.length > SQL_SHOWN ? `${oneLine.slice(0, SQL_SHOWN - 1)}…` : oneLine;
      return `  ${ms.toFixed(0).padStart(8)}  ${String(calls).padStart(8)}  ${((ms * 1000) / calls).toFixed(1).padStart(8)}  ${shown}`;
    }),
  ].join('\n');
}

interface AllocationProfile {
  head: AllocationNode;
}
interface AllocationNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  /** Bytes sampled as allocated in this function itself. */
  selfSize: number;
  children: AllocationNode[];
}

/**
 * What the profiled window allocated (V8's sampling heap profiler, objects collected since
 * included: the garbage the collector had to deal with), per second and per unit of work,
 * and where: by function itself, and by Parley's own functions with what they call
 * synchronously.
 */
export function summarizeAllocations(allocations: AllocationProfile, seconds: number, work: { count: number; unit: string }): string {
  const bySelf = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  const visit = (node: AllocationNode, own: readonly string[]) => {
    const { url, lineNumber, functionName } = node.callFrame;
    const short = url ? shortUrl(url) : '';
    const key = `${short ? `${short}:${lineNumber + 1} ` : ''}${functionName || '(anonymous)'}`;
    const mine = /^(packages|apps)\//.test(short) && !own.includes(key) ? [...own, key] : own;
    total += node.selfSize;
    bySelf.set(key, (bySelf.get(key) ?? 0) + node.selfSize);
    for (const fn of mine) inclusive.set(fn, (inclusive.get(fn) ?? 0) + node.selfSize);
    for (const child of node.children) visit(child, mine);
  };
  visit(allocations.head, []);
  const pct = (bytes: number) => `${((bytes / total) * 100).toFixed(1).padStart(5)} %`;
  const top = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, TOP);
  const perUnit = work.count > 0 ? `, ${(total / work.count / 1024).toFixed(1)} KiB per ${work.unit} (${work.count})` : '';
  return [
    `allocations (sampled, objects since collected included): ${(total / 2 ** 20).toFixed(0)} MiB in ${seconds.toFixed(1)} s, ${(total / 2 ** 20 / seconds).toFixed(0)} MiB/s${perUnit}`,
    `top ${TOP} functions by bytes allocated (native code's allocations are charged to its JavaScript caller):`,
    ...top(bySelf).map(([fn, bytes]) => `  ${pct(bytes)}  ${fn}`),
    '',
    "Parley's own functions by bytes allocated in them and what they call synchronously:",
    ...top(inclusive).map(([fn, bytes]) => `  ${pct(bytes)}  ${fn}`),
  ].join('\n');
}
