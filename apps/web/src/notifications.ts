/**
 * Desktop notifications of new messages, from the inbox stream (live-inbox.ts) and from what
 * the inbox finds when it catches up after a reconnection: a message from someone else that I have not read, unless I muted its conversation or am looking at
 * it when the notice is due. One notification per conversation (its tag), replaced by the next message
 * there and closed once the conversation is read, here or on another device. Tabs of one
 * browser share the tag, so the browser shows one notification however many tabs are open.
 *
 * Whether they are on is the browser's permission and, once granted, a switch in the app
 * kept per browser in localStorage (so it can be turned off without the browser's settings).
 */
import { conversationName, conversationsAlike, directHandle, messagePreview, type TextPart } from './format.ts';
import { compareInboxOrder } from './inbox-cache.ts';
import { isPageSeen } from './mark-read.ts';
import { parseRoute } from './router.ts';
import type { ConversationSummary, InboxEvent } from './trpc.ts';

export interface MessageNotice {
  conversationId: number;
  /** One per conversation: the next message there replaces it. */
  tag: string;
  /** The conversation's name: "Bob", "Weekend trip". */
  title: string;
  /** The message as the inbox previews it: "see you" in a DM, "Bob: see you" in a group. */
  body: string;
}

/** First-strong isolate and its end: a name or text of the other direction reorders only itself. */
const [FSI, PDI] = ['\u2068', '\u2069'];
/** The preview as plain text: its parts isolated from each other; a lone part (a DM's text) as it is. */
function plain(parts: TextPart[]): string {
  const [only] = parts;
  if (parts.length === 1 && only !== undefined) return typeof only === 'string' ? only : only.isolate;
  return parts.map((part) => (typeof part === 'string' ? part : `${FSI}${part.isolate}${PDI}`)).join('');
}

/**
 * What to notify for an inbox event, or null: a new message, not mine, not deleted, in a
 * conversation I have not muted, that made its unread count grow. `loaded` is the inbox as this tab has it, in
 * order: a conversation it has not loaded is news only if it now sorts before all of them
 * (a rename of an old conversation with unread messages is not).
 */
export function messageNotice(event: InboxEvent, loaded: readonly ConversationSummary[], myId: number): MessageNotice | null {
  if (event.type !== 'conversation.changed' && event.type !== 'conversation.added') return null;
  const conversation = event.conversation;
  const message = conversation.lastMessage;
  if (conversation.muted || !message || message.senderId === myId || message.deletedAt !== null) return null;
  const before = loaded.find((item) => item.id === conversation.id);
  const newest = loaded[0];
  const fresh = before
    ? before.lastMessage?.id !== message.id && conversation.unreadCount > before.unreadCount
    : conversation.unreadCount > 0 && (!newest || compareInboxOrder(conversation, newest) < 0);
  if (!fresh) return null;
  // A DM whose name another conversation would pass for says whose it is, as its inbox row does.
  const name = conversationName(conversation, myId);
  const handle = directHandle(conversation, myId);
  const shared = handle !== null && conversationsAlike([conversation, ...loaded.filter((item) => item.id !== conversation.id)], myId).has(conversation.id);
  return {
    conversationId: conversation.id,
    tag: `parley-conversation-${conversation.id}`,
    title: shared ? `${name} (${handle})` : name,
    body: plain(messagePreview(conversation, myId)),
  };
}

/**
 * The conversation whose notification an inbox event ends, or null: read (here or
 * elsewhere), its last message deleted, muted, or I am no longer in it.
 */
export function endedNotice(event: InboxEvent): number | null {
  if (event.type === 'presence') return null;
  if (event.type === 'conversation.removed') return event.conversationId;
  const { id, unreadCount, lastMessage, muted } = event.conversation;
  return unreadCount === 0 || lastMessage?.deletedAt || muted ? id : null;
}

/** At most this many conversations are notified at once when the inbox catches up after a reconnection. */
export const CATCH_UP_MAX = 5;

/**
 * What the inbox catching up after a reconnection (or a sleep) tells: `before` is the inbox
 * as the live stream last left it, `after` as refetched, both in inbox order. Each conversation is judged as its
 * live event would have been: a message from someone else that raised its unread count is a
 * notice (the newest CATCH_UP_MAX conversations; the title's count tells of the rest), and
 * one read, muted or emptied elsewhere meanwhile ends its notification. `handled`: the
 * conversations whose live events since the reconnection already did either.
 */
export function catchUpNotices(
  before: readonly ConversationSummary[],
  after: readonly ConversationSummary[],
  myId: number,
  handled: ReadonlySet<number>,
): { notices: MessageNotice[]; ended: number[] } {
  const notices: MessageNotice[] = [];
  const ended: number[] = [];
  for (const conversation of after) {
    if (handled.has(conversation.id)) continue;
    const event: InboxEvent = { type: 'conversation.changed', conversation };
    const end = endedNotice(event);
    if (end !== null) ended.push(end);
    // Judged by the mute as it is now: when it was unmuted meanwhile is not known, and a
    // conversation someone unmuted is one they want to hear of.
    const notice = end === null ? messageNotice(event, before, myId) : null;
    if (notice && notices.length < CATCH_UP_MAX) notices.push(notice);
  }
  return { notices, ended };
}

/** What the switch offers: nothing where the browser has no notifications, a hint where they are blocked. */
export type NotificationSetting = 'unsupported' | 'blocked' | 'off' | 'on';

const MUTED_KEY = 'parley.notifications-muted';

type Permission = 'default' | 'denied' | 'granted';

/** The pieces of the browser this needs, passed in so tests can give their own. */
export interface NotificationHost {
  permission: () => Permission | null;
  requestPermission: () => Promise<Permission>;
  storage: Storage | null;
  /** Whether the conversation is on screen to someone looking at it now: no notice for it then. */
  isShowing: (conversationId: number) => boolean;
  show: (notice: MessageNotice, onClick: () => void) => { close: () => void };
}

export interface Notifier {
  getSetting: () => NotificationSetting;
  subscribe: (listener: () => void) => () => void;
  /** Asks the browser (from a click: browsers only ask then) or unmutes; `false` mutes. */
  turn: (on: boolean) => Promise<void>;
  /** Shows `notice` after NOTICE_DELAY_MS if notifications are on and it was not dismissed by then; a click on it calls `open`. */
  notify: (notice: MessageNotice, open: (conversationId: number) => void) => void;
  /** Closes this tab's notification of a conversation (read, or its message deleted). */
  dismiss: (conversationId: number) => void;
  /** Closes all of this tab's (on sign-out: they show what was said). */
  dismissAll: () => void;
}

/**
 * How long a notice waits before it shows: long enough for a tab where I am reading the
 * conversation (another tab, another window) to mark it read, which cancels it.
 */
export const NOTICE_DELAY_MS = 1_500;

export function createNotifier(host: NotificationHost): Notifier {
  const listeners = new Set<() => void>();
  const pending = new Map<number, { notice: MessageNotice; timer: ReturnType<typeof setTimeout> }>();
  const shown = new Map<number, { close: () => void }>();
  let setting = read();

  function read(): NotificationSetting {
    const permission = host.permission();
    if (permission === null) return 'unsupported';
    if (permission === 'denied') return 'blocked';
    if (permission === 'default') return 'off';
    return readMuted(host.storage) ? 'off' : 'on';
  }
  function refresh() {
    const next = read();
    if (next === setting) return;
    setting = next;
    for (const listener of listeners) listener();
  }
  function dismiss(conversationId: number) {
    clearTimeout(pending.get(conversationId)?.timer);
    pending.delete(conversationId);
    shown.get(conversationId)?.close();
    shown.delete(conversationId);
  }
  function show(conversationId: number, open: (conversationId: number) => void) {
    const notice = pending.get(conversationId)?.notice;
    pending.delete(conversationId);
    refresh();
    // Asked now, not when the message came: the conversation may have been opened meanwhile.
    if (!notice || setting !== 'on' || host.isShowing(conversationId)) return;
    shown.get(conversationId)?.close();
    try {
      shown.set(
        conversationId,
        host.show(notice, () => {
          dismiss(conversationId);
          open(conversationId);
        }),
      );
    } catch {
      // Some browsers (Chrome on Android) notify only from a service worker: the title's count still tells.
    }
  }

  return {
    getSetting: () => setting,
    subscribe(listener) {
      listeners.add(listener);
      // The permission can change in the browser's settings, the switch in another tab.
      const onChange = () => refresh();
      window.addEventListener('storage', onChange);
      window.addEventListener('focus', onChange);
      return () => {
        listeners.delete(listener);
        window.removeEventListener('storage', onChange);
        window.removeEventListener('focus', onChange);
      };
    },
    async turn(on) {
      writeMuted(host.storage, !on);
      if (on && host.permission() === 'default') await host.requestPermission().catch(() => undefined);
      refresh();
    },
    notify(notice, open) {
      refresh();
      if (setting !== 'on') return;
      const waiting = pending.get(notice.conversationId);
      // A later message while one waits: the notice shows the latest, still on the first one's time.
      if (waiting) waiting.notice = notice;
      else pending.set(notice.conversationId, { notice, timer: setTimeout(() => show(notice.conversationId, open), NOTICE_DELAY_MS) });
    },
    dismiss,
    dismissAll() {
      for (const conversationId of new Set([...pending.keys(), ...shown.keys()])) dismiss(conversationId);
    },
  };
}

function readMuted(storage: Storage | null): boolean {
  try {
    return storage?.getItem(MUTED_KEY) === 'yes';
  } catch {
    return false;
  }
}

function writeMuted(storage: Storage | null, muted: boolean): void {
  try {
    if (muted) storage?.setItem(MUTED_KEY, 'yes');
    else storage?.removeItem(MUTED_KEY);
  } catch {
    // Storage blocked: the browser's permission alone decides.
  }
}

/** The browser's notifications, or a host that has none. */
export function browserNotificationHost(storage: Storage | null): NotificationHost {
  const api = typeof window !== 'undefined' && 'Notification' in window ? window.Notification : null;
  return {
    permission: () => api?.permission ?? null,
    requestPermission: () => api?.requestPermission() ?? Promise.resolve('denied'),
    storage,
    isShowing(conversationId) {
      const route = parseRoute(window.location.pathname);
      return route.name === 'conversation' && route.id === conversationId && isPageSeen();
    },
    show(notice, onClick) {
      if (!api) return { close: () => undefined };
      const icon = document.querySelector<HTMLLinkElement>('link[rel="icon"]')?.href;
      const notification = new api(notice.title, { body: notice.body, tag: notice.tag, icon });
      notification.onclick = () => {
        window.focus();
        onClick();
      };
      return { close: () => notification.close() };
    },
  };
}
