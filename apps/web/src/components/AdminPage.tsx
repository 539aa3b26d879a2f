import { lazy, Suspense } from 'react';
import { followLink } from '../router.ts';
import type { Me } from '../trpc.ts';

// Loaded on demand: the charts (uPlot) and the view weigh nothing on the app's first load,
// and someone who is not an admin never downloads them.
const AdminStats = lazy(() => import('./admin/AdminStats.tsx'));

/**
 * The admin view. Only admins are offered the link; anyone else who types the address is told
 * so (the server refuses admin.* to them anyway).
 */
export function AdminPage({ me }: { me: Me }) {
  if (me.role !== 'admin') {
    return (
      <section className="thread-pane placeholder" aria-label="Admin">
        <p role="alert" data-testid="admin-not-allowed">
          You are not allowed to see this page: it is for Parley admins.
        </p>
        <a className="button" href="/" onClick={followLink}>
          Back to conversations
        </a>
      </section>
    );
  }
  return (
    <Suspense
      fallback={
        <section className="thread-pane placeholder" aria-label="Statistics">
          <p role="status">Loading statistics…</p>
        </section>
      }
    >
      <AdminStats />
    </Suspense>
  );
}
