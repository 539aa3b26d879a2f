import { useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore } from 'react';
import { isUnauthorized } from '../errors.ts';
import { focusIfLost } from '../focus.ts';
import { unsentCount } from '../format.ts';
import { OTHER_TABS_ANSWER_MS, watchOtherTabsUnsent } from '../other-tabs.ts';
import { useOutbox, useSession } from '../hooks.ts';
import { trpc } from '../trpc.ts';
import { ConfirmQuestion } from './ConfirmQuestion.tsx';

/** auth.logout ends every session of mine (the contract): said, so that my phone signed out too is no surprise. */
export const SIGNED_OUT_EVERYWHERE = 'Signed out, here and on your other devices.';
const SIGNED_OUT_OFFLINE =
  'Signed out on this device. Parley could not be reached to end your session on other devices; sign out again when you are back online.';

/**
 * Sign out: at once, unless my messages are still on their way (sending or not sent), here
 * or in this browser's other tabs, which signing out throws away (session.end clears each
 * tab's outbox); then it asks first. With nothing unsent here, the other tabs have a moment
 * to answer (other-tabs.ts).
 */
export function SignOut() {
  const { session } = useSession();
  const outbox = useOutbox();
  const unsentHere = useSyncExternalStore(outbox.subscribe, outbox.unsentCount);
  const { mutate: logOut, isPending: loggingOut } = trpc.auth.logout.useMutation({
    // Signing out must always work on this device, even when the server cannot be reached.
    onSuccess: () => session.end(SIGNED_OUT_EVERYWHERE),
    onError: (error) => session.end(isUnauthorized(error) ? undefined : SIGNED_OUT_OFFLINE),
  });

  const [step, setStep] = useState<'idle' | 'hearing-tabs' | 'asking'>('idle');
  // The other tabs' unsent messages, followed from the click until the question is answered.
  const [unsentElsewhere, setUnsentElsewhere] = useState(0);
  const following = step !== 'idle';
  useEffect(() => {
    if (!following) return;
    const stop = watchOtherTabsUnsent(setUnsentElsewhere);
    return () => {
      stop();
      setUnsentElsewhere(0);
    };
  }, [following]);
  const unsent = unsentHere + unsentElsewhere;
  const latestUnsent = useRef(unsent);
  useLayoutEffect(() => {
    latestUnsent.current = unsent;
  });
  useEffect(() => {
    if (step !== 'hearing-tabs') return;
    const heard = setTimeout(() => {
      if (latestUnsent.current > 0) setStep('asking');
      else {
        setStep('idle');
        logOut();
      }
    }, OTHER_TABS_ANSWER_MS);
    return () => clearTimeout(heard);
  }, [step, logOut]);

  // Everything went while I was asked: nothing is lost any more, so the question goes, and
  // the keyboard that was in it goes back to Sign out.
  const [answeredBySending, setAnsweredBySending] = useState(0);
  if (step === 'asking' && unsent === 0) {
    setStep('idle');
    setAnsweredBySending((times) => times + 1);
  }
  const button = useRef<HTMLButtonElement | null>(null);
  useEffect(() => {
    if (answeredBySending > 0) focusIfLost(button.current);
  }, [answeredBySending]);
  // Cancel puts the keyboard back on Sign out, once it is rendered again.
  const cancel = () => {
    setStep('idle');
    requestAnimationFrame(() => button.current?.focus());
  };
  const signOut = () => {
    setStep('idle');
    logOut();
  };

  const busy = loggingOut || step === 'hearing-tabs';
  return step === 'asking' ? (
    <ConfirmQuestion label="Sign out anyway?" confirm="Sign out" cancel="Cancel" onConfirm={signOut} onCancel={cancel}>
      {unsentCount(unsent)} will be lost{elsewhere(unsentElsewhere, unsent)}. Sign out anyway?
    </ConfirmQuestion>
  ) : (
    <button
      ref={button}
      type="button"
      className="button"
      title="Signs you out of Parley on every device"
      onClick={() => setStep(unsentHere > 0 ? 'asking' : 'hearing-tabs')}
      disabled={busy}
      aria-busy={busy || undefined}
    >
      {busy ? 'Signing out…' : 'Sign out'}
    </button>
  );
}

/** Where the unsent messages are, when not all of them are in this tab. */
function elsewhere(inOtherTabs: number, all: number): string {
  if (inOtherTabs === 0) return '';
  return inOtherTabs === all ? ' (in your other tabs)' : ` (${inOtherTabs} in your other tabs)`;
}
