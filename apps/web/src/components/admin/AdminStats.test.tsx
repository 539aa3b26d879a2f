import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { SessionContext } from '../../hooks.ts';
import { createSession } from '../../session.ts';
import { emptyStoredStats, instanceLive, liveStats } from '../../test-fixtures.ts';
import { renderWithServer } from '../../test-render.tsx';
import type { AdminStats as Stats, AppRouter } from '../../trpc.ts';
import AdminStats from './AdminStats.tsx';

/** A server whose admin.stats answers are given by the test, one per call; the live stream stays silent. */
function statsServer() {
  const waiting: ((stats: Stats | null) => void)[] = [];
  const server: TRPCLink<AppRouter> = () => ({ op }) =>
    observable((observer) => {
      if (op.path !== 'admin.stats') return;
      waiting.push((stats) => {
        if (!stats) {
          const data = { code: 'INTERNAL_SERVER_ERROR' as const, httpStatus: 500, path: op.path, zodError: null, retryAfterMs: null };
          return observer.error(TRPCClientError.from<AppRouter>({ error: { code: -32603, message: 'Internal server error', data } }));
        }
        observer.next({ result: { type: 'data', data: stats } });
        observer.complete();
      });
    });
  /** Answers the call the app is waiting on with `stats`, or fails it (null). */
  const answer = async (stats: Stats | null) => {
    await expect.poll(() => waiting.length).toBeGreaterThan(0);
    waiting.shift()?.(stats);
  };
  return { server, answer };
}

const statsAt = (generatedAt: string): Stats => ({
  stored: { ...emptyStoredStats(), generatedAt },
  storedMaxAgeMs: 15_000,
  live: liveStats(generatedAt, [instanceLive('web-1')]),
});

describe('AdminStats, Refresh', () => {
  it('says the figures are up to date when the server has not recomputed them yet', async () => {
    const user = userEvent.setup();
    const { server, answer } = statsServer();
    renderWithServer(
      <SessionContext value={createSession(null)}>
        <AdminStats />
      </SessionContext>,
      server,
    );
    await answer(statsAt('2026-11-21T10:15:00.000Z'));
    const usage = await screen.findByRole('region', { name: 'Usage' });
    const status = within(usage).getByRole('status');
    expect(status.textContent).toBe('');

    await user.click(within(usage).getByRole('button', { name: 'Refresh' }));
    expect(within(usage).getByRole('button', { name: 'Refreshing…' })).toBeTruthy();
    // Within 15 s of the last computation the server gives the same one back.
    await answer(statsAt('2026-11-21T10:15:00.000Z'));
    await expect.poll(() => status.textContent).toBe('Up to date (as of 10:15:00 UTC)');
    expect(within(usage).getByRole('button', { name: 'Refresh' })).toBeTruthy();

    // A refresh that failed brought nothing to be up to date with: the view says it failed.
    await user.click(within(usage).getByRole('button', { name: 'Refresh' }));
    await answer(null);
    await within(usage).findByText(/^Could not refresh/);
    expect(status.textContent).toBe('');

    // Later a new computation comes: the figures say so themselves, and the status goes.
    await user.click(within(usage).getByRole('button', { name: 'Refresh' }));
    expect(status.textContent).toBe('');
    await answer(statsAt('2026-11-21T10:15:20.000Z'));
    await expect.poll(() => within(usage).getByTestId('stored-freshness').textContent).toMatch(/^As of 10:15:20 UTC/);
    expect(status.textContent).toBe('');
  });
});
