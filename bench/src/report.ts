/**
 * What a bench run produced, as one table (Markdown, printed and pasted into the README),
 * a JSON file with every run's raw figures, the goals of issue 6 met or not, and a chart.
 */
import type { TargetSpec } from './deploy.ts';
import type { FanoutRun } from './load/jobs.ts';
import { machineLine, type Machine } from './machine.ts';
import type { ConnectionsRun, Outcome, QueryOutcome, SendPathRun, Settings } from './scenarios.ts';
import { figureOf, type Figure } from './summary.ts';

export interface Results {
  /** `partial`: a subset of scenarios, targets or runs, kept apart from the full run's files. */
  mode: 'full' | 'quick' | 'partial';
  machine: Machine;
  startedAt: string;
  durationSeconds: number;
  settings: Settings;
  targets: TargetSpec[];
  /** Targets or scenarios left out, and why. */
  skipped: string[];
  fanout: Outcome<FanoutRun>[];
  connections: Outcome<ConnectionsRun>[];
  send: Outcome<SendPathRun>[];
  queries: QueryOutcome[];
}

type Unit = 'rate' | 'ms' | 'KiB' | 'ratio';

interface Row {
  key: string;
  label: string;
  unit: Unit;
  /** The figure of a target, or null when it was not measured. */
  of: (results: Results, target: string) => Figure | null;
}

const outcomeOf = <T>(outcomes: Outcome<T>[], target: string) => outcomes.find((o) => o.target === target && o.runs.length > 0);
const over = <T>(outcomes: Outcome<T>[], target: string, value: (run: T) => number): Figure | null => {
  const outcome = outcomeOf(outcomes, target);
  return outcome ? figureOf(outcome.runs.map(value)) : null;
};
const stepAt = (run: FanoutRun, rate: number) => run.steps.find((step) => step.offeredPerSec === rate);
const queryOf = (results: Results, target: string, which: 'inboxFull' | 'inboxTenth' | 'inboxBehind' | 'history') =>
  results.queries.find((q) => q.target === target)?.[which] ?? { target, runs: [] };

export const ROWS: Row[] = [
  { key: 'fanoutMax', label: 'fan-out: deliveries/s with p99 ≤ 100 ms', unit: 'rate', of: (r, t) => over(r.fanout, t, (run) => run.maxPassingPerSec) },
  {
    key: 'fanoutP50',
    label: 'fan-out: p50 send→deliver at 20k deliveries/s',
    unit: 'ms',
    of: (r, t) => over(r.fanout, t, (run) => stepAt(run, r.settings.fanout.reportRate)?.latency.p50 ?? Number.NaN),
  },
  {
    key: 'fanoutP99',
    label: 'fan-out: p99 send→deliver at 20k deliveries/s',
    unit: 'ms',
    of: (r, t) => over(r.fanout, t, (run) => stepAt(run, r.settings.fanout.reportRate)?.latency.p99 ?? Number.NaN),
  },
  { key: 'rssPerConnection', label: 'connections: server RSS per idle connection', unit: 'KiB', of: (r, t) => over(r.connections, t, (run) => run.rssPerConnection / 1024) },
  { key: 'sendsPerSec', label: 'send path: messages persisted/s (50 senders)', unit: 'rate', of: (r, t) => over(r.send, t, (run) => run.perSec) },
  { key: 'sendP99', label: 'send path: p99 messages.send round trip', unit: 'ms', of: (r, t) => over(r.send, t, (run) => run.latency.p99) },
  { key: 'inboxP50', label: 'inbox: conversations.list p50 (full size)', unit: 'ms', of: (r, t) => over([queryOf(r, t, 'inboxFull')], t, (run) => run.latency.p50) },
  { key: 'inboxP99', label: 'inbox: conversations.list p99 (full size)', unit: 'ms', of: (r, t) => over([queryOf(r, t, 'inboxFull')], t, (run) => run.latency.p99) },
  { key: 'inboxTenthP99', label: 'inbox: conversations.list p99 (a tenth of the data)', unit: 'ms', of: (r, t) => over([queryOf(r, t, 'inboxTenth')], t, (run) => run.latency.p99) },
  {
    key: 'inboxBehindP99',
    label: 'inbox: conversations.list p99 (full size, far behind)',
    unit: 'ms',
    of: (r, t) => over([queryOf(r, t, 'inboxBehind')], t, (run) => run.latency.p99),
  },
  { key: 'historyP50', label: 'history: messages.list p50 (deep, long conversation)', unit: 'ms', of: (r, t) => over([queryOf(r, t, 'history')], t, (run) => run.latency.p50) },
  { key: 'historyP99', label: 'history: messages.list p99 (deep, long conversation)', unit: 'ms', of: (r, t) => over([queryOf(r, t, 'history')], t, (run) => run.latency.p99) },
];

export function figures(results: Results): Record<string, Record<string, Figure>> {
  const table: Record<string, Record<string, Figure>> = {};
  for (const row of ROWS) {
    const cells: Record<string, Figure> = {};
    for (const target of results.targets) {
      const figure = row.of(results, target.id);
      if (figure && Number.isFinite(figure.median)) cells[target.id] = figure;
    }
    table[row.key] = cells;
  }
  return table;
}

export function formatValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return '—';
  if (unit === 'rate') return value >= 10_000 ? `${(value / 1000).toFixed(0)}k` : value >= 1_000 ? `${(value / 1000).toFixed(1)}k` : value.toFixed(0);
  if (unit === 'ms') return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
  if (unit === 'ratio') return `${value < 0.1 ? value.toFixed(3) : value.toFixed(2)}×`;
  return value.toFixed(1);
}

const unitSuffix = { rate: '/s', ms: ' ms', KiB: ' KiB', ratio: '' } satisfies Record<Unit, string>;

function cell(figure: Figure | undefined, unit: Unit): string {
  if (!figure) return '—';
  const median = `${formatValue(figure.median, unit)}${unitSuffix[unit]}`;
  if (figure.runs.length < 2) return median;
  return `${median} (${formatValue(figure.min, unit)}–${formatValue(figure.max, unit)})`;
}

/** The results table in Markdown: one row per figure, one column per target; median (min–max). */
export function markdownTable(results: Results): string {
  const table = figures(results);
  const targets = results.targets;
  const lines = [
    `| figure | ${targets.map((t) => t.label).join(' | ')} |`,
    `|---|${targets.map(() => '---:').join('|')}|`,
  ];
  for (const row of ROWS) {
    const cells = table[row.key] ?? {};
    if (Object.keys(cells).length === 0) continue;
    lines.push(`| ${row.label} | ${targets.map((t) => cell(cells[t.id], row.unit)).join(' | ')} |`);
  }
  return lines.join('\n');
}

export interface Goal {
  goal: string;
  target: string;
  measured: string;
  met: boolean;
}

/** The targets of issue 6, each against what this run measured (medians). */
export function goals(results: Results): Goal[] {
  const table = figures(results);
  const median = (key: string, target: string) => table[key]?.[target]?.median;
  const out: Goal[] = [];
  const parley = results.targets.filter((t) => t.protocol === 'parley');
  const add = (goal: string, target: TargetSpec, value: number | undefined, unit: Unit, met: (v: number) => boolean, extra = '') => {
    if (value === undefined || !Number.isFinite(value)) return;
    out.push({ goal, target: target.label, measured: `${formatValue(value, unit)}${unitSuffix[unit]}${extra}`, met: met(value) });
  };
  const ws = median('fanoutMax', 'ws');
  const socketio = median('fanoutMax', 'socketio');
  for (const t of parley) {
    const mine = median('fanoutMax', t.id);
    if (mine !== undefined && ws) add('fan-out ≥ 0.5× raw ws', t, mine / ws, 'ratio', (v) => v >= 0.5, ` (${formatValue(mine, 'rate')} vs ${formatValue(ws, 'rate')}/s)`);
    if (mine !== undefined && socketio) add('fan-out ≥ 1.0× Socket.IO', t, mine / socketio, 'ratio', (v) => v >= 1, ` (${formatValue(mine, 'rate')} vs ${formatValue(socketio, 'rate')}/s)`);
    const rate = formatValue(results.settings.fanout.reportRate, 'rate');
    if (mine !== undefined && median('fanoutP99', t.id) === undefined) {
      // The ladder stopped below the rate: its latency there grows without bound.
      const limit = `${results.settings.fanout.latencyLimitMs} ms`;
      const measured =
        mine > 0 ? `not reached (p99 passed ${limit} above ${formatValue(mine, 'rate')}/s)` : `not reached (p99 passed ${limit} in most runs from the first step)`;
      out.push({ goal: `p50 ≤ 5 ms and p99 ≤ 50 ms at ${rate} deliveries/s`, target: t.label, measured, met: false });
    }
    add(`p50 ≤ 5 ms at ${rate} deliveries/s`, t, median('fanoutP50', t.id), 'ms', (v) => v <= 5);
    add(`p99 ≤ 50 ms at ${rate} deliveries/s`, t, median('fanoutP99', t.id), 'ms', (v) => v <= 50);
    add('≤ 30 KiB RSS per idle subscribed connection', t, median('rssPerConnection', t.id), 'KiB', (v) => v <= 30);
    const sendGoal = t.dialect === 'sqlite' ? 5_000 : 2_000;
    add(`≥ ${formatValue(sendGoal, 'rate')} sends/s`, t, median('sendsPerSec', t.id), 'rate', (v) => v >= sendGoal);
    add('inbox p99 ≤ 5 ms at full size', t, median('inboxP99', t.id), 'ms', (v) => v <= 5);
    const full = median('inboxP99', t.id);
    const tenth = median('inboxTenthP99', t.id);
    if (full !== undefined && tenth) add('inbox p99 at full size ≤ 1.5× a tenth', t, full / tenth, 'ratio', (v) => v <= 1.5);
    add('history page p99 ≤ 5 ms', t, median('historyP99', t.id), 'ms', (v) => v <= 5);
  }
  return out;
}

export function goalsTable(list: Goal[]): string {
  return [
    '| goal | target | measured (median) | met |',
    '|---|---|---:|:---:|',
    ...list.map((g) => `| ${g.goal} | ${g.target} | ${g.measured} | ${g.met ? 'yes' : '**no**'} |`),
  ].join('\n');
}

export function summaryText(results: Results): string {
  return [
    `Parley bench (${results.mode}), ${results.startedAt}, ${Math.round(results.durationSeconds)} s`,
    `machine: ${machineLine(results.machine)}`,
    `every figure: median of ${results.settings.runs} run${results.settings.runs === 1 ? '' : 's'} (min–max)`,
    ...results.skipped.map((s) => `skipped: ${s}`),
    '',
    markdownTable(results),
    '',
    goalsTable(goals(results)),
  ].join('\n');
}

// ---------------------------------------------------------------- the chart (SVG, no browser needed)

const COLORS: Record<string, string> = { ws: '#7f7f7f', socketio: '#9467bd', trpc: '#ff7f0e', sqlite: '#1f77b4', postgres: '#2ca02c', redis2: '#d62728' };
const colorOf = (target: string) => COLORS[target] ?? '#444';
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface Bar {
  group: string;
  target: string;
  figure: Figure;
}

function axisTicks(min: number, max: number, log: boolean): number[] {
  if (log) {
    const ticks = [];
    for (let p = Math.floor(Math.log10(min)); p <= Math.ceil(Math.log10(max)); p++) ticks.push(10 ** p);
    return ticks;
  }
  const step = 10 ** Math.floor(Math.log10(max / 4 || 1));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => max / s <= 6) ?? step * 10;
  return Array.from({ length: Math.floor(max / nice) + 1 }, (_, i) => i * nice);
}

function frame(box: Box, title: string, unit: string): string[] {
  return [
    `<text x="${box.x}" y="${box.y - 24}" font-size="14" font-weight="600">${escape(title)}</text>`,
    `<text x="${box.x}" y="${box.y - 8}" font-size="11" fill="#555">${escape(unit)}</text>`,
    `<line x1="${box.x}" y1="${box.y + box.h}" x2="${box.x + box.w}" y2="${box.y + box.h}" stroke="#333"/>`,
    `<line x1="${box.x}" y1="${box.y}" x2="${box.x}" y2="${box.y + box.h}" stroke="#333"/>`,
  ];
}

function yScale(box: Box, min: number, max: number, log: boolean) {
  return (v: number) => {
    const t = log ? (Math.log10(Math.max(v, min)) - Math.log10(min)) / (Math.log10(max) - Math.log10(min)) : v / max;
    return box.y + box.h - Math.min(1, Math.max(0, t)) * box.h;
  };
}

function yAxis(box: Box, min: number, max: number, log: boolean, unit: Unit): string[] {
  const y = yScale(box, min, max, log);
  return axisTicks(min, max, log)
    .filter((v) => v >= (log ? min : 0) && v <= max)
    .flatMap((v) => [
      `<line x1="${box.x}" y1="${y(v)}" x2="${box.x + box.w}" y2="${y(v)}" stroke="#eee"/>`,
      `<text x="${box.x - 4}" y="${y(v) + 4}" font-size="10" text-anchor="end">${formatValue(v, unit)}</text>`,
    ]);
}

function barPanel(box: Box, title: string, unitLabel: string, unit: Unit, bars: Bar[], lines: { value: number; label: string }[] = [], log = false): string {
  const out = frame(box, title, unitLabel);
  if (bars.length === 0) return [...out, `<text x="${box.x + 10}" y="${box.y + box.h / 2}" font-size="12" fill="#888">not measured</text>`].join('\n');
  const values = [...bars.map((b) => b.figure.max), ...lines.map((l) => l.value)].filter(Number.isFinite);
  const max = Math.max(...values) * 1.15;
  const positive = [...bars.map((b) => b.figure.min), ...bars.map((b) => b.figure.median), ...lines.map((l) => l.value)].filter((v) => v > 0);
  const min = log ? Math.max(0.01, Math.min(...positive) / 2) : 0;
  const y = yScale(box, min, max, log);
  out.push(...yAxis(box, min, max, log, unit));
  const groups = [...new Set(bars.map((b) => b.group))];
  const slot = box.w / bars.length;
  const barWidth = Math.min(38, slot * 0.7);
  let i = 0;
  for (const group of groups) {
    const inGroup = bars.filter((b) => b.group === group);
    const first = i;
    for (const bar of inGroup) {
      const cx = box.x + slot * (i + 0.5);
      const top = y(bar.figure.median);
      out.push(
        `<rect x="${cx - barWidth / 2}" y="${top}" width="${barWidth}" height="${box.y + box.h - top}" fill="${colorOf(bar.target)}"/>`,
        `<line x1="${cx}" y1="${y(bar.figure.min)}" x2="${cx}" y2="${y(bar.figure.max)}" stroke="#000"/>`,
        `<line x1="${cx - 5}" y1="${y(bar.figure.min)}" x2="${cx + 5}" y2="${y(bar.figure.min)}" stroke="#000"/>`,
        `<line x1="${cx - 5}" y1="${y(bar.figure.max)}" x2="${cx + 5}" y2="${y(bar.figure.max)}" stroke="#000"/>`,
        `<text x="${cx}" y="${top - 4}" font-size="10" text-anchor="middle">${formatValue(bar.figure.median, unit)}</text>`,
      );
      i++;
    }
    if (groups.length > 1 || group) {
      const center = box.x + slot * ((first + i) / 2);
      out.push(`<text x="${center}" y="${box.y + box.h + 14}" font-size="10" text-anchor="middle">${escape(group)}</text>`);
    }
  }
  for (const line of lines) {
    out.push(
      `<line x1="${box.x}" y1="${y(line.value)}" x2="${box.x + box.w}" y2="${y(line.value)}" stroke="#e67e22" stroke-dasharray="5,3"/>`,
      `<text x="${box.x + box.w}" y="${y(line.value) - 3}" font-size="10" text-anchor="end" fill="#e67e22">${escape(line.label)}</text>`,
    );
  }
  return out.join('\n');
}

function latencyPanel(box: Box, results: Results): string {
  const out = frame(box, 'Fan-out: p99 send→deliver vs offered load', 'p99 ms (log) by offered deliveries/s (log); median of runs');
  const series = results.fanout
    .filter((o) => o.runs.length > 0)
    .map((o) => {
      const rates = [...new Set(o.runs.flatMap((run) => run.steps.map((s) => s.offeredPerSec)))].sort((a, b) => a - b);
      const points = rates.map((rate) => ({ x: rate, y: figureOf(o.runs.map((run) => stepAt(run, rate)?.latency.p99 ?? Number.NaN)).median }));
      return { target: o.target, points: points.filter((p) => Number.isFinite(p.y)) };
    });
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return out.join('\n');
  const xMin = Math.min(...all.map((p) => p.x)) / 1.2;
  const xMax = Math.max(...all.map((p) => p.x)) * 1.2;
  const yMin = Math.max(0.1, Math.min(...all.map((p) => p.y)) / 2);
  const yMax = Math.max(200, ...all.map((p) => p.y)) * 1.5;
  const y = yScale(box, yMin, yMax, true);
  const x = (v: number) => box.x + ((Math.log10(v) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * box.w;
  out.push(...yAxis(box, yMin, yMax, true, 'ms'));
  for (const tick of axisTicks(xMin, xMax, true).flatMap((p) => [p, 2 * p, 5 * p]).filter((v) => v >= xMin && v <= xMax)) {
    out.push(`<text x="${x(tick)}" y="${box.y + box.h + 14}" font-size="10" text-anchor="middle">${formatValue(tick, 'rate')}</text>`);
  }
  for (const [value, label] of [[100, 'limit 100 ms'], [50, 'goal 50 ms']] as const) {
    out.push(
      `<line x1="${box.x}" y1="${y(value)}" x2="${box.x + box.w}" y2="${y(value)}" stroke="#e67e22" stroke-dasharray="5,3"/>`,
      `<text x="${box.x + box.w}" y="${y(value) - 3}" font-size="10" text-anchor="end" fill="#e67e22">${label}</text>`,
    );
  }
  for (const s of series) {
    const path = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
    out.push(`<path d="${path}" fill="none" stroke="${colorOf(s.target)}" stroke-width="2"/>`);
    for (const p of s.points) out.push(`<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3" fill="${colorOf(s.target)}"/>`);
  }
  return out.join('\n');
}

export function chartSvg(results: Results): string {
  const table = figures(results);
  const labelOf = (id: string) => results.targets.find((t) => t.id === id)?.label ?? id;
  const barsOf = (key: string, group = ''): Bar[] =>
    results.targets.flatMap((t) => {
      const figure = table[key]?.[t.id];
      return figure ? [{ group, target: t.id, figure }] : [];
    });
  const width = 1260;
  const height = 860;
  const cols = [70, 490, 910];
  const rows = [110, 500];
  const box = (c: number, r: number): Box => ({ x: cols[c] ?? 0, y: rows[r] ?? 0, w: 320, h: 270 });
  let legendX = 20;
  const legend = results.targets
    .map((t) => {
      const x = legendX;
      legendX += 36 + labelOf(t.id).length * 6.6;
      return `<rect x="${x}" y="46" width="12" height="12" fill="${colorOf(t.id)}"/><text x="${x + 16}" y="57" font-size="12">${escape(labelOf(t.id))}</text>`;
    })
    .join('\n');
  /** Targets with no figure for `key`, named under a panel. */
  const missing = (key: string, box: Box, what: string) => {
    const absent = results.targets.filter((t) => !table[key]?.[t.id]).map((t) => t.label.replace('Parley, ', '').replace(', PostgreSQL + Redis', ' + Redis'));
    return absent.length === 0 ? '' : `<text x="${box.x}" y="${box.y + box.h + 30}" font-size="10" fill="#555">${escape(`${what}: ${absent.join('; ')}`)}</text>`;
  };
  const panels = [
    latencyPanel(box(0, 0), results),
    barPanel(box(1, 0), 'Fan-out: deliveries/s with p99 ≤ 100 ms', 'deliveries per second (log); bars: median, whiskers: min–max', 'rate', barsOf('fanoutMax'), [], true),
    barPanel(box(2, 0), 'Fan-out at 20k deliveries/s', 'send→deliver ms (log): p50 and p99', 'ms', [...barsOf('fanoutP50', 'p50'), ...barsOf('fanoutP99', 'p99')], [{ value: 50, label: 'p99 goal 50 ms' }, { value: 5, label: 'p50 goal 5 ms' }], true) +
      missing('fanoutP99', box(2, 0), 'Parley did not reach 20k/s'),
    barPanel(box(0, 1), 'Server RSS per idle connection', 'KiB (Parley: authenticated, inbox.onEvent open)', 'KiB', barsOf('rssPerConnection'), [{ value: 30, label: 'goal 30 KiB' }]),
    barPanel(box(1, 1), 'Send path: messages persisted/s', '50 concurrent senders, messages.send over the WebSocket', 'rate', barsOf('sendsPerSec'), [{ value: 5_000, label: 'SQLite goal 5k' }, { value: 2_000, label: 'PostgreSQL goal 2k' }]),
    barPanel(
      box(2, 1),
      'Queries: p99',
      'ms (log): inbox full size, a tenth, deep history page',
      'ms',
      [...barsOf('inboxP99', 'inbox full'), ...barsOf('inboxTenthP99', 'inbox tenth'), ...barsOf('inboxBehindP99', 'inbox behind'), ...barsOf('historyP99', 'history')],
      [{ value: 5, label: 'goal 5 ms' }],
      true,
    ),
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="20" y="24" font-size="16" font-weight="700">Parley bench (${results.mode}) — ${escape(results.startedAt.slice(0, 16).replace('T', ' '))} UTC, median of ${results.settings.runs} run(s)</text>`,
    `<text x="20" y="40" font-size="11" fill="#555">${escape(machineLine(results.machine))}</text>`,
    legend,
    ...panels,
    '</svg>',
  ].join('\n');
}
