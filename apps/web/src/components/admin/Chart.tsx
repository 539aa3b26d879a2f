/**
 * One uPlot chart (canvas) that follows its container's width, and the options of the three
 * kinds the statistics view draws. The canvas is decoration for sighted mouse users: the
 * element carries an aria-label that says what it shows, and every chart's figures are also
 * in a table next to it (see ChartCard).
 * @see https://github.com/leeoniya/uPlot/tree/master/docs
 */
import { useEffect, useRef } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatCount, formatDay } from '../../admin-stats.ts';

export interface ChartColors {
  accent: string;
  text: string;
  muted: string;
  grid: string;
}

type UPlot = typeof uPlot;

/** Builds the options for a width; colours come from the page's CSS variables (light or dark). */
export type ChartOptions = (UPlot: UPlot, width: number, height: number, colors: ChartColors) => uPlot.Options;

/**
 * uPlot draws with Path2D, which every browser has; jsdom (the component tests) has neither it
 * nor a canvas, so there only the accessible parts render.
 */
const canDraw = () => typeof Path2D === 'function';

function colorsOf(element: HTMLElement): ChartColors {
  const style = getComputedStyle(element);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return { accent: read('--accent', '#2457c5'), text: read('--text', '#1b1f24'), muted: read('--muted', '#59636e'), grid: read('--border', '#d8dde3') };
}

/** Pass `options` and `data` memoized: a new value draws the chart anew. */
export function Chart({ label, options, data, height = 200 }: { label: string; options: ChartOptions; data: uPlot.AlignedData; height?: number }) {
  const container = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const target = container.current;
    if (!target || !canDraw()) return;
    // Never narrower than a 375 px phone leaves for it, so axis labels keep their room.
    const width = () => Math.max(260, Math.floor(target.clientWidth));
    let plot: uPlot | null = null;
    let resized: ResizeObserver | null = null;
    let disposed = false;
    // uPlot itself is a chunk of its own, fetched only where a chart is drawn.
    void import('uplot')
      .then(({ default: UPlot }) => {
        if (disposed) return;
        const drawn = new UPlot(options(UPlot, width(), height, colorsOf(target)), data, target);
        plot = drawn;
        let lastWidth = width();
        resized = new ResizeObserver(() => {
          if (width() === lastWidth) return;
          lastWidth = width();
          drawn.setSize({ width: lastWidth, height });
        });
        resized.observe(target);
      })
      // Without the chart the figures are still in the table beside it.
      .catch(() => undefined);
    return () => {
      disposed = true;
      resized?.disconnect();
      plot?.destroy();
    };
  }, [options, data, height]);

  return <div ref={container} className="chart" role="img" aria-label={label} data-testid="chart" />;
}

const DAY_SECONDS = 86_400;
/** A hex colour at 13 % opacity for the area under a line (any other colour: no fill). */
const translucent = (color: string) => (/^#[0-9a-f]{6}$/i.test(color) ? `${color}22` : 'transparent');
const font = (colors: ChartColors) => ({ font: '12px system-ui, sans-serif', stroke: colors.muted });
/** Whole numbers only on a count axis: no "0.5 messages". */
const COUNT_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1e3, 2e3, 2.5e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7];

/** The count (y) axis and scale: from 0, never empty, integer ticks. */
function countAxis(colors: ChartColors): uPlot.Axis {
  return {
    ...font(colors),
    size: 48,
    incrs: COUNT_STEPS,
    values: (_plot, splits) => splits.map((value) => formatCount(value)),
    grid: { stroke: colors.grid, width: 1 },
    ticks: { show: false },
  };
}
/** A count in the legend: the hovered point's, and the same dash as the x value's when nothing is hovered (uPlot's own is "--"). */
const countValue = (_plot: uPlot, count: number | null) => (count == null ? '–' : formatCount(count));

const countScale = (UPlot: UPlot): uPlot.Scale => ({ range: (_plot, _min, max) => [0, max > 0 ? UPlot.rangeNum(0, max, 0.1, true)[1] : 1] });

const dayOf = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

/** A daily series over UTC days: bars or a line, x in seconds at the start of each day. */
export function dailyChart(seriesLabel: string, style: 'bars' | 'line'): ChartOptions {
  return (UPlot, width, height, colors) => ({
    width,
    height,
    tzDate: (seconds) => UPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
    legend: { show: true, live: true },
    cursor: { drag: { x: false, y: false }, points: { show: style === 'line' } },
    scales: {
      // Half a day of room either side, so the first and last bars are not cut in half.
      x: { time: true, range: (_plot, min, max) => [min - DAY_SECONDS / 2, max + DAY_SECONDS / 2] },
      y: countScale(UPlot),
    },
    axes: [
      { ...font(colors), space: 56, values: (_plot, splits) => splits.map((seconds) => formatDay(dayOf(seconds))), grid: { show: false } },
      countAxis(colors),
    ],
    series: [
      { label: 'Day (UTC)', value: (_plot, seconds) => (seconds == null ? '–' : formatDay(dayOf(seconds))) },
      style === 'bars'
        ? { label: seriesLabel, value: countValue, fill: colors.accent, stroke: colors.accent, width: 0, paths: UPlot.paths.bars?.({ size: [0.7, 28], gap: 1 }), points: { show: false } }
        : { label: seriesLabel, value: countValue, stroke: colors.accent, width: 2, fill: translucent(colors.accent), points: { show: true, size: 5, fill: colors.accent } },
    ],
  });
}

/** Bars over named categories (x = 0, 1, 2, …). */
export function categoryChart(seriesLabel: string, categories: readonly string[]): ChartOptions {
  return (UPlot, width, height, colors) => ({
    width,
    height,
    legend: { show: true, live: true },
    cursor: { drag: { x: false, y: false }, points: { show: false } },
    scales: { x: { time: false, range: [-0.5, categories.length - 0.5] }, y: countScale(UPlot) },
    axes: [
      {
        ...font(colors),
        splits: () => categories.map((_, index) => index),
        values: (_plot, splits) => splits.map((index) => categories[index] ?? ''),
        grid: { show: false },
        ticks: { show: false },
      },
      countAxis(colors),
    ],
    series: [
      { label: 'Kind', value: (_plot, index) => (index == null ? '–' : (categories[index] ?? '')) },
      { label: seriesLabel, value: countValue, fill: colors.accent, stroke: colors.accent, width: 0, paths: UPlot.paths.bars?.({ size: [0.5, 120] }), points: { show: false } },
    ],
  });
}
