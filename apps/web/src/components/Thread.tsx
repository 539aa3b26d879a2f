import { useState } from 'react';
import { memberNames } from '../format.ts';
import { useNow } from '../hooks.ts';
import { useMarkRead } from '../mark-read.ts';
import { noticeUserIds } from '../notices.ts';
import { othersReading, useReadReceipts } from '../read-receipts.ts';
import { useNamedUsers } from '../sender-names.ts';
import { newestSeq } from '../thread-state.ts';
import { useThread } from '../thread.ts';
import type { ConversationDetail, Me } from '../trpc.ts';
import { useTypingSignal, useTypingUsers } from '../typing.ts';
import { Composer } from './Composer.tsx';
import { MessageList } from './MessageList.tsx';
import { TypingIndicator } from './TypingIndicator.tsx';

/** The messages of one conversation, kept live, and the composer. */
export function Thread({ conversation, me }: { conversation: ConversationDetail; me: Me }) {
  const thread = useThread(conversation, me.id);
  const now = useNow(60_000);
  // Read only what the reader can reach: not while they are scrolled up in the history (the
  // list says where it opened: at the end, or at the first unread message).
  const [atEnd, setAtEnd] = useState(false);
  useMarkRead(conversation.id, thread.status === 'ready' && atEnd && !thread.ended ? newestSeq(thread.state) : 0);
  const typingIds = useTypingUsers(conversation.id, thread.status === 'ready' && !thread.ended);
  const signalTyping = useTypingSignal(conversation.id);
  // Read receipts where someone else can read: "Seen" in a DM, "Seen by 2" in a group.
  const receipts = useReadReceipts(conversation.id, conversation.kind !== 'self' && thread.status === 'ready' && !thread.ended);
  const readers = othersReading(conversation.participants, me.id, receipts);
  const names = memberNames(conversation.participants);
  const typingNames = typingIds.filter((id) => id !== me.id).map((id) => names.get(id) ?? 'Someone');
  // Only groups name senders; notices name members past and present. Only those who are no
  // longer members need asking for.
  const named = [
    ...(conversation.kind === 'group' ? [conversation.createdBy, ...thread.state.messages.map((message) => message.senderId)] : []),
    ...thread.state.notices.flatMap(noticeUserIds),
  ];
  const formerMembers = useNamedUsers(named.filter((userId) => userId !== me.id && !names.has(userId)));

  if (thread.status === 'loading') {
    return (
      <p role="status" className="muted thread-status">
        Loading messages…
      </p>
    );
  }
  if (thread.status === 'error') {
    return (
      <div role="alert" className="inline-error thread-status">
        <p>Could not load the messages. {thread.error}</p>
        <button type="button" className="button" onClick={thread.reload}>
          Try again
        </button>
      </div>
    );
  }

  return (
    <>
      <MessageList
        messages={thread.state.messages}
        notices={thread.state.notices}
        pending={thread.pending}
        myId={me.id}
        readers={readers}
        readUpToAtOpen={thread.readUpToAtOpen}
        unreadAtOpen={thread.unreadAtOpen}
        conversation={conversation}
        formerMembers={formerMembers}
        hasOlder={thread.state.hasOlder}
        loadingOlder={thread.loadingOlder}
        olderError={thread.olderError}
        now={now}
        onLoadOlder={() => void thread.loadOlder()}
        onRetry={thread.retry}
        onDiscard={thread.discard}
        onEdit={thread.edit}
        onDelete={thread.remove}
        onAtEnd={setAtEnd}
      />
      {thread.ended ? (
        <p role="status" className="muted thread-status">
          You are no longer a member of this conversation.
        </p>
      ) : (
        <>
          <TypingIndicator names={typingNames} />
          <Composer
            focusOnOpen
            draftKey={{ userId: me.id, conversationId: conversation.id }}
            onSend={(body) => {
              signalTyping(false);
              thread.send(body);
            }}
            onTyping={signalTyping}
          />
        </>
      )}
    </>
  );
}
