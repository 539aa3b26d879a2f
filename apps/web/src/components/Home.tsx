import { isUnauthorized } from '../errors.ts';
import { useSession } from '../hooks.ts';
import { useLiveInbox } from '../live-inbox.ts';
import { trpc, type Me } from '../trpc.ts';
import { ConnectionBanner } from './ConnectionBanner.tsx';
import { Inbox } from './Inbox.tsx';

const SIGNED_OUT_OFFLINE =
  'Signed out on this device. Parley could not be reached to end your session on other devices; sign out again when you are back online.';

/** The signed-in app: who I am, a way out, and my conversations. */
export function Home({ me }: { me: Me }) {
  const { session } = useSession();
  useLiveInbox();
  const logout = trpc.auth.logout.useMutation({
    // Signing out must always work on this device, even when the server cannot be reached.
    onSuccess: () => session.end(),
    onError: (error) => session.end(isUnauthorized(error) ? undefined : SIGNED_OUT_OFFLINE),
  });

  return (
    <div className="app">
      <div className="masthead">
        <header className="topbar">
          <p className="brand">Parley</p>
          <div className="account">
            <span className="me" data-testid="current-user">
              <span className="visually-hidden">Signed in as </span>
              {me.displayName}
            </span>
            <button
              type="button"
              className="button"
              onClick={() => logout.mutate()}
              disabled={logout.isPending}
              aria-busy={logout.isPending || undefined}
            >
              {logout.isPending ? 'Signing out…' : 'Sign out'}
            </button>
          </div>
        </header>
        <ConnectionBanner />
      </div>
      <main className="content">
        <Inbox me={me} />
      </main>
    </div>
  );
}
