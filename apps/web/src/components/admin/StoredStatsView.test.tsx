import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { emptyStoredStats } from '../../test-fixtures.ts';
import type { StoredStats } from '../../trpc.ts';
import { StoredStatsView } from './StoredStatsView.tsx';

/** A busy install: figures large enough to need grouping, a fraction, a busiest day. */
function busyStats(): StoredStats {
  const stats = emptyStoredStats('2026-11-21');
  stats.users = { total: 12_345, newToday: 3, newLast7Days: 40, dailyActive: 812, monthlyActive: 4_020 };
  stats.conversations = { total: 900, byKind: { direct: 600, group: 250, self: 50 }, averageMessages: 137.456 };
  stats.messages = { total: 123_710, today: 1_204 };
  stats.messagesPerDay = stats.messagesPerDay.map((day, i) => ({ ...day, messages: i === 27 ? 4_100 : 100 + i, activeSenders: 10 + (i % 5) }));
  stats.topConversations = [
    { id: 7, kind: 'group', title: 'Weekend trip', messages: 2_500 },
    { id: 3, kind: 'direct', title: null, messages: 800 },
    { id: 9, kind: 'self', title: null, messages: 12 },
  ];
  return stats;
}

const tile = (id: string) => screen.getByTestId(`stat-${id}`);

describe('StoredStatsView', () => {
  it('shows every stored figure in its own labelled tile, with thousands grouped', () => {
    render(<StoredStatsView stored={busyStats()} />);
    expect(screen.getAllByRole('term').map((term) => term.textContent)).toEqual([
      'Users',
      'New today',
      'New in 7 days',
      'Daily active',
      'Monthly active',
      'Conversations',
      'Messages',
      'Messages today',
      'Per conversation',
    ]);
    expect(within(tile('users-total')).getByText('12,345')).toBeTruthy();
    expect(within(tile('users-new-today')).getByText('3')).toBeTruthy();
    expect(within(tile('users-new-7-days')).getByText('40')).toBeTruthy();
    expect(within(tile('users-daily-active')).getByText('812')).toBeTruthy();
    expect(within(tile('users-monthly-active')).getByText('4,020')).toBeTruthy();
    expect(within(tile('conversations-total')).getByText('900')).toBeTruthy();
    expect(within(tile('messages-total')).getByText('123,710')).toBeTruthy();
    expect(within(tile('messages-today')).getByText('1,204')).toBeTruthy();
    // An average reads as one decimal, not 137.456.
    expect(within(tile('messages-average')).getByText('137.5')).toBeTruthy();
  });

  it('labels each chart with what it shows and has its figures as a table', async () => {
    render(<StoredStatsView stored={busyStats()} />);
    const perDay = screen.getByRole('figure', { name: 'Messages per day' });
    expect(within(perDay).getByRole('img').getAttribute('aria-label')).toMatch(/busiest day was Thursday, November 19 with 4,100/);

    await userEvent.click(within(perDay).getByText('Show the numbers'));
    const rows = within(perDay).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(30);
    expect(rows[0]?.textContent).toBe('Oct 23100');
    expect(rows[27]?.textContent).toBe('Nov 194,100');

    const kinds = screen.getByRole('figure', { name: 'Conversations by kind' });
    expect(within(kinds).getByRole('img').getAttribute('aria-label')).toBe('Bar chart of conversations by kind: Direct messages 600, Groups 250, Notes to self 50.');
    expect(within(kinds).getAllByRole('rowheader').map((cell) => cell.textContent)).toEqual(['Direct messages', 'Groups', 'Notes to self']);

    const senders = screen.getByRole('figure', { name: 'Active users' });
    expect(within(senders).getByRole('img').getAttribute('aria-label')).toMatch(/at most 14 people on one day/);
  });

  it('ranks the top conversations, naming those without a title by what they are', () => {
    render(<StoredStatsView stored={busyStats()} />);
    const rows = within(screen.getByTestId('top-conversations')).getAllByTestId('top-conversation');
    expect(rows.map((row) => [...row.children].map((cell) => cell.textContent))).toEqual([
      ['1', 'Weekend trip', 'Group', '2,500'],
      ['2', 'Direct message #3', 'Direct message', '800'],
      ['3', 'Notes to self #9', 'Notes to self', '12'],
    ]);
  });

  it('on a new install shows zeros and says there is nothing yet instead of empty charts', () => {
    const { container } = render(<StoredStatsView stored={emptyStoredStats()} />);
    for (const id of ['users-total', 'users-daily-active', 'conversations-total', 'messages-total', 'messages-today', 'messages-average']) {
      expect(within(tile(id)).getByText('0')).toBeTruthy();
    }
    expect(screen.queryAllByRole('img')).toHaveLength(0);
    expect(screen.queryAllByTestId('heat-cell')).toHaveLength(0);
    expect(within(screen.getByRole('figure', { name: 'Messages per day' })).getByTestId('chart-empty').textContent).toBe('No messages yet.');
    expect(within(screen.getByRole('figure', { name: 'Active users' })).getByTestId('chart-empty').textContent).toBe('No messages yet.');
    expect(within(screen.getByRole('figure', { name: 'Conversations by kind' })).getByTestId('chart-empty').textContent).toBe('No conversations yet.');
    expect(within(screen.getByRole('figure', { name: 'Busiest hours' })).getByTestId('chart-empty').textContent).toBe('No messages yet.');
    expect(within(screen.getByTestId('top-conversations')).getByTestId('chart-empty').textContent).toBe('No messages yet.');
    expect(container.textContent).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('tells an old install with no recent messages apart from a new one', () => {
    const stats = emptyStoredStats();
    stats.messages.total = 50;
    stats.conversations = { total: 2, byKind: { direct: 1, group: 1, self: 0 }, averageMessages: 25 };
    render(<StoredStatsView stored={stats} />);
    expect(within(screen.getByRole('figure', { name: 'Messages per day' })).getByTestId('chart-empty').textContent).toBe('No messages in the last 30 days.');
    expect(within(screen.getByTestId('top-conversations')).getByTestId('chart-empty').textContent).toBe('No messages in the last 7 days.');
    // Conversations exist, so that chart is drawn.
    expect(within(screen.getByRole('figure', { name: 'Conversations by kind' })).getByRole('img')).toBeTruthy();
  });
});
