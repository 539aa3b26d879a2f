/**
 * The admin statistics view, loaded only when an admin opens /admin (AdminPage imports it
 * lazily), so uPlot and these components never weigh on the app's first load.
 */
import { describeError } from '../../errors.ts';
import { useNow } from '../../hooks.ts';
import { trpc } from '../../trpc.ts';
import { LivePanel } from './LivePanel.tsx';
import { useLiveStats } from './live-stats.ts';
import { StoredFreshness, StoredStatsView } from './StoredStatsView.tsx';
import './admin.css';

/** The stored figures are re-read this often while the view is open (the server may cache them briefly). */
export const STORED_REFRESH_MS = 60_000;

export default function AdminStats() {
  const stats = trpc.admin.stats.useQuery(undefined, { refetchInterval: STORED_REFRESH_MS, staleTime: 0 });
  const now = useNow(5_000);
  const live = useLiveStats(stats.data?.live);

  return (
    <section className="admin-pane" aria-labelledby="admin-heading">
      <h1 id="admin-heading">Statistics</h1>
      <LivePanel live={live.live} status={live.status} error={live.error} />
      {stats.data ? (
        <section className="stats-section" aria-labelledby="stored-heading">
          <div className="section-head">
            <h2 id="stored-heading">Usage</h2>
            <StoredFreshness
              generatedAt={stats.data.stored.generatedAt}
              maxAgeMs={stats.data.storedMaxAgeMs}
              now={now}
              refreshing={stats.isFetching}
              // A failed refetch still holds the last figures: that is no answer.
              onRefresh={async () => {
                const result = await stats.refetch();
                return result.isError ? null : (result.data?.stored.generatedAt ?? null);
              }}
            />
          </div>
          {/* A failed refresh keeps the last figures, and says how old they are. */}
          {stats.error && (
            <p role="alert" className="admin-error">
              Could not refresh: {describeError(stats.error)}
            </p>
          )}
          <StoredStatsView stored={stats.data.stored} />
        </section>
      ) : stats.error ? (
        <div role="alert" className="admin-error">
          <p>{describeError(stats.error)}</p>
          <button type="button" className="button" onClick={() => void stats.refetch()}>
            Try again
          </button>
        </div>
      ) : (
        <p role="status">Loading statistics…</p>
      )}
    </section>
  );
}
