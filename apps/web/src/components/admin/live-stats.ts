import { useEffect, useRef, useState } from 'react';
import { newerLive } from '../../admin-stats.ts';
import { reconnectDelayMs } from '../../connection.ts';
import { describeError, isUnauthorized } from '../../errors.ts';
import { useSession } from '../../hooks.ts';
import { trpc, type LiveStats } from '../../trpc.ts';
import type { LiveStatus } from './LivePanel.tsx';

/**
 * The live figures while the view is open: admin.stats' copy first, then every push of
 * admin.onStats (at once, then every ~2 s). The socket reconnects by itself; a stream that
 * fails on the server is started again after the app's reconnect backoff, unless the server
 * refused it (a client error such as FORBIDDEN), which no retry would change.
 */
export function useLiveStats(fromQuery: LiveStats | undefined): { live: LiveStats | null; status: LiveStatus; error: string | null } {
  const { session } = useSession();
  const failedAttempts = useRef(0);
  const retryTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const [refused, setRefused] = useState<string | null>(null);
  useEffect(() => () => clearTimeout(retryTimer.current), []);

  const subscription = trpc.admin.onStats.useSubscription(undefined, {
    onData: () => (failedAttempts.current = 0),
    onError: (error) => {
      // A dead token (signed out elsewhere) ends the session, as it does for any call.
      if (isUnauthorized(error)) {
        session.expire();
        return;
      }
      const httpStatus = error.data?.httpStatus;
      if (httpStatus !== undefined && httpStatus >= 400 && httpStatus < 500) {
        setRefused(describeError(error));
        return;
      }
      clearTimeout(retryTimer.current);
      retryTimer.current = setTimeout(() => subscription.reset(), reconnectDelayMs(failedAttempts.current++));
    },
  });

  const streamed = subscription.data;
  const status: LiveStatus =
    subscription.status === 'pending'
      ? 'live'
      : subscription.status === 'error'
        ? refused
          ? 'stopped'
          : 'reconnecting'
        : streamed
          ? 'reconnecting'
          : 'connecting';
  return { live: newerLive(fromQuery, streamed), status, error: refused };
}
