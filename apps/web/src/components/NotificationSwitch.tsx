import { useEffect, useState, useSyncExternalStore } from 'react';
import type { NotificationSetting, Notifier } from '../notifications.ts';
import { BellIcon } from './BellIcon.tsx';

const HINTS: Record<Exclude<NotificationSetting, 'unsupported'>, string> = {
  on: 'Desktop notifications are on: new messages are shown when you are not looking at their conversation',
  off: 'Turn on desktop notifications of new messages',
  blocked: "Desktop notifications are blocked in this browser's settings for this site",
};

/** Said under the bell when a click did not turn them on: the browser's question was dismissed or refused. */
const NOT_ALLOWED = 'The browser did not allow notifications, so they stay off.';
/** How long that note stays. */
export const NOTE_MS = 8_000;

/**
 * The bell beside New in the inbox: desktop notifications on or off (notifications.ts). The first
 * time it asks the browser, which only asks from a click like this one. A click that cannot
 * turn them on says why under it (the title alone reaches no touch screen).
 */
export function NotificationSwitch({ notifier }: { notifier: Notifier }) {
  const setting = useSyncExternalStore(notifier.subscribe, notifier.getSetting);
  const [asking, setAsking] = useState(false);
  // An object, so the same words said again start their time again.
  const [note, setNote] = useState<{ text: string } | null>(null);
  useEffect(() => {
    if (!note) return;
    const timer = setTimeout(() => setNote(null), NOTE_MS);
    return () => clearTimeout(timer);
  }, [note]);
  if (setting === 'unsupported') return null;
  const on = setting === 'on';
  const blocked = setting === 'blocked';
  const toggle = () => {
    if (asking) return;
    if (blocked) return setNote({ text: HINTS.blocked });
    setAsking(true);
    setNote(null);
    void notifier
      .turn(!on)
      .then(() => {
        const now = notifier.getSetting();
        if (!on && now !== 'on') setNote({ text: now === 'blocked' ? HINTS.blocked : NOT_ALLOWED });
      })
      .finally(() => setAsking(false));
  };
  return (
    <>
      <button
        type="button"
        className="button icon-button"
        aria-pressed={on}
        aria-disabled={blocked || asking || undefined}
        title={HINTS[setting]}
        onClick={toggle}
      >
        {/* Struck only where the browser blocks them: a struck bell in the inbox means a muted conversation. */}
        <BellIcon muted={blocked} />
        <span className="visually-hidden">Desktop notifications</span>
      </button>
      <span role="status" className={note ? 'action-note' : undefined}>
        {note?.text}
      </span>
    </>
  );
}
