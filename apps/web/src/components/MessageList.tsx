import { Fragment, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { memberNames } from '../format.ts';
import type { NamedUser } from '../sender-names.ts';
import { deliveryOf, type Reader } from '../read-receipts.ts';
import { canDeleteMessage } from '../group-rules.ts';
import { createdParts, noticeParts } from '../notices.ts';
import type { PendingSend } from '../outbox.ts';
import { dayKey, dayLabel, holdsFirstUnread, oldestSeq, timelineOf, timeOfEntry, type TimelineEntry } from '../thread-state.ts';
import type { ConversationDetail, ConversationEvent, Message } from '../trpc.ts';
import { focusIfLost } from '../focus.ts';
import { MessageItem } from './MessageItem.tsx';
import { PendingItem } from './PendingItem.tsx';
import { TextParts } from './TextParts.tsx';

/** A timeline entry's React key, unique within the list. */
const keyOf = (entry: TimelineEntry | undefined): string | undefined =>
  entry && (entry.kind === 'message' ? `message-${entry.message.id}` : entry.kind === 'notice' ? `notice-${entry.notice.seq}` : 'created');

/** Older history is fetched once the reader is this close to the top. */
const LOAD_OLDER_WITHIN_PX = 200;
/** Closer than this to the bottom counts as "at the bottom": new messages keep it there. */
const STICK_WITHIN_PX = 80;
/** The latest arrivals the screen readers' log keeps: each is read out as it comes, the rest wait for who asks. */
const ANNOUNCED_MAX = 3;

interface MessageListProps {
  messages: readonly Message[];
  /** Members added, removed or left, and renames, shown among the messages. */
  notices: readonly ConversationEvent[];
  pending: readonly PendingSend[];
  myId: number;
  /** Every other member and how far they have read (for "Seen"); none in notes to self. */
  readers: readonly Reader[];
  /** My read marker when the conversation opened: "New messages" starts after it (null: unknown). */
  readUpToAtOpen: number | null;
  /** How many messages after it were new to me then, loaded or not (null: unknown). */
  unreadAtOpen: number | null;
  conversation: Pick<ConversationDetail, 'kind' | 'participants' | 'myRole' | 'createdBy' | 'createdAt'>;
  /** Senders and people in notices who are no longer members (they left or were removed), by user id. */
  formerMembers: ReadonlyMap<number, NamedUser>;
  hasOlder: boolean;
  loadingOlder: boolean;
  olderError: string | null;
  now: Date;
  onLoadOlder: () => void;
  onRetry: (clientId: string) => void;
  onDiscard: (clientId: string) => void;
  onEdit: (message: Message, body: string) => Promise<string | null>;
  onDelete: (message: Message) => Promise<string | null>;
  /** The reader reached the newest messages (true) or scrolled away from them (false). */
  onAtEnd?: (atEnd: boolean) => void;
}

/**
 * The history, oldest at the top: day separators, sender names in groups, lines for members
 * coming and going and renames, my pending sends at the end. Scrolling near the top loads
 * older pages without moving what the reader sees.
 */
export function MessageList(props: MessageListProps) {
  const { messages, notices, pending, myId, conversation, formerMembers, hasOlder, loadingOlder, olderError, now, onLoadOlder } = props;
  const scroller = useRef<HTMLDivElement | null>(null);
  const atBottom = useRef(true);
  // Distance from the content's end to the top of the view: unchanged when a page is added above.
  const fromEnd = useRef(0);
  const pendingCount = useRef(pending.length);

  // A group's whole history begins with its creation.
  const created: TimelineEntry[] =
    conversation.kind === 'group' && !hasOlder ? [{ kind: 'created', createdBy: conversation.createdBy, createdAt: conversation.createdAt }] : [];
  const timeline = [...created, ...timelineOf(messages, notices)];
  // An older page above keeps what the reader sees in place; a new entry at the end keeps a
  // reader who is there at the end.
  const firstKey = keyOf(timeline[0]);
  const lastKey = keyOf(timeline.at(-1));

  useLayoutEffect(() => {
    const element = scroller.current;
    if (element) element.scrollTop = element.scrollHeight - fromEnd.current;
  }, [firstKey]);

  useLayoutEffect(() => {
    const element = scroller.current;
    const sentOne = pending.length > pendingCount.current;
    pendingCount.current = pending.length;
    if (element && (atBottom.current || sentOne)) element.scrollTop = element.scrollHeight;
  }, [lastKey, pending.length]);

  /** What is new to me after `seq`: someone else's message, not deleted (as unread counts it). */
  const isNewAfter = (seq: number, message: Message) => message.seq > seq && message.senderId !== myId && !message.deletedAt;

  // The newest seq there was when the reader scrolled away from the end, or null while they
  // are there: what came after it is new to them, and they are told (not moved).
  const [awayAfter, setAwayAfter] = useState<number | null>(null);
  // Further up than a view's height from the end: the button offers the way back even with nothing new.
  const [farFromEnd, setFarFromEnd] = useState(false);
  // Opened at the oldest loaded, with unread further up (the thread arrives with its opening
  // pages in): the button counts from there down until the pages above bring my first
  // unread, and the view stays at the top, where it says how many more are above, until the
  // reader scrolls (no page loads under them first).
  const [openedAtOldest] = useState(() => {
    const readFrom = props.readUpToAtOpen;
    const anyUnread = readFrom !== null && messages.some((message) => isNewAfter(readFrom, message));
    return anyUnread && readFrom !== null && !holdsFirstUnread({ messages, notices, hasOlder }, readFrom) ? oldestSeq({ messages, notices }) : null;
  });
  const holdOlderAtTop = useRef(false);

  // Opened with messages I have not read: at the first of them, under a "New messages" line,
  // when they are more than the view holds (else at the end, where all of them show); when
  // the first is further back than the pages the thread opens with (OPENING_PAGES_MAX), at
  // the oldest loaded. Nothing is marked read until the reader reaches the end.
  const readUpTo = props.readUpToAtOpen;
  const unread = readUpTo === null ? [] : messages.filter((message) => isNewAfter(readUpTo, message));
  const oldestLoaded = oldestSeq({ messages, notices });
  const firstUnreadKnown = readUpTo !== null && holdsFirstUnread({ messages, notices, hasOlder }, readUpTo);
  // The line goes above the first thing someone else did after my marker: a message, or a
  // notice among them ("Alice added Carol") — when there is anything unread at all.
  const newToMe = (entry: TimelineEntry) =>
    readUpTo !== null &&
    (entry.kind === 'message' ? isNewAfter(readUpTo, entry.message) : entry.kind === 'notice' && entry.notice.seq > readUpTo && entry.notice.actorId !== myId);
  const firstNewKey = firstUnreadKnown && unread.length > 0 ? keyOf(timeline.find(newToMe)) : undefined;
  const divider = useRef<HTMLLIElement | null>(null);
  const unreadLine = (
    <li ref={divider} className="unread-divider" data-testid="unread-divider">
      <span>New messages</span>
    </li>
  );
  const placed = useRef(false);
  const { onAtEnd } = props;
  const unreadCount = unread.length;
  useLayoutEffect(() => {
    const element = scroller.current;
    if (placed.current || !element) return;
    placed.current = true;
    let top: number | null = null;
    // What the button counts as new: all after my marker, or, opened at the oldest loaded,
    // only those from there down (the ones above load as the reader scrolls up).
    let newAfter = readUpTo;
    if (divider.current) {
      const dividerTop = divider.current.getBoundingClientRect().top - element.getBoundingClientRect().top + element.scrollTop;
      if (element.scrollHeight - dividerTop > element.clientHeight) top = Math.max(0, dividerTop - 8);
    } else if (unreadCount > 0 && oldestLoaded !== null) {
      top = 0;
      newAfter = oldestLoaded - 1;
      holdOlderAtTop.current = true;
    }
    if (top !== null && newAfter !== null) {
      element.scrollTop = top;
      atBottom.current = false;
      setAwayAfter(newAfter);
    }
    onAtEnd?.(atBottom.current);
  }, [readUpTo, unreadCount, oldestLoaded, onAtEnd]);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (element) fromEnd.current = element.scrollHeight - element.scrollTop;
  });

  // A reader at the end stays there when what is shown grows without a new entry (an edit
  // that made a message longer, a wrapped line at a narrower width) or the history's own
  // height shrinks (the group's details opened above it).
  const list = useRef<HTMLOListElement | null>(null);
  useEffect(() => {
    const element = scroller.current;
    if (!list.current || !element || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      if (atBottom.current) element.scrollTop = element.scrollHeight;
    });
    observer.observe(list.current);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const newestSeq = messages.at(-1)?.seq ?? 0;
  // Screen readers are told each message someone else sends while the conversation is open,
  // in a log of its own: the history as a live region would read out every page loaded above.
  const [openedAtSeq] = useState(newestSeq);
  const arrived = messages.filter((message) => message.seq > openedAtSeq && message.senderId !== myId && !message.deletedAt);
  const arrivals = arrived.slice(-ANNOUNCED_MAX);
  // Whether the keyboard is on "Load older messages".
  const olderFocused = useRef(false);
  const onScroll = () => {
    const element = scroller.current;
    if (!element) return;
    fromEnd.current = element.scrollHeight - element.scrollTop;
    const belowView = element.scrollHeight - element.scrollTop - element.clientHeight;
    atBottom.current = belowView < STICK_WITHIN_PX;
    setFarFromEnd(belowView > element.clientHeight);
    if (atBottom.current !== (awayAfter === null)) {
      setAwayAfter(atBottom.current ? null : newestSeq);
      onAtEnd?.(atBottom.current);
    }
    if (element.scrollTop >= LOAD_OLDER_WITHIN_PX) holdOlderAtTop.current = false;
    // Not while the keyboard is on "Load older messages": focusing it scrolls it into view, and
    // tabbing through would load a page each time; there Enter loads.
    const nearTop = element.scrollTop < LOAD_OLDER_WITHIN_PX && !holdOlderAtTop.current;
    if (nearTop && hasOlder && !loadingOlder && !olderError && !olderFocused.current) onLoadOlder();
  };
  // The pages above brought my first unread: what is new below is all of it now.
  if (openedAtOldest !== null && awayAfter === openedAtOldest - 1 && firstUnreadKnown && readUpTo !== null) setAwayAfter(readUpTo);
  // New to me after where I was when I looked away. Away since opening (at the first unread),
  // that is the unread I opened with, the inbox's count, loaded or not, and what came since.
  const loadedUnseen = awayAfter === null ? 0 : messages.filter((message) => isNewAfter(awayAfter, message)).length;
  const { unreadAtOpen } = props;
  const unseen = awayAfter !== null && awayAfter === readUpTo && unreadAtOpen !== null ? Math.max(loadedUnseen, unreadAtOpen + arrived.length) : loadedUnseen;
  // Opened at the oldest loaded, the unread reaching further back: how many of them are still above.
  const unreadAbove = !firstUnreadKnown && unreadAtOpen !== null ? Math.max(0, unreadAtOpen + arrived.length - unreadCount) : 0;
  // The button goes once there: the keyboard goes on in the history, not to the top of the page.
  const toEnd = () => {
    const element = scroller.current;
    if (!element) return;
    element.scrollTop = element.scrollHeight;
    element.focus({ preventScroll: true });
  };

  // A discarded message goes with its buttons: the keyboard that was on Discard stays in the history.
  const discard = (clientId: string) => {
    props.onDiscard(clientId);
    scroller.current?.focus({ preventScroll: true });
  };

  // The button goes with the oldest page: the keyboard that was on it goes on in the history.
  useEffect(() => {
    if (hasOlder || !olderFocused.current) return;
    olderFocused.current = false;
    focusIfLost(scroller.current, { preventScroll: true });
  }, [hasOlder]);

  // Former members count too: an impostor who left must still not pass for the member they copied.
  const names = memberNames([...conversation.participants, ...formerMembers.values()]);
  const nameOf = (senderId: number) => names.get(senderId) ?? 'Former member';
  const lastMine = [...messages].reverse().find((message) => message.senderId === myId && !message.deletedAt);

  // One message's actions are in the Tab order at a time (a roving tabindex): the last one the
  // keyboard was in while it still has any, else the newest with any, the one Shift+Tab from
  // the composer reaches first. Arrow keys move between messages' actions.
  const canDelete = (mine: boolean) => canDeleteMessage(conversation.kind, conversation.myRole, mine);
  const hasActions = (message: Message) => !message.deletedAt && (message.senderId === myId || canDelete(false));
  const [keyboardAt, setKeyboardAt] = useState<number | null>(null);
  // A message I just sent is the one Shift+Tab from the composer reaches (to fix a typo), not where the keyboard was before.
  const [lastMineSeen, setLastMineSeen] = useState(lastMine?.id);
  if (lastMine?.id !== lastMineSeen) {
    setLastMineSeen(lastMine?.id);
    if (lastMine && (lastMineSeen === undefined || lastMine.id > lastMineSeen)) setKeyboardAt(lastMine.id);
  }
  const tabbableId = messages.some((message) => message.id === keyboardAt && hasActions(message))
    ? keyboardAt
    : ([...messages].reverse().find(hasActions)?.id ?? null);
  const onActionKey = (event: KeyboardEvent<HTMLOListElement>) => {
    const moves: Record<string, (at: number, last: number) => number> = {
      ArrowUp: (at) => Math.max(0, at - 1),
      ArrowDown: (at, last) => Math.min(last, at + 1),
      Home: () => 0,
      End: (_at, last) => last,
    };
    const move = moves[event.key];
    const button = event.target instanceof HTMLElement ? event.target.closest('.message-actions button') : null;
    if (!move || !button || !list.current) return;
    const withActions = [...list.current.querySelectorAll<HTMLElement>('li.message')].filter((item) => item.querySelector('.message-actions button'));
    const at = withActions.findIndex((item) => item.contains(button));
    if (at === -1) return;
    event.preventDefault();
    // The same action in the next message when it has it (Delete to Delete), else its first.
    const target = withActions[move(at, withActions.length - 1)];
    const action = button instanceof HTMLElement ? button.dataset.action : undefined;
    (target?.querySelector<HTMLButtonElement>(`.message-actions button[data-action="${action}"]`) ?? target?.querySelector<HTMLButtonElement>('.message-actions button'))?.focus();
  };

  return (
    <div className="message-pane">
      <div className="message-scroller" ref={scroller} onScroll={onScroll} tabIndex={0} aria-label="Message history">
        {hasOlder && (
          <div className="older">
            {olderError && (
              <p role="alert" className="inline-error">
                Could not load older messages. {olderError}
              </p>
            )}
            {unreadAbove > 0 && (
              <p className="unread-above" data-testid="unread-above">
                {unreadAbove === 1 ? '1 more new message above' : `${unreadAbove} more new messages above`}
              </p>
            )}
            {/* Not disabled while loading: a disabled button drops the keyboard's focus. */}
            <button
              type="button"
              className="button"
              onClick={() => !loadingOlder && onLoadOlder()}
              onFocus={() => (olderFocused.current = true)}
              onBlur={() => (olderFocused.current = false)}
              aria-disabled={loadingOlder || undefined}
              aria-busy={loadingOlder || undefined}
            >
              {loadingOlder ? 'Loading…' : 'Load older messages'}
            </button>
          </div>
        )}
        <ol ref={list} className="message-list" role="list" aria-label="Messages" onKeyDown={onActionKey}>
          {timeline.map((entry, index) => {
            const previous = timeline[index - 1];
            const at = timeOfEntry(entry);
            const previousAt = previous && timeOfEntry(previous);
            const newDay = !previousAt || dayKey(previousAt) !== dayKey(at);
            const separator = newDay && (
              <li className="day-separator" data-testid="day-separator">
                <span>{dayLabel(at, now)}</span>
              </li>
            );
            if (entry.kind !== 'message') {
              const notice = entry.kind === 'notice';
              return (
                <Fragment key={keyOf(entry)}>
                  {separator}
                  {keyOf(entry) === firstNewKey && unreadLine}
                  <li className="notice" data-testid="notice">
                    <TextParts parts={notice ? noticeParts(entry.notice, myId, nameOf) : createdParts(entry.createdBy, myId, nameOf)} />
                  </li>
                </Fragment>
              );
            }
            const { message } = entry;
            const mine = message.senderId === myId;
            // A run of one sender's messages is named once; a day or a notice between starts a new one.
            const sameRun = previous?.kind === 'message' && previous.message.senderId === message.senderId;
            const showName = conversation.kind === 'group' && !mine && (newDay || !sameRun);
            return (
              <Fragment key={keyOf(entry)}>
                {separator}
                {keyOf(entry) === firstNewKey && unreadLine}
                <MessageItem
                  message={message}
                  mine={mine}
                  senderName={showName ? nameOf(message.senderId) : null}
                  delivery={message === lastMine && pending.length === 0 ? deliveryOf(message.seq, props.readers) : null}
                  canDelete={canDelete(mine)}
                  authorName={mine ? null : nameOf(message.senderId)}
                  onEdit={props.onEdit}
                  onDelete={props.onDelete}
                  tabbable={message.id === tabbableId}
                  onFocusWithin={setKeyboardAt}
                />
              </Fragment>
            );
          })}
          {pending.map((send) => (
            <PendingItem key={send.clientId} send={send} onRetry={props.onRetry} onDiscard={discard} />
          ))}
        </ol>
        {/* After the group's creation and any notices: where the first message will go. */}
        {messages.length === 0 && pending.length === 0 && (
          <p className="muted empty-thread" data-testid="thread-empty">
            No messages yet. Say hello!
          </p>
        )}
      </div>
      <div className="visually-hidden" role="log" aria-label="New messages as they arrive">
        {arrivals.map((message) => (
          <p key={message.id}>
            {nameOf(message.senderId)}: {message.body}
          </p>
        ))}
      </div>
      {/* After the history, not in it: one Shift+Tab from the composer, not after every message's buttons. */}
      {(unseen > 0 || farFromEnd) && (
        <button type="button" className="button primary new-messages" onClick={toEnd}>
          {unseen === 0 ? 'Jump to newest' : unseen === 1 ? '1 new message' : `${unseen} new messages`} ↓
        </button>
      )}
    </div>
  );
}
