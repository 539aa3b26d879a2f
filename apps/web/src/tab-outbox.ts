import { useCallback, useEffect, useState } from 'react';
import { isUnauthorized } from './errors.ts';
import { useConnectionRegained, useSession } from './hooks.ts';
import { tellOtherTabsUnsent } from './other-tabs.ts';
import { Outbox } from './outbox.ts';
import { tabSessionStorage } from './tab-storage.ts';
import { isApiError, trpc } from './trpc.ts';

/** How long a send may wait for its answer before it shows as not sent (and goes again by itself). */
export const SEND_TIMEOUT_MS = 15_000;

/**
 * The signed-in tab's outbox: made once, sending through the API, and told when the
 * connection is back (the socket reconnected after it dropped, or the browser's online
 * event), so sends that got no answer go again at once rather than at the end of the
 * outbox's own growing wait (which also covers calls failing while the socket stays up).
 */
export function useTabOutbox(userId: number): Outbox {
  const utils = trpc.useUtils();
  const { session } = useSession();
  const [outbox] = useState(
    () =>
      new Outbox(
        (input) =>
          utils.client.messages.send.mutate(input, { signal: AbortSignal.timeout(SEND_TIMEOUT_MS) }).catch((error: unknown) => {
            // A dead token ends the session as any call's does; the message stays kept for the user's return.
            if (isApiError(error) && isUnauthorized(error)) session.expire();
            throw error;
          }),
        tabSessionStorage(),
        userId,
      ),
  );
  useEffect(() => {
    outbox.start();
    return () => outbox.dispose();
  }, [outbox]);

  useConnectionRegained(useCallback(() => outbox.resendWaiting('when-online'), [outbox]));
  useEffect(() => {
    // The tab's sessionStorage, which keeps them over a reload, goes when the tab is closed:
    // the browser asks "Leave site?" first (it cannot tell a close from a reload).
    const warn = (event: BeforeUnloadEvent) => {
      if (outbox.unsentCount() > 0) event.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [outbox]);
  // Signing out in another tab would lose them too: it asks first (SignOut.tsx).
  useEffect(() => tellOtherTabsUnsent(outbox), [outbox]);
  useEffect(() => {
    const backOnline = () => outbox.resendWaiting('when-online');
    window.addEventListener('online', backOnline);
    return () => window.removeEventListener('online', backOnline);
  }, [outbox]);
  return outbox;
}
