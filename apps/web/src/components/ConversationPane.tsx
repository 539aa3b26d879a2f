import { useRef, useState } from 'react';
import { describeError } from '../errors.ts';
import { conversationName, directHandle, memberCount } from '../format.ts';
import { useLiveStateTrusted } from '../hooks.ts';
import { followLink } from '../router.ts';
import { trpc, type ConversationDetail, type Me } from '../trpc.ts';
import { GroupDetails } from './GroupDetails.tsx';
import { MuteButton } from './MuteButton.tsx';
import { Thread } from './Thread.tsx';

/** One open conversation: its header (with a way back on narrow screens) and its thread. */
export function ConversationPane({ id, me }: { id: number; me: Me }) {
  const conversation = trpc.conversations.get.useQuery({ id });
  const [showDetails, setShowDetails] = useState(false);
  // Escape closes the details as their button would, and the keyboard goes back to it.
  const detailsToggle = useRef<HTMLButtonElement | null>(null);
  const closeDetails = () => {
    setShowDetails(false);
    detailsToggle.current?.focus();
  };

  if (conversation.isPending) {
    return (
      <section className="thread-pane placeholder" aria-label="Conversation">
        <p role="status" className="muted">
          Loading conversation…
        </p>
      </section>
    );
  }
  if (conversation.isError) {
    const missing = conversation.error.data?.code === 'NOT_FOUND';
    // Open here a moment ago (the last answer is kept): I was removed or left elsewhere.
    const wasOpen = conversation.data;
    const why = !missing
      ? describeError(conversation.error)
      : wasOpen
        ? `You are no longer a member of “${conversationName(wasOpen, me.id)}”.`
        : 'This conversation does not exist, or you are not a member of it.';
    return (
      <section className="thread-pane placeholder" aria-label="Conversation">
        <p role="alert">{why}</p>
        <div className="actions">
          {!missing && (
            <button type="button" className="button" onClick={() => void conversation.refetch()}>
              Try again
            </button>
          )}
          <a className="button" href="/" onClick={followLink}>
            Back to conversations
          </a>
        </div>
      </section>
    );
  }

  const detail = conversation.data;
  const name = conversationName(detail, me.id);
  return (
    <section className="thread-pane" aria-labelledby="thread-heading">
      <header className="thread-header">
        <a className="back-link" href="/" onClick={followLink}>
          <span aria-hidden="true">‹</span>
          <span className="visually-hidden">Back to conversations</span>
        </a>
        <div className="thread-title">
          {/* dir="auto" on the line itself, as in the inbox: a right-to-left name is cut at its own end, not its start. */}
          <h2 id="thread-heading" dir="auto">
            {name}
          </h2>
          <ConversationSubtitle conversation={detail} myId={me.id} />
        </div>
        <div className="thread-actions">
          {/* Notes to self bring no notifications to mute. */}
          {detail.kind !== 'self' && <MuteButton conversation={detail} />}
          {detail.kind === 'group' && (
            <button
              ref={detailsToggle}
              type="button"
              className="button details-toggle"
              aria-label="Details"
              aria-expanded={showDetails}
              onClick={() => setShowDetails((shown) => !shown)}
              onKeyDown={(event) => event.key === 'Escape' && showDetails && closeDetails()}
            >
              <PeopleIcon />
              <span className="details-label">Details</span>
            </button>
          )}
        </div>
      </header>
      {showDetails && detail.kind === 'group' && <GroupDetails conversation={detail} me={me} onClose={closeDetails} />}
      {/* Keyed on when I joined: added back after a removal, I get a fresh thread (and stream). */}
      <Thread key={detail.participants.find((participant) => participant.id === me.id)?.joinedAt} conversation={detail} me={me} />
    </section>
  );
}

/** Under the name: a group's size, or whose a DM is and whether they are here now. */
export function ConversationSubtitle({ conversation, myId }: { conversation: Pick<ConversationDetail, 'kind' | 'participants'>; myId: number }) {
  // Presence is kept live by the socket: while it is down, neither "Online" nor "Offline" is known.
  const trusted = useLiveStateTrusted();
  const other = conversation.kind === 'direct' ? conversation.participants.find((participant) => participant.id !== myId) : undefined;
  if (conversation.kind === 'group') return <p className="muted">{memberCount(conversation.participants.length)}</p>;
  // A DM says whose it is: a display name is anyone's to take, a username is not.
  const handle = directHandle(conversation, myId);
  const presence = other && trusted ? (other.online ? 'Online' : 'Offline') : null;
  const line = [handle, presence].filter(Boolean).join(' · ');
  return line === '' ? null : <p className="muted">{line}</p>;
}

/** Two people: a group's members and settings (the Details button on a phone). */
function PeopleIcon() {
  return (
    <svg className="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
      <circle cx="9" cy="8" r="3.5" />
      <path d="M2.5 20a6.5 6.5 0 0 1 13 0" />
      <path d="M16 4.6a3.5 3.5 0 0 1 0 6.8M18 14a6.5 6.5 0 0 1 3.5 6" />
    </svg>
  );
}
