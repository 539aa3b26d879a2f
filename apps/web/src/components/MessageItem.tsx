import { memo, useEffect, useRef, useState } from 'react';
import type { Delivery } from '../read-receipts.ts';
import type { Message } from '../trpc.ts';
import { useRefusal } from '../hooks.ts';
import { focusIfLost } from '../focus.ts';
import { hasVisibleText } from '../format.ts';
import { ConfirmQuestion } from './ConfirmQuestion.tsx';
import { MessageEditor } from './MessageEditor.tsx';
import { LinkedText } from './TextParts.tsx';

const characters = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** The first `count` characters as a reader sees them: never half an emoji (a surrogate pair or a ZWJ sequence). */
function leadingCharacters(text: string, count: number): string {
  // Up to U+02FF nothing joins characters (no surrogates, combining marks or joiners): most
  // messages cut anywhere, without the segmenter's ~25 µs (thousands of loaded messages).
  if (!/[^\u0020-\u02ff]/.test(text.slice(0, count + 1))) return text.slice(0, count);
  let end = 0;
  let taken = 0;
  for (const { index, segment } of characters.segment(text)) {
    if (taken === count) break;
    end = index + segment.length;
    taken++;
  }
  return text.slice(0, end);
}

const timeFormat = new Intl.DateTimeFormat('en', { hour: 'numeric', minute: '2-digit' });
const exactFormat = new Intl.DateTimeFormat('en', { dateStyle: 'full', timeStyle: 'short' });

interface MessageItemProps {
  message: Message;
  mine: boolean;
  /** Shown above the body (groups, first of a run); null to leave it out. */
  senderName: string | null;
  /** My newest confirmed message says "Sent", or "Seen" ("Seen by 2" in a group, naming them on hover) once read (deliveryOf). */
  delivery: Delivery | null;
  /** Mine, or anyone's for a group's owner and admins. */
  canDelete: boolean;
  /** Who wrote it, for a moderator's delete question ("Delete Bob’s message…"); null for mine. */
  authorName: string | null;
  onEdit: (message: Message, body: string) => Promise<string | null>;
  onDelete: (message: Message) => Promise<string | null>;
  /**
   * Its Edit and Delete are in the Tab order: one message's at a time (the list's roving
   * tabindex), so Tab crosses a long history in one step; arrow keys move between messages.
   */
  tabbable: boolean;
  /** The keyboard came into this message: its actions are the ones Tab reaches next time. */
  onFocusWithin: (messageId: number) => void;
}

/**
 * One stored message: who, what, when, "edited", a tombstone once deleted; my own can be
 * edited, and deleted by me or a group's moderators.
 */
function MessageItemView({ message, mine, senderName, delivery, canDelete, authorName, onEdit, onDelete, tabbable, onFocusWithin }: MessageItemProps) {
  const [chosenMode, setMode] = useState<'view' | 'edit' | 'confirm-delete'>('view');
  const [error, setRefused] = useRefusal();
  const deleted = Boolean(message.deletedAt);
  // Deleted elsewhere while I edit it or am asked about deleting it, or my right to delete it
  // gone (no longer a group's admin) while asked: nothing left to do, and closed for good (a
  // right given back later does not bring the question back).
  const [overtakenTimes, setOvertakenTimes] = useState(0);
  // What I had typed in the editor (null: nothing yet): kept on screen if the message is
  // deleted under it, so a long rewrite is not thrown away unseen.
  const [editDraft, setEditDraft] = useState<string | null>(null);
  const [lostEdit, setLostEdit] = useState<string | null>(null);
  if (chosenMode !== 'view' && (deleted || (chosenMode === 'confirm-delete' && !canDelete))) {
    if (chosenMode === 'edit' && editDraft !== null && hasVisibleText(editDraft)) setLostEdit(editDraft.trim());
    setEditDraft(null);
    setMode('view');
    setOvertakenTimes((times) => times + 1);
  }
  const mode = chosenMode;
  // Where the keyboard goes back to when the question or the editor closes: the Delete or Edit
  // it came from, or the message itself once deleted (its actions are gone), never the top of
  // the page. Focused once the closing render is on screen, when those buttons exist again.
  const deleteButton = useRef<HTMLButtonElement | null>(null);
  const editButton = useRef<HTMLButtonElement | null>(null);
  const item = useRef<HTMLLIElement | null>(null);
  const focusAfterClose = useRef<'edit' | 'delete' | 'item' | null>(null);
  const close = (focus: 'edit' | 'delete' | 'item') => {
    focusAfterClose.current = focus;
    setEditDraft(null);
    setMode('view');
  };
  useEffect(() => {
    // Its editor or question went with the delete (or the right): the keyboard was there if it is nowhere now.
    if (overtakenTimes > 0) focusIfLost(item.current);
  }, [overtakenTimes]);
  useEffect(() => {
    const target = focusAfterClose.current;
    if (mode !== 'view' || !target) return;
    focusAfterClose.current = null;
    const button = { edit: editButton.current, delete: deleteButton.current, item: null }[target];
    (button ?? item.current)?.focus();
  });
  // Edit and Delete alike: in the Tab order only for the list's one tabbable message.
  const actionButton = { type: 'button', className: 'link-button', tabIndex: tabbable ? 0 : -1, 'aria-keyshortcuts': 'ArrowUp ArrowDown Home End' } as const;
  const created = new Date(message.createdAt);
  const hasActions = !deleted && (mine || canDelete);
  const preview = hasActions ? leadingCharacters(message.body, 40) : '';

  const remove = async () => {
    const refused = await onDelete(message);
    setRefused(refused);
    close(refused ? 'delete' : 'item');
  };

  return (
    <li
      ref={item}
      tabIndex={-1}
      className={['message', mine && 'mine', mode === 'edit' && 'editing'].filter(Boolean).join(' ')}
      data-testid="message"
      data-seq={message.seq}
      data-message-id={message.id}
      onFocus={() => onFocusWithin(message.id)}
    >
      {/* dir="auto": each name and body takes its own direction (Arabic, Hebrew) and isolates it,
          so direction controls inside end with it instead of reordering what follows. */}
      {senderName ? (
        <p className="sender" dir="auto">
          {senderName}
        </p>
      ) : (
        // Where no name is shown (a DM, a run's later messages, mine), screen readers still hear whose it is.
        <span className="visually-hidden">
          <bdi>{mine ? 'You' : authorName}</bdi>:{' '}
        </span>
      )}
      <div className={deleted ? 'bubble deleted' : 'bubble'}>
        {deleted ? (
          <p className="body">Message deleted</p>
        ) : mode === 'edit' ? (
          <MessageEditor
            storedBody={message.body}
            onCancel={() => close('edit')}
            onDraftChange={setEditDraft}
            onSave={async (body) => {
              const failure = await onEdit(message, body);
              if (!failure) close('edit');
              return failure;
            }}
          />
        ) : (
          <p className="body" dir="auto">
            <LinkedText text={message.body} />
          </p>
        )}
      </div>
      <p className="meta">
        <time dateTime={message.createdAt} title={exactFormat.format(created)}>
          {timeFormat.format(created)}
        </time>
        {message.editedAt && !deleted && <span className="edited"> · edited</span>}
        {mine && delivery && !deleted && (
          <span className="delivery" title={delivery.detail ?? undefined}>
            {' '}
            · {delivery.label}
          </span>
        )}
        {hasActions && mode === 'view' && (
          <span className="message-actions">
            {mine && (
              <button ref={editButton} data-action="edit" {...actionButton} onClick={() => setMode('edit')} aria-label={`Edit message: ${preview}`}>
                Edit
              </button>
            )}
            {canDelete && (
              <button
                ref={deleteButton}
                data-action="delete"
                {...actionButton}
                onClick={() => setMode('confirm-delete')}
                aria-label={`Delete message: ${preview}`}
              >
                Delete
              </button>
            )}
          </span>
        )}
      </p>
      {mode === 'confirm-delete' && (
        <ConfirmQuestion label="Delete this message?" confirm="Delete" cancel="Keep" onConfirm={() => void remove()} onCancel={() => close('delete')}>
          {authorName ? (
            <>
              Delete <bdi>{authorName}</bdi>’s message for everyone?
            </>
          ) : (
            'Delete this message for everyone?'
          )}
        </ConfirmQuestion>
      )}
      {error && (
        <p role="alert" className="inline-error">
          {error}
        </p>
      )}
      {lostEdit !== null && (
        <LostEdit
          text={lostEdit}
          onDismiss={() => {
            setLostEdit(null);
            // The keyboard stays with the message, not at the top of the page.
            item.current?.focus();
          }}
        />
      )}
    </li>
  );
}

/** My edit of a message deleted elsewhere while I wrote it: shown with a way to copy it, until dismissed. */
function LostEdit({ text, onDismiss }: { text: string; onDismiss: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = () =>
    navigator.clipboard.writeText(text).then(
      () => setCopied('yes'),
      // Refused outside a secure origin or without permission: the text is there to select.
      () => setCopied('failed'),
    );
  return (
    <div role="alert" className="lost-edit">
      <p>This message was deleted while you were editing it. What you wrote:</p>
      <blockquote dir="auto">{text}</blockquote>
      <div className="actions">
        <button type="button" className="button" onClick={() => void copy()}>
          {copied === 'yes' ? 'Copied' : 'Copy text'}
        </button>
        <button type="button" className="button" onClick={onDismiss}>
          Dismiss
        </button>
      </div>
      {copied === 'failed' && <p className="muted">Could not copy: select the text above to copy it.</p>}
    </div>
  );
}

/** Memoized: a thread re-renders for a typing signal or a new message, and thousands of loaded messages that did not change need not. */
export const MessageItem = memo(MessageItemView);
