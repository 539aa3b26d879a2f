/**
 * Signing out in one tab signs this browser's other tabs out too, and their unsent messages
 * go with them (session.ts clears each tab's outbox). So before signing out, a tab asks the
 * others how many they hold: each signed-in tab answers, and says so again whenever its
 * count changes. Over a BroadcastChannel: where there is none, a tab knows only its own.
 */

const CHANNEL = 'parley.unsent';
/** How long Sign out waits for the other tabs' answers when this tab has nothing unsent. */
export const OTHER_TABS_ANSWER_MS = 150;
/** This tab, as the others know it (the answers of its own outbox are not the others'). */
const THIS_TAB = typeof crypto === 'undefined' ? String(Math.random()) : crypto.randomUUID();

type Note = { ask: true } | { tab: string; unsent: number };

const isAsk = (note: unknown): boolean => typeof note === 'object' && note !== null && 'ask' in note;
function countOf(note: unknown): { tab: string; unsent: number } | null {
  if (typeof note !== 'object' || note === null || !('tab' in note) || !('unsent' in note)) return null;
  const { tab, unsent } = note;
  return typeof tab === 'string' && typeof unsent === 'number' ? { tab, unsent } : null;
}

function openChannel(): BroadcastChannel | null {
  return typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(CHANNEL);
}

/**
 * This tab's part: answers the others' asks with `outbox`'s count, and tells each change of
 * it. Returns stop. (`tab`: another tab's name, for tests, where every tab is one page.)
 */
export function tellOtherTabsUnsent(
  outbox: { subscribe: (listener: () => void) => () => void; unsentCount: () => number },
  tab = THIS_TAB,
): () => void {
  const channel = openChannel();
  if (!channel) return () => undefined;
  let told = 0;
  const tell = (unsent: number) => {
    told = unsent;
    channel.postMessage({ tab, unsent } satisfies Note);
  };
  channel.onmessage = (event: MessageEvent<unknown>) => {
    if (isAsk(event.data)) tell(outbox.unsentCount());
  };
  const unsubscribe = outbox.subscribe(() => {
    if (outbox.unsentCount() !== told) tell(outbox.unsentCount());
  });
  // A closing tab's messages are gone (the browser asked "Leave site?" first).
  const gone = () => tell(0);
  window.addEventListener('pagehide', gone);
  return () => {
    unsubscribe();
    window.removeEventListener('pagehide', gone);
    gone();
    channel.close();
  };
}

/** The other tabs' unsent messages in all, as they answer and then as they change. Returns stop. */
export function watchOtherTabsUnsent(onChange: (unsent: number) => void): () => void {
  const channel = openChannel();
  if (!channel) return () => undefined;
  const counts = new Map<string, number>();
  channel.onmessage = (event: MessageEvent<unknown>) => {
    const count = countOf(event.data);
    if (!count || count.tab === THIS_TAB) return;
    counts.set(count.tab, count.unsent);
    onChange([...counts.values()].reduce((sum, unsent) => sum + unsent, 0));
  };
  channel.postMessage({ ask: true } satisfies Note);
  return () => channel.close();
}
