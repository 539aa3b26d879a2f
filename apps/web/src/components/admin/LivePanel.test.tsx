import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { newerLive } from '../../admin-stats.ts';
import { instanceLive, liveStats } from '../../test-fixtures.ts';
import { LivePanel } from './LivePanel.tsx';

const tileText = (id: string) => screen.getByTestId(`live-${id}`).querySelector('.stat-value')?.textContent;
const instanceRows = () => screen.getAllByTestId('live-instance').map((row) => [...row.children].map((cell) => cell.textContent));

describe('LivePanel', () => {
  it('shows the totals as tiles and one row per instance', () => {
    const live = liveStats(
      '2026-11-21T10:15:02.000Z',
      [
        instanceLive('web-1', { sockets: 12, onlineUsers: 9, subscriptions: 30, typingUsers: 2, messagesPerSecond: 1.25, latencyMs: { p50: 3.4, p99: 48 } }),
        instanceLive('web-2', { sockets: 18, onlineUsers: 14, subscriptions: 41, messagesPerSecond: 0.5, uptimeSeconds: 42, memory: { rssBytes: 2 * 1024 ** 3, heapUsedBytes: 512 } }),
      ],
      { p50: 3.1, p99: 1_250 },
    );
    render(<LivePanel live={live} status="live" error={null} />);

    expect(tileText('sockets')).toBe('30');
    expect(tileText('online-users')).toBe('23');
    expect(tileText('subscriptions')).toBe('71');
    expect(tileText('typing-users')).toBe('2');
    expect(tileText('messages-per-second')).toBe('1.75');
    expect(tileText('latency-p50')).toBe('3.1 ms');
    expect(tileText('latency-p99')).toBe('1.3 s');
    expect(screen.getByRole('status').textContent).toBe('Live: updated every 2 s');
    expect(screen.getByTestId('live-generated-at').textContent).toBe('10:15:02 UTC');

    expect(screen.getByRole('table', { name: '2 instances' })).toBeTruthy();
    expect(instanceRows()).toEqual([
      ['web-1', '2 h 15 min', '12', '9', '30', '2', '1.25', '3.4 ms / 48 ms', '13 ms', '120 MiB / 40 MiB'],
      ['web-2', '42 s', '18', '14', '41', '0', '0.5', '– / –', '13 ms', '2 GiB / 512 B'],
    ]);
  });

  it('follows new figures as they arrive, an instance that started included', () => {
    const first = liveStats('2026-11-21T10:15:00.000Z', [instanceLive('web-1', { sockets: 1, onlineUsers: 1 })]);
    const { rerender } = render(<LivePanel live={first} status="live" error={null} />);
    expect(tileText('sockets')).toBe('1');
    expect(screen.getAllByTestId('live-instance')).toHaveLength(1);

    const next = liveStats('2026-11-21T10:15:02.000Z', [
      instanceLive('web-1', { sockets: 2, onlineUsers: 2 }),
      instanceLive('web-2', { sockets: 5, onlineUsers: 4 }),
    ]);
    rerender(<LivePanel live={next} status="live" error={null} />);
    expect(tileText('sockets')).toBe('7');
    expect(tileText('online-users')).toBe('6');
    expect(screen.getByTestId('live-generated-at').textContent).toBe('10:15:02 UTC');
    expect(instanceRows().map((row) => [row[0], row[2]])).toEqual([
      ['web-1', '2'],
      ['web-2', '5'],
    ]);
  });

  it('keeps the newest figures whichever way they came (a slow admin.stats answer does not undo a push)', () => {
    const pushed = liveStats('2026-11-21T10:15:04.000Z', [instanceLive('web-1', { sockets: 3 })]);
    const queried = liveStats('2026-11-21T10:15:01.000Z', [instanceLive('web-1', { sockets: 1 })]);
    expect(newerLive(queried, pushed)).toBe(pushed);
    expect(newerLive(pushed, queried)).toBe(pushed);
    expect(newerLive(queried, undefined)).toBe(queried);
    expect(newerLive(undefined, undefined)).toBeNull();
  });

  it('says when nothing was delivered rather than showing a bare dash', () => {
    render(<LivePanel live={liveStats('2026-11-21T10:15:00.000Z', [instanceLive('web-1')])} status="live" error={null} />);
    expect(tileText('latency-p50')).toBe('–');
    expect(within(screen.getByTestId('live-latency-p50')).getByText('Nothing delivered in the last minute')).toBeTruthy();
  });

  it('before the first figures shows dashes, then says when the stream is reconnecting or the figures are partial', () => {
    const { rerender } = render(<LivePanel live={null} status="connecting" error={null} />);
    expect(screen.getByRole('status').textContent).toBe('Connecting…');
    expect(tileText('sockets')).toBe('–');
    expect(screen.queryByTestId('live-instance')).toBeNull();
    expect(screen.getByTestId('live-panel').textContent).not.toMatch(/NaN|undefined/);

    const partial = { ...liveStats('2026-11-21T10:15:00.000Z', [instanceLive('web-1', { sockets: 4 })]), complete: false };
    rerender(<LivePanel live={partial} status="reconnecting" error={null} />);
    expect(screen.getByRole('status').textContent).toBe('Reconnecting… these are the last figures received');
    expect(tileText('sockets')).toBe('4');
    expect(screen.getByTestId('live-incomplete').textContent).toMatch(/Only this server's figures/);

    rerender(<LivePanel live={partial} status="stopped" error="You are not allowed to do this." />);
    expect(screen.getByRole('status').textContent).toBe('Live updates stopped');
    expect(screen.getAllByRole('alert').map((alert) => alert.textContent)).toContain('You are not allowed to do this.');
  });
});
