import { followLink } from '../router.ts';
import type { Me } from '../trpc.ts';

/**
 * The admin view's place in the app. Only admins are offered the link; anyone else who types
 * the address is told so (the server refuses admin.* to them anyway). The statistics
 * themselves belong to the admin statistics view.
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
    <section className="thread-pane placeholder" aria-labelledby="admin-heading">
      <h1 id="admin-heading">Admin</h1>
      <p className="muted">Statistics for Parley appear here.</p>
      <a className="button" href="/" onClick={followLink}>
        Back to conversations
      </a>
    </section>
  );
}
