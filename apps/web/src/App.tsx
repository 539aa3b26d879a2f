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
import { renewalOf, sameUser, userIdOf, type Session } from './session.ts';
import { trpc } from './trpc.ts';

export function App({ session }: { session: Session }) {
  const [queryClient] = useState(() => createQueryClient(session));
  // One client per signed-in user (its own socket); swapped as the session changes hands.
  const [apiClients] = useState(() => createApiClientSource(session));
  const apiClient = useSyncExternalStore(apiClients.subscribe, apiClients.getClient);

  // Whoever signs in or out (this tab or another), nothing cached for the last user survives,
  // and whoever signs in next starts at the inbox, not on the page the last user had open.
  // Only a session that ended by itself keeps its page, for its user to sign in again to, and
  // a renewed token (the same user's next one) changes nothing on screen.
  useEffect(() => {
    let token = session.getState().token;
    let pageKeptFor: number | null = null;
    return session.subscribe(() => {
      const { token: next, expired } = session.getState();
      if (next === token) return;
      const previous = token;
      token = next;
      if (sameUser(previous, next)) return;
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
  // Keyed by user: someone else's session starts from fresh component state; a renewed token keeps it.
  return state.token ? <SignedIn key={userIdOf(state.token) ?? state.token} /> : <SignIn notice={state.notice} />;
}

/** Checks the stored token with auth.me before showing anything that needs it, and keeps it fresh. */
function SignedIn() {
  const { session } = useSession();
  const me = trpc.auth.me.useQuery(undefined, { staleTime: Infinity });
  useTokenRenewal(me.isSuccess);

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

/** Look again at least this often: a sleeping computer's timers may not count the sleep. */
const RENEWAL_CHECK_MAX_MS = 60 * 60_000;

/**
 * Swaps the token for a fresh one (auth.renew) once half its life is gone: as the app opens,
 * when the page is shown again or the network is back, and on a timer for a tab left open.
 * The same user's next token keeps everything on screen (see App).
 */
function useTokenRenewal(enabled: boolean): void {
  const { session, state } = useSession();
  const { mutate: renew } = trpc.auth.renew.useMutation({ onSuccess: ({ token }) => session.renew(token) });
  const renewal = renewalOf(state);
  const dueAt = renewal?.dueAt ?? null;
  const retryMs = renewal?.retryMs ?? 0;
  useEffect(() => {
    if (!enabled || dueAt === null) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let renewing: ReturnType<typeof setTimeout> | undefined;
    let triedAt = -Infinity;
    const check = () => {
      clearTimeout(timer);
      const now = Date.now();
      if (now < dueAt) {
        timer = setTimeout(check, Math.min(dueAt - now, RENEWAL_CHECK_MAX_MS));
        return;
      }
      // A renewal that fails other than UNAUTHORIZED (which ends the session, see query-client.ts) is tried again.
      if (now - triedAt >= retryMs) {
        triedAt = now;
        // The tabs of this browser share the token and fall due together: each waits a random
        // part of the retry, so the first one's new token usually reaches the others (and
        // moves their due time) before they ask too.
        renewing = setTimeout(renew, Math.random() * (retryMs / 2));
      }
      timer = setTimeout(check, retryMs);
    };
    const onShown = () => {
      if (!document.hidden) check();
    };
    const onOnline = () => {
      triedAt = -Infinity;
      check();
    };
    check();
    document.addEventListener('visibilitychange', onShown);
    window.addEventListener('online', onOnline);
    return () => {
      clearTimeout(timer);
      clearTimeout(renewing);
      document.removeEventListener('visibilitychange', onShown);
      window.removeEventListener('online', onOnline);
    };
  }, [enabled, dueAt, retryMs, renew]);
}
