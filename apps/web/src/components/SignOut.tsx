import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { isUnauthorized } from '../errors.ts';
import { focusIfLost } from '../focus.ts';
import { unsentCount } from '../format.ts';
import { useOutbox, useSession } from '../hooks.ts';
import { trpc } from '../trpc.ts';
import { ConfirmQuestion } from './ConfirmQuestion.tsx';

/** auth.logout ends every session of mine (the contract): said, so that my phone signed out too is no surprise. */
export const SIGNED_OUT_EVERYWHERE = 'Signed out, here and on your other devices.';
const SIGNED_OUT_OFFLINE =
  'Signed out on this device. Parley could not be reached to end your session on other devices; sign out again when you are back online.';

/**
 * Sign out: at once, unless my messages are still on their way (sending or not sent), which
 * signing out throws away (session.end clears the tab's outbox); then it asks first.
 */
export function SignOut() {
  const { session } = useSession();
  const outbox = useOutbox();
  const unsent = useSyncExternalStore(outbox.subscribe, outbox.unsentCount);
  const logout = trpc.auth.logout.useMutation({
    // Signing out must always work on this device, even when the server cannot be reached.
    onSuccess: () => session.end(SIGNED_OUT_EVERYWHERE),
    onError: (error) => session.end(isUnauthorized(error) ? undefined : SIGNED_OUT_OFFLINE),
  });

  const [asking, setAsking] = useState(false);
  // Everything went while I was asked: nothing is lost any more, so the question goes, and
  // the keyboard that was in it goes back to Sign out.
  const [answeredBySending, setAnsweredBySending] = useState(0);
  if (asking && unsent === 0) {
    setAsking(false);
    setAnsweredBySending((times) => times + 1);
  }
  const button = useRef<HTMLButtonElement | null>(null);
  useEffect(() => {
    if (answeredBySending > 0) focusIfLost(button.current);
  }, [answeredBySending]);
  // Cancel puts the keyboard back on Sign out, once it is rendered again.
  const cancel = () => {
    setAsking(false);
    requestAnimationFrame(() => button.current?.focus());
  };
  const signOut = () => {
    setAsking(false);
    logout.mutate();
  };

  return asking ? (
    <ConfirmQuestion label="Sign out anyway?" confirm="Sign out" cancel="Cancel" onConfirm={signOut} onCancel={cancel}>
      {unsentCount(unsent)} will be lost. Sign out anyway?
    </ConfirmQuestion>
  ) : (
    <button
      ref={button}
      type="button"
      className="button"
      title="Signs you out of Parley on every device"
      onClick={() => (unsent > 0 ? setAsking(true) : logout.mutate())}
      disabled={logout.isPending}
      aria-busy={logout.isPending || undefined}
    >
      {logout.isPending ? 'Signing out…' : 'Sign out'}
    </button>
  );
}
