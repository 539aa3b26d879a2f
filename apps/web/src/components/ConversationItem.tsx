import { conversationName, directHandle, initialsOf, messagePreview, relativeTime, unreadBadge } from '../format.ts';
import { useLiveStateTrusted } from '../hooks.ts';
import { conversationPath, followLink } from '../router.ts';
import { isMuted, muteEnd } from '../mute.ts';
import { BellIcon } from './BellIcon.tsx';
import { TextParts } from './TextParts.tsx';
import type { ConversationSummary } from '../trpc.ts';

interface ConversationItemProps {
  conversation: ConversationSummary;
  myId: number;
  now: Date;
  /** Names of last senders who are no longer members, by user id (for the preview). */
  formerMemberNames?: ReadonlyMap<number, string>;
  /** The conversation open beside the inbox, marked for the eye and for screen readers. */
  current?: boolean;
  /** Another row shows the same name: a DM adds whose it is ("@alice"). */
  nameShared?: boolean;
}

/** One inbox row: who, the last message, when, and how many I have not read. */
export function ConversationItem({ conversation, myId, now, formerMemberNames, current = false, nameShared = false }: ConversationItemProps) {
  const name = conversationName(conversation, myId);
  const handle = nameShared ? directHandle(conversation, myId) : null;
  const nameId = `conversation-${conversation.id}-name`;
  const time = relativeTime(new Date(conversation.lastMessageAt), now);
  const unread = conversation.unreadCount > 0 ? unreadBadge(conversation.unreadCount) : null;
  const deleted = Boolean(conversation.lastMessage?.deletedAt);
  const muted = isMuted(conversation, now);
  // In a DM, whether the other person is online now (kept live by inbox.onEvent presence, so unknown while the connection is down).
  const trusted = useLiveStateTrusted();
  const online = trusted && conversation.kind === 'direct' && conversation.participants.some((person) => person.id !== myId && person.online);

  return (
    <li
      className={['conversation', unread && 'unread', muted && 'is-muted', current && 'current'].filter(Boolean).join(' ')}
      aria-labelledby={nameId}
      data-testid="conversation-item"
      data-conversation-id={conversation.id}
    >
      <a className="conversation-link" href={conversationPath(conversation.id)} onClick={followLink} aria-current={current ? 'page' : undefined}>
        <span className={`avatar avatar-${conversation.kind} tone-${toneOf(conversation.id)}`} aria-hidden="true">
          <span className="avatar-initials">{initialsOf(name, conversation.kind)}</span>
          {online && <span className="presence-dot" data-testid="online-dot" />}
        </span>
        {online && <span className="visually-hidden">online</span>}
        <div className="conversation-body">
          <div className="conversation-line">
            {/* dir="auto" isolates what others wrote (a name, a message) from the rest of the row. */}
            <span className="conversation-name" id={nameId} dir="auto">
              {name}
              {handle && ' '}
              {handle && <span className="conversation-handle">{handle}</span>}
            </span>
            {muted && (
              <span className="muted-mark" data-testid="muted-mark" title={`Muted ${muteEnd(conversation, now)}`}>
                <BellIcon muted size={14} />
                <span className="visually-hidden">{`muted ${muteEnd(conversation, now)}`}</span>
              </span>
            )}
            <time className="conversation-time" dateTime={conversation.lastMessageAt} title={time.exact}>
              <span aria-hidden="true">{time.short}</span>
              <span className="visually-hidden">{time.long}</span>
            </time>
          </div>
          <div className="conversation-line">
            <span className={deleted ? 'preview deleted' : 'preview'} data-testid="conversation-preview">
              <TextParts parts={messagePreview(conversation, myId, formerMemberNames)} />
            </span>
            {unread && (
              <span className="badge" data-testid="unread-badge">
                <span aria-hidden="true">{unread.text}</span>
                <span className="visually-hidden">{unread.label}</span>
              </span>
            )}
          </div>
        </div>
      </a>
    </li>
  );
}

/** A stable colour per conversation (one of styles.css's six tones), so rows are easy to tell apart. */
function toneOf(id: number): number {
  return id % 6;
}
