/**
 * `pnpm bench` (USAGE below lists every option; `pnpm bench --help` prints it)
 *
 * Starts each server under test as its own process, drives it from a separate load process
 * with real WebSocket clients on 127.0.0.1, and writes bench/results/<mode>.json (every
 * run's figures), <mode>.svg (the chart) and <mode>.md (the table), printing the table.
 * Baselines run in the same invocation so ratios hold on a noisy machine.
 *
 * PostgreSQL targets need PARLEY_TEST_POSTGRES_URL (a scratch database is created and
 * dropped), the two-instance target PARLEY_TEST_REDIS_URL too; without them they are
 * skipped, and said so. --quick: smaller counts, one run, SQLite and the baselines only,
 * under two minutes; it exits non-zero unless every scenario produced numbers (CI smoke).
 * `pnpm bench --profile` instead profiles Parley's send path, fan-out and the inbox (profile.ts);
 * `pnpm bench --serialization` times Parley's hot-path frames as JSON and as superjson (serialization.ts);
 * `pnpm bench --from bench/results/full.json` re-renders an earlier run's table and chart.
 * `pnpm bench:soak [--minutes 10] [--targets sqlite] [--per-sec N]` (= `--soak`) measures
 * fan-out capacity, then runs Parley at half of it (or at N deliveries/s) for --minutes and
 * checks loss and memory (soak.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { testPostgresUrl } from '@parley/db';
import { TARGETS, type TargetId, type TargetSpec } from './deploy.ts';
import { describeMachine, machineLine } from './machine.ts';
import { startLoad } from './processes.ts';
import { chartSvg, figures, goals, goalsTable, markdownTable, summaryText, type Results } from './report.ts';
import { connections, fanout, FULL, queries, QUICK, sendPath, type Context } from './scenarios.ts';
import { runProfiles } from './profile.ts';
import { runSerialization } from './serialization.ts';
import { passed, soakSettings, soakTarget, type SoakOutcome } from './soak.ts';
import { FULL_SOAK_MINUTES, soakMarkdown, writeSoakResults } from './soak-report.ts';

const SCENARIOS = ['fanout', 'connections', 'send', 'inbox'] as const;
type Scenario = (typeof SCENARIOS)[number];
const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

const USAGE = `usage: pnpm bench [--quick] [--runs N] [--thread-only] [--scenarios ${SCENARIOS.join(',')}]
                  [--targets ${Object.keys(TARGETS).join(',')}] [--out DIR]
       pnpm bench --profile [--targets sqlite|postgres|redis2] [--per-sec N] [--out DIR]
       pnpm bench --serialization [--out DIR]
       pnpm bench --from bench/results/full.json
       pnpm bench:soak [--minutes N] [--targets sqlite] [--per-sec N]
(bench/src/bench.ts and the README's Performance section say what each does)`;

const OPTIONS = {
  help: { type: 'boolean', default: false },
  quick: { type: 'boolean', default: false },
  profile: { type: 'boolean', default: false },
  serialization: { type: 'boolean', default: false },
  soak: { type: 'boolean', default: false },
  /** --soak: how long the soak runs after its warm-up. */
  minutes: { type: 'string', default: String(FULL_SOAK_MINUTES) },
  /** --soak: a fixed rate in deliveries/s instead of half the measured capacity (a trial, to repeat a soak). */
  'per-sec': { type: 'string' },
  'thread-only': { type: 'boolean', default: false },
  runs: { type: 'string' },
  scenarios: { type: 'string', default: SCENARIOS.join(',') },
  /** Default: every target; with --soak, SQLite. */
  targets: { type: 'string' },
  out: { type: 'string', default: RESULTS_DIR },
  /** Re-render the table, chart and goals of an earlier run's JSON (after a change to report.ts). */
  from: { type: 'string' },
} as const;

const { values: args } = parseOptions();

function parseOptions() {
  try {
    const parsed = parseArgs({ options: OPTIONS });
    if (!parsed.values.help) return parsed;
    console.log(USAGE);
    process.exit(0);
  } catch (error) {
    // An unknown or malformed option: say so and how to call it, not a stack trace.
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exit(2);
  }
}

if (args.serialization) {
  if (args.quick || args.profile || args.soak || args.from) {
    console.error('--serialization runs on its own, without --quick, --profile, --soak or --from');
    process.exit(2);
  }
  // In process: it times codecs, not servers.
  mkdirSync(args.out, { recursive: true });
  runSerialization(args.out, (text) => console.log(text));
  process.exit(0);
}

if (args.from) {
  const earlier = JSON.parse(readFileSync(args.from, 'utf8')) as Results;
  const base = join(dirname(args.from), earlier.mode);
  const goalList = goals(earlier);
  writeFileSync(`${base}.json`, `${JSON.stringify({ ...earlier, figures: figures(earlier), goals: goalList }, null, 2)}\n`);
  writeFileSync(`${base}.svg`, chartSvg(earlier));
  writeFileSync(`${base}.md`, `${markdownTable(earlier)}\n\n${goalsTable(goalList)}\n`);
  console.log(`${summaryText(earlier)}\n\nrewrote ${base}.json, ${base}.svg and ${base}.md`);
  process.exit(0);
}

function listArg<T extends string>(name: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(',').map((item) => item.trim()).filter(Boolean);
  const bad = items.filter((item) => !(allowed as readonly string[]).includes(item));
  if (bad.length > 0 || items.length === 0) {
    console.error(`--${name} takes a comma-separated list of ${allowed.join(', ')}; not known: ${bad.join(', ') || '(empty)'}`);
    process.exit(2);
  }
  return items as T[];
}

const settings = structuredClone(args.quick ? QUICK : FULL);
// Fan-out clients hold what the web app holds with a conversation open (inbox.onEvent and
// conversations.onEvent); --thread-only leaves the inbox out, to see what it costs.
settings.fanout.inbox = !args['thread-only'];
if (args.runs !== undefined) {
  const runs = Number(args.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 20) {
    console.error(`--runs must be an integer from 1 to 20, got "${args.runs}"`);
    process.exit(2);
  }
  settings.runs = runs;
}
const minutes = Number(args.minutes);
if (args.soak && (!Number.isFinite(minutes) || minutes < 0.5 || minutes > 120)) {
  console.error(`--minutes must be a number from 0.5 to 120, got "${args.minutes}"`);
  process.exit(2);
}
const fixedPerSec = args['per-sec'] === undefined ? null : Number(args['per-sec']);
if ((args.soak || args.profile) && fixedPerSec !== null && !(Number.isFinite(fixedPerSec) && fixedPerSec >= 10 && fixedPerSec <= 100_000)) {
  console.error(`--per-sec must be a number of deliveries/s from 10 to 100000, got "${args['per-sec']}"`);
  process.exit(2);
}
if (args.soak && (args.quick || args.profile)) {
  console.error('--soak runs on its own, without --quick or --profile');
  process.exit(2);
}
const allTargets = Object.keys(TARGETS).join(',');
const targetList = args.targets ?? (args.soak || args.profile ? TARGETS.sqlite.id : allTargets);
const scenarios = listArg<Scenario>('scenarios', args.scenarios, SCENARIOS);
const requested = listArg<TargetId>('targets', targetList, Object.keys(TARGETS) as TargetId[]);
if (args.soak && requested.some((id) => TARGETS[id].protocol !== 'parley')) {
  console.error('--soak soaks Parley: --targets takes sqlite, postgres or redis2');
  process.exit(2);
}
if (args.profile && (requested.length !== 1 || requested.some((id) => TARGETS[id].protocol !== 'parley'))) {
  console.error('--profile profiles one Parley target: --targets takes sqlite, postgres or redis2');
  process.exit(2);
}
const redisUrl = process.env.PARLEY_TEST_REDIS_URL || undefined;
const skipped: string[] = [];
const targets: TargetSpec[] = requested
  .map((id) => TARGETS[id])
  .filter((spec: TargetSpec) => {
    if (args.quick && spec.dialect === 'postgresql') {
      skipped.push(`${spec.label}: --quick runs SQLite and the baselines only`);
      return false;
    }
    if (spec.dialect === 'postgresql' && !testPostgresUrl()) {
      skipped.push(`${spec.label}: PARLEY_TEST_POSTGRES_URL is not set`);
      return false;
    }
    if (spec.redis && !redisUrl) {
      skipped.push(`${spec.label}: PARLEY_TEST_REDIS_URL is not set`);
      return false;
    }
    return true;
  });

const machine = describeMachine();
const log = (text: string) => console.log(text);
log(`machine: ${machineLine(machine)}`);
for (const line of skipped) log(`skipped: ${line}`);
// Each side holds one descriptor per client; the connections scenario needs that many plus some.
const neededDescriptors = settings.connections.clients + 1_000;
if (!args.soak && scenarios.includes('connections') && machine.fileDescriptorLimit !== null && machine.fileDescriptorLimit < neededDescriptors) {
  console.error(`ulimit -n is ${machine.fileDescriptorLimit}: the connections scenario needs ${neededDescriptors} (raise it with ulimit -n)`);
  process.exit(2);
}

mkdirSync(args.out, { recursive: true });
const load = startLoad(log);
const started = performance.now();
const startedAt = new Date().toISOString();
const ctx: Context = { settings, load, redisUrl, log };
const onlyParley = targets.filter((t) => t.protocol === 'parley');
// Idle connections cost server memory, which the database behind does not change (PostgreSQL
// measured within 1 KiB of SQLite per connection): each run starts fresh servers and
// connects 10,000 clients, so only SQLite runs here, to keep the full bench in 15 minutes.
const connectionTargets = targets.filter((t) => t.dialect !== 'postgresql');
const queryTargets = onlyParley.filter((t) => t.id !== 'redis2');

// Only the whole bench may replace bench/results/full.* (the README quotes it).
const isFullRun =
  args.runs === undefined &&
  !args['thread-only'] &&
  args.scenarios === SCENARIOS.join(',') &&
  targetList === allTargets;

try {
  if (args.profile) {
    const [spec] = targets;
    if (!spec) throw new Error(`cannot profile: ${skipped.join('; ')}`);
    await runProfiles(ctx, args.out, spec, fixedPerSec ?? undefined);
  } else if (args.soak) {
    const outcomes: SoakOutcome[] = [];
    for (const spec of targets) outcomes.push(await soakTarget(ctx, spec, soakSettings(minutes, fixedPerSec)));
    // Only what issue 7 asks (10 minutes or more at half the measured capacity) replaces soak.*.
    const { base } = writeSoakResults(args.out, minutes >= FULL_SOAK_MINUTES && fixedPerSec === null, outcomes);
    log(`\n${soakMarkdown({ mode: 'soak', outcomes })}\n`);
    log(`wrote ${base}.json and ${base}.md`);
    const failed = outcomes.filter((outcome) => !passed(outcome));
    for (const outcome of failed) {
      for (const check of outcome.checks.filter((c) => !c.passed)) console.error(`problem: ${outcome.label}: ${check.check}: ${check.measured}`);
    }
    if (targets.length === 0) console.error('problem: no target to soak');
    process.exitCode = failed.length > 0 || targets.length === 0 ? 1 : 0;
  } else {
    const results: Results = {
      mode: args.quick ? 'quick' : isFullRun ? 'full' : 'partial',
      machine,
      startedAt,
      durationSeconds: 0,
      settings,
      targets,
      skipped,
      fanout: scenarios.includes('fanout') ? await fanout(ctx, targets) : [],
      connections: scenarios.includes('connections') ? await connections(ctx, connectionTargets) : [],
      send: scenarios.includes('send') ? await sendPath(ctx, onlyParley) : [],
      queries: scenarios.includes('inbox') ? await queries(ctx, queryTargets) : [],
    };
    results.durationSeconds = (performance.now() - started) / 1000;
    const base = join(args.out, results.mode);
    const goalList = goals(results);
    writeFileSync(`${base}.json`, `${JSON.stringify({ ...results, figures: figures(results), goals: goalList }, null, 2)}\n`);
    writeFileSync(`${base}.svg`, chartSvg(results));
    writeFileSync(`${base}.md`, `${markdownTable(results)}\n\n${goalsTable(goalList)}\n`);
    log(`\n${summaryText(results)}\n`);
    log(`wrote ${base}.json, ${base}.svg and ${base}.md`);
    process.exitCode = problems(results, scenarios).length > 0 ? 1 : 0;
    for (const problem of problems(results, scenarios)) console.error(`problem: ${problem}`);
  }
} finally {
  load.stop();
}

/** What makes a run unusable: a scenario without numbers, a target that failed, a send lost. */
function problems(results: Results, ran: Scenario[]): string[] {
  const list: string[] = [];
  const table = figures(results);
  const expectKeys: Record<Scenario, string[]> = {
    // Latency at 20k is there only for targets that reach that rate.
    fanout: ['fanoutMax'],
    connections: ['rssPerConnection'],
    send: ['sendsPerSec'],
    inbox: ['inboxP99', 'inboxTenthP99', 'inboxBehindP99', 'historyP99'],
  };
  for (const scenario of ran) {
    for (const key of expectKeys[scenario]) {
      const scope = { fanout: targets, connections: connectionTargets, send: onlyParley, inbox: queryTargets }[scenario];
      for (const target of scope) if (!table[key]?.[target.id]) list.push(`${scenario}: no ${key} for ${target.label}`);
    }
  }
  for (const outcome of [...results.fanout, ...results.connections, ...results.send]) {
    if (outcome.error) list.push(`${outcome.target}: ${outcome.error.split('\n')[0]}`);
    for (const note of outcome.notes ?? []) list.push(`${outcome.target}: ${note}`);
  }
  for (const q of results.queries) {
    for (const outcome of [q.inboxFull, q.inboxTenth, q.inboxBehind, q.history]) {
      if (outcome.error) list.push(`${q.target}: ${outcome.error.split('\n')[0]}`);
      for (const run of outcome.runs) if (run.failed > 0) list.push(`${q.target}: ${run.failed} queries failed (${run.firstError})`);
    }
  }
  return [...new Set(list)];
}
