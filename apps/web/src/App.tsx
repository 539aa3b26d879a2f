import { QueryClientProvider } from '@tanstack/react-query';
import { useEffect, useState, useSyncExternalStore } from 'react';
import { createApiClientSource } from './api-client.ts';
import { ErrorBoundary } from './components/ErrorBoundary.tsx';
import { Home } from './components/Home.tsx';
import { SignIn } from './components/SignIn.tsx';
import { StatusScreen } from './components/StatusScreen.tsx';
import { describeError, isUnauthorized } from './errors.ts';
import { ConnectionContext, SessionContext, useSession } from './hooks.ts';
import { createQueryClient } from './query-client.ts';
import { navigate } from './router.ts';
import { shouldRenew, userIdOf, type Session } from './session.ts';
import { trpc } from './trpc.ts';

export function App({ session }: { session: Session }) {
  const [queryClient] = useState(() => createQueryClient(session));
  // One client per session token (its own socket); swapped as the session changes.
  const [apiClients] = useState(() => createApiClientSource(session));
  const apiClient = useSyncExternalStore(apiClients.subscribe, apiClients.getClient);

  // Whoever signs in or out (this tab or another), nothing cached for the last user survives,
  // and whoever signs in next starts at the inbox, not on the page the last user had open.
  // Only a session that ended by itself keeps its page, for its user to sign in again to.
  useEffect(() => {
    let token = session.getState().token;
    let pageKeptFor: number | null = null;
    return session.subscribe(() => {
      const { token: next, expired } = session.getState();
      if (next === token) return;
      const previous = token;
      token = next;
      queryClient.clear();
      if (!next) {
        pageKeptFor = expired && previous ? userIdOf(previous) : null;
        if (pageKeptFor === null) navigate('/', { replace: true });
      } else {
        if (pageKeptFor !== null && userIdOf(next) !== pageKeptFor) navigate('/', { replace: true });
        pageKeptFor = null;
      }
    });
  }, [session, queryClient]);

  return (
    <SessionContext value={session}>
      <ConnectionContext value={apiClient.connection}>
        <trpc.Provider client={apiClient.trpc} queryClient={queryClient}>
          <QueryClientProvider client={queryClient}>
            <ErrorBoundary>
              <SessionGate />
            </ErrorBoundary>
          </QueryClientProvider>
        </trpc.Provider>
      </ConnectionContext>
    </SessionContext>
  );
}

function SessionGate() {
  const { state } = useSession();
  // Keyed by token: a new session starts from fresh component state too.
  return state.token ? <SignedIn key={state.token} /> : <SignIn notice={state.notice} />;
}

/**
 * Checks the stored token with auth.me before showing anything that needs it, and swaps it
 * for a fresh one (auth.renew) once half its life is gone: this component starts afresh with
 * the new token, which is why it is asked here, as the app opens, and not in the middle of use.
 */
function SignedIn() {
  const { session, state } = useSession();
  const me = trpc.auth.me.useQuery(undefined, { staleTime: Infinity });
  const renew = trpc.auth.renew.useMutation({ onSuccess: ({ token }) => session.signIn(token) });
  const { mutate: renewNow } = renew;
  const checked = me.isSuccess;
  const { token } = state;
  useEffect(() => {
    // A failure other than UNAUTHORIZED (which ends the session) leaves the token as it is, until the next start.
    if (checked && token !== null && shouldRenew(token, Date.now())) renewNow();
  }, [checked, token, renewNow]);

  if (me.isSuccess) return <Home me={me.data} />;
  // UNAUTHORIZED ends the session (see query-client.ts); the sign-in form takes over.
  if (me.isPending || isUnauthorized(me.error)) return <StatusScreen>Loading…</StatusScreen>;
  return (
    <StatusScreen alert>
      <p>{describeError(me.error)}</p>
      <div className="actions">
        <button type="button" className="button primary" onClick={() => void me.refetch()}>
          Try again
        </button>
        <button type="button" className="button" onClick={() => session.end()}>
          Sign out
        </button>
      </div>
    </StatusScreen>
  );
}
