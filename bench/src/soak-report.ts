/**
 * What `pnpm bench:soak` writes: bench/results/soak.json (every figure, one entry per
 * target; a run replaces only the targets it soaked) and soak.md (the tables the README
 * quotes). Soaks shorter than 10 minutes or at a fixed rate (--per-sec) are trials, written
 * to soak-trial.* instead.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TARGETS } from './deploy.ts';
import { machineLine } from './machine.ts';
import { mib, percent, type SoakOutcome, type SoakPhase } from './soak.ts';

export interface SoakResults {
  mode: 'soak' | 'soak-trial';
  outcomes: SoakOutcome[];
}

/** The full-length soak the issue asks for; shorter ones are checks that must not replace it. */
export const FULL_SOAK_MINUTES = 10;

export function writeSoakResults(outDir: string, standard: boolean, outcomes: SoakOutcome[]): { base: string; results: SoakResults } {
  const mode = standard ? 'soak' : 'soak-trial';
  const base = join(outDir, mode);
  const order = Object.keys(TARGETS);
  const kept = mode === 'soak' && existsSync(`${base}.json`) ? (JSON.parse(readFileSync(`${base}.json`, 'utf8')) as SoakResults).outcomes : [];
  const merged = [...kept.filter((old) => !outcomes.some((o) => o.target === old.target)), ...outcomes].sort(
    (a, b) => order.indexOf(a.target) - order.indexOf(b.target),
  );
  const results: SoakResults = { mode, outcomes: merged };
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${base}.md`, `${soakMarkdown(results)}\n`);
  return { base, results };
}

const count = (value: number) => value.toLocaleString('en-US');
const ms = (value: number) => (!Number.isFinite(value) ? '—' : value >= 100 ? value.toFixed(0) : value.toFixed(1));
const rate = (value: number) => (Number.isFinite(value) ? count(Math.round(value)) : '—');
const both = (outcome: SoakOutcome, value: (phase: SoakPhase) => number) =>
  [outcome.warmUp, outcome.soak].reduce((total, phase) => total + (phase ? value(phase) : 0), 0);

/** The summary of one target, as rows of the table. */
function summaryRows(o: SoakOutcome): [string, string][] {
  const soak = o.soak?.load;
  const { baseline, end } = o.memory;
  return [
    ['run', `${o.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${Math.round(o.durationSeconds / 60)} min in all`],
    [
      'code',
      `${o.code.commit}${o.code.uncommitted.length > 0 ? ` with uncommitted changes in ${o.code.uncommitted.length} file(s) of packages/ and apps/ (other work in progress)` : ''}`,
    ],
    [
      `capacity: fan-out deliveries/s with p99 ≤ ${o.settings.latencyLimitMs} ms (the lowest of ${o.settings.capacityRuns} runs)`,
      o.capacity ? `${rate(o.capacity.perSec)}/s (runs: ${o.capacity.runs.map(rate).join(', ')})` : '—',
    ],
    [
      // (Entries written before --per-sec existed have no such field.)
      typeof o.settings.fixedPerSec === 'number' ? 'soak rate (fixed by --per-sec)' : 'soak rate (half the lowest capacity run)',
      `${rate(o.soakPerSec)} deliveries/s = ${(o.soakPerSec / o.settings.groupSize).toFixed(1)} messages/s to ${count(o.settings.clients)} clients in conversations of ${o.settings.groupSize}`,
    ],
    ['duration', `${o.settings.warmUpSeconds} s warm-up, then ${o.settings.minutes} min`],
    ['messages sent / acknowledged (warm-up + soak)', `${count(both(o, (p) => p.load.posted))} / ${count(both(o, (p) => p.load.acknowledged))}`],
    ['stored exactly once, by clientId', count(both(o, (p) => p.stored.storedOnce))],
    [
      'deliveries expected / received once (conversations.onEvent)',
      `${count(both(o, (p) => p.load.expectedDeliveries))} / ${count(both(o, (p) => p.load.expectedDeliveries - p.load.missingDeliveries))}`,
    ],
    ['per client over the soak: deliveries (min–max) · inbox events (min–max)', soak ? `${count(soak.receivedPerClient.min)}–${count(soak.receivedPerClient.max)} · ${count(soak.inboxEventsPerClient.min)}–${count(soak.inboxEventsPerClient.max)}` : '—'],
    ['send→deliver latency over the soak: p50 / p99 / max', soak ? `${ms(soak.latency.p50)} / ${ms(soak.latency.p99)} / ${ms(soak.latency.max)} ms` : '—'],
    ['messages.send round trip over the soak: p50 / p99', soak ? `${ms(soak.ackLatency.p50)} / ${ms(soak.ackLatency.p99)} ms` : '—'],
    ['server CPU over the soak (share of one core)', soak ? `${Math.round(soak.serverCpu * 100)} %` : '—'],
    ['RSS after GC: after warm-up → end', baseline && end ? `${mib(baseline.rss)} → ${mib(end.rss)} MiB (${percent(o.memory.growth)})` : '—'],
    ['heap used after GC: after warm-up → end', baseline && end ? `${mib(baseline.heapUsed)} → ${mib(end.heapUsed)} MiB (${percent(o.memory.heapGrowth)})` : '—'],
    ['external memory after GC: after warm-up → end', baseline && end ? `${mib(baseline.external)} → ${mib(end.external)} MiB` : '—'],
    [
      'RSS anonymous · file-backed · shared: after warm-up → end',
      baseline && end ? `${mib(baseline.rssAnon)} → ${mib(end.rssAnon)} · ${mib(baseline.rssFile)} → ${mib(end.rssFile)} · ${mib(baseline.rssShmem)} → ${mib(end.rssShmem)} MiB` : '—',
    ],
    [
      'anonymous RSS: brk heap (main-thread malloc) · other mappings (V8 heap, large blocks, arenas)',
      baseline && end && Number.isFinite(baseline.rssBrkHeap ?? Number.NaN)
        ? `${mib(baseline.rssBrkHeap)} → ${mib(end.rssBrkHeap)} · ${mib(baseline.rssOtherAnon)} → ${mib(end.rssOtherAnon)} MiB`
        : '—',
    ],
    [
      `RSS samples (every ${o.settings.sampleSeconds} s, each after two forced full GCs)`,
      o.memory.samples.length > 0 ? `${o.memory.samples.length}, the GC request taking up to ${Math.round(Math.max(...o.memory.samples.map((m) => m.gcMs)))} ms` : '—',
    ],
    ['RSS trend over the samples (least squares)', Number.isFinite(o.memory.slopeMiBPerMinute) ? `${o.memory.slopeMiBPerMinute.toFixed(2)} MiB/min` : '—'],
  ];
}

function minutesTable(o: SoakOutcome): string {
  const soak = o.soak?.load;
  if (!soak) return '';
  // The RSS sample taken closest to the end of each interval.
  const rssAt = (seconds: number) =>
    o.memory.samples.reduce<(typeof o.memory.samples)[number] | null>((best, s) => (!best || Math.abs(s.atSeconds - seconds) < Math.abs(best.atSeconds - seconds) ? s : best), null);
  const lines = [
    '| minute | sent | acknowledged | delivered | p50 | p99 | send p99 | server CPU | RSS after GC | heap after GC |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [index, interval] of soak.intervals.entries()) {
    const sample = rssAt(interval.fromSeconds + o.settings.intervalSeconds);
    lines.push(
      `| ${index + 1} | ${count(interval.posted)} | ${count(interval.acknowledged)} | ${count(interval.delivered)} | ${ms(interval.latency.p50)} ms | ${ms(interval.latency.p99)} ms | ` +
        `${ms(interval.ackLatency.p99)} ms | ${Math.round(interval.serverCpu * 100)} % | ${sample ? `${mib(sample.rss)} MiB` : '—'} | ${sample ? `${mib(sample.heapUsed)} MiB` : '—'} |`,
    );
  }
  return lines.join('\n');
}

export function soakMarkdown(results: SoakResults): string {
  const parts: string[] = [];
  for (const o of results.outcomes) {
    parts.push(`### ${o.label}`, '', `machine: ${machineLine(o.machine)}`, '');
    if (o.error) parts.push(`**failed:** ${o.error.split('\n')[0] ?? ''}`, '');
    parts.push('| | |', '|---|---|', ...summaryRows(o).map(([label, value]) => `| ${label} | ${value} |`), '');
    parts.push('| check | measured | passed |', '|---|---|:---:|', ...o.checks.map((c) => `| ${c.check} | ${c.measured} | ${c.passed ? 'yes' : '**no**'} |`), '');
    const minutes = minutesTable(o);
    if (minutes) parts.push(minutes, '');
  }
  return parts.join('\n').trimEnd();
}
