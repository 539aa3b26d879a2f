import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { HeatMap } from './HeatMap.tsx';

/** busiestHours[weekday][hour], weekday 0 = Sunday as the server sends it. */
function hours(cells: { weekday: number; hour: number; messages: number }[]): number[][] {
  const grid = Array.from({ length: 7 }, () => Array<number>(24).fill(0));
  for (const { weekday, hour, messages } of cells) {
    const row = grid[weekday];
    if (row) row[hour] = messages;
  }
  return grid;
}

const cellAt = (weekday: number, hour: number) => {
  const cell = screen.getAllByTestId('heat-cell').find((td) => td.dataset.weekday === String(weekday) && td.dataset.hour === String(hour));
  if (!cell) throw new Error(`no cell for weekday ${weekday} hour ${hour}`);
  return cell;
};

describe('HeatMap', () => {
  const busiestHours = hours([
    { weekday: 2, hour: 14, messages: 12 },
    { weekday: 2, hour: 15, messages: 3 },
    { weekday: 0, hour: 23, messages: 6 },
    { weekday: 1, hour: 0, messages: 1 },
  ]);

  it('is a table of 7 weekdays (Monday first) by 24 UTC hours, each cell saying what it counts', () => {
    render(<HeatMap busiestHours={busiestHours} totalMessages={22} />);
    const table = screen.getByRole('table');
    expect(within(table).getAllByRole('rowheader').map((header) => header.textContent)).toEqual(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);
    expect(within(table).getAllByRole('columnheader')).toHaveLength(24);
    expect(within(table).getAllByRole('columnheader')[14]?.textContent).toContain('14:00–15:00 UTC');
    expect(screen.getAllByTestId('heat-cell')).toHaveLength(7 * 24);

    const busiest = cellAt(2, 14);
    expect(busiest.getAttribute('title')).toBe('Tuesday 14:00–15:00 UTC: 12 messages');
    expect(busiest.textContent).toBe('12');
    expect(cellAt(0, 23).getAttribute('title')).toBe('Sunday 23:00–00:00 UTC: 6 messages');
    expect(cellAt(1, 0).getAttribute('title')).toBe('Monday 00:00–01:00 UTC: 1 message');
    // Sunday is the last row, as the weekday header says.
    const sundayRow = within(table).getAllByRole('row').at(-1);
    expect(sundayRow && within(sundayRow).getByRole('rowheader').textContent).toBe('Sun');
    expect(sundayRow && within(sundayRow).getAllByTestId('heat-cell')[23]).toBe(cellAt(0, 23));

    expect(screen.getByRole('figure', { name: 'Busiest hours' }).textContent).toContain('Busiest: Tuesday 14:00–15:00 UTC: 12 messages.');
  });

  it('colours a cell by its share of the busiest, and any message at all shows', () => {
    render(<HeatMap busiestHours={busiestHours} totalMessages={22} />);
    const heat = (weekday: number, hour: number) => Number(cellAt(weekday, hour).style.getPropertyValue('--heat'));
    expect(heat(2, 14)).toBe(1);
    expect(heat(0, 23)).toBeCloseTo(0.12 + 0.88 * 0.5);
    expect(heat(1, 0)).toBeGreaterThan(0.1);
    expect(heat(4, 9)).toBe(0);
    expect(cellAt(2, 14).className).toBe('hot');
  });

  it('prints the counts on demand through a toggle button', async () => {
    render(<HeatMap busiestHours={busiestHours} totalMessages={22} />);
    const toggle = screen.getByRole('button', { name: 'Show numbers' });
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    expect(within(cellAt(2, 14)).getByText('12').className).toBe('visually-hidden');
    await userEvent.click(toggle);
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    expect(within(cellAt(2, 14)).getByText('12').className).toBe('');
    // The table can be scrolled sideways with a keyboard once it is wider than a phone.
    expect(screen.getByRole('region', { name: 'Busiest hours' }).tabIndex).toBe(0);
  });

  it('says there were no messages instead of drawing an empty grid', () => {
    render(<HeatMap busiestHours={hours([])} totalMessages={0} />);
    expect(screen.queryByRole('table')).toBeNull();
    expect(screen.getByTestId('chart-empty').textContent).toBe('No messages yet.');
    expect(screen.getByRole('figure', { name: 'Busiest hours' }).textContent).not.toContain('Busiest:');
  });
});
