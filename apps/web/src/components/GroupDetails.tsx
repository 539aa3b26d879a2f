import { useEffect, useId, useRef, useState } from 'react';
import { describeError, formErrorsOf } from '../errors.ts';
import { hasVisibleText } from '../format.ts';
import { canManage, canRemove, canSetRole, heirOf } from '../group-rules.ts';
import { applyInboxEvent } from '../inbox-cache.ts';
import { INBOX_INPUT } from '../live-inbox.ts';
import { navigate } from '../router.ts';
import { trpc, type ConversationDetail, type Me } from '../trpc.ts';
import { escapeClearsItself, focusIfLost } from '../focus.ts';
import { ConfirmQuestion } from './ConfirmQuestion.tsx';
import { TITLE_MISSING } from './NewConversation.tsx';
import { UserSearch } from './UserSearch.tsx';

/** A group's name and members; rename, add, remove and leave, each offered only to who may do it. */
export function GroupDetails({ conversation, me, onClose }: { conversation: ConversationDetail; me: Me; onClose: () => void }) {
  const utils = trpc.useUtils();
  const titleId = useId();
  const renameErrorId = useId();
  const [title, setTitle] = useState(conversation.title ?? '');
  // Renamed elsewhere while this is open: the field follows, unless I am editing it (then
  // Rename still offers my name, knowingly).
  const [shownTitle, setShownTitle] = useState(conversation.title);
  if (shownTitle !== conversation.title) {
    setShownTitle(conversation.title);
    if (title === (shownTitle ?? '')) setTitle(conversation.title ?? '');
  }
  const [confirmingLeave, setConfirmingLeave] = useState(false);
  // Staying puts the keyboard back on "Leave group", not the top of the page; after the next
  // frame, as the button is rendered again only once the question is gone.
  const leaveButton = useRef<HTMLButtonElement | null>(null);
  const stay = () => {
    setConfirmingLeave(false);
    requestAnimationFrame(() => leaveButton.current?.focus());
  };
  const refresh = () => utils.conversations.get.invalidate({ id: conversation.id });
  // "Add people" leaves members out on the server: its earlier answers are out of date too.
  const membersChanged = () => Promise.all([refresh(), utils.users.search.invalidate()]);
  const rename = trpc.conversations.update.useMutation({ onSuccess: refresh });
  const add = trpc.conversations.addParticipants.useMutation({ onSuccess: membersChanged });
  // Removing asks first, as leaving does. Keeping them puts the keyboard back on their
  // Remove; once they are gone (with the row the keyboard was in), on the members' heading.
  const [removing, setRemoving] = useState<number | null>(null);
  const removeButtons = useRef(new Map<number, HTMLButtonElement>());
  const membersHeading = useRef<HTMLHeadingElement | null>(null);
  const keep = () => {
    const asked = removing;
    setRemoving(null);
    requestAnimationFrame(() => asked !== null && removeButtons.current.get(asked)?.focus());
  };
  const remove = trpc.conversations.removeParticipant.useMutation({ onSuccess: membersChanged });
  // Gone (removed here or elsewhere, or left) or no longer mine to remove: the question closes
  // for good, and the keyboard that was in it goes to the members' heading.
  const stillRemovable =
    removing !== null &&
    conversation.participants.some((participant) => participant.id === removing && canRemove(conversation.myRole, participant.role, participant.id === me.id));
  const [removalsClosed, setRemovalsClosed] = useState(0);
  if (removing !== null && !stillRemovable) {
    setRemoving(null);
    setRemovalsClosed((closed) => closed + 1);
  }
  useEffect(() => {
    if (removalsClosed > 0) focusIfLost(membersHeading.current);
  }, [removalsClosed]);
  const setRole = trpc.conversations.setRole.useMutation({ onSuccess: refresh });
  const leave = trpc.conversations.leave.useMutation({
    onSuccess: () => {
      // Out of the inbox before it shows, so the keyboard goes to its heading, not to a row about to go.
      utils.conversations.list.setInfiniteData(INBOX_INPUT, (data) =>
        data && { ...data, pages: applyInboxEvent(data.pages, { type: 'conversation.removed', conversationId: conversation.id }) },
      );
      void utils.conversations.list.invalidate();
      navigate('/');
    },
  });
  const manage = canManage(conversation.myRole);
  // The owner leaving hands the group on: the question says to whom.
  const heir = conversation.myRole === 'owner' ? heirOf(conversation.participants, me.id) : null;
  const renameErrors = formErrorsOf(rename.error, ['title'] as const);
  // A blank name leaves Rename off and Enter doing nothing: this says why.
  const titleMissing = !hasVisibleText(title);
  const renameError = titleMissing ? TITLE_MISSING : (renameErrors.fields.title ?? renameErrors.form);
  const failure = add.error ?? remove.error ?? setRole.error ?? leave.error;

  return (
    <section
      className="group-details"
      aria-label="Group details"
      // Escape anywhere in them closes them; a question inside answers its own Escape first,
      // and a search box with text in it is cleared by it first (as browsers do).
      onKeyDown={(event) => event.key === 'Escape' && !escapeClearsItself(event.target) && onClose()}
    >
      {manage && (
        <form
          className="group-form"
          onSubmit={(event) => {
            event.preventDefault();
            rename.mutate({ id: conversation.id, title: title.trim() });
          }}
        >
          <label htmlFor={titleId}>Group name</label>
          <div className="inline-form">
            {/* No maxLength, as in New conversation: the server's error says what is too long. */}
            <input
              id={titleId}
              value={title}
              onChange={(event) => setTitle(event.target.value)}
              aria-invalid={titleMissing || Boolean(renameErrors.fields.title) || undefined}
              // Says why the rename failed, not only that the name is invalid.
              aria-describedby={renameError ? renameErrorId : undefined}
            />
            <button type="submit" className="button" disabled={rename.isPending || titleMissing || title.trim() === conversation.title}>
              Rename
            </button>
          </div>
          {renameError && (
            <p role="alert" className="field-error" id={renameErrorId}>
              {renameError}
            </p>
          )}
        </form>
      )}
      <h3 ref={membersHeading} tabIndex={-1}>
        Members
      </h3>
      <ul role="list" aria-label="Members" className="members">
        {conversation.participants.map((participant) => (
          <li key={participant.id} className="member">
            {/* The name, cut short if it must, then each action in its own column (styles.css). */}
            <span className="member-name">
              <bdi className="member-display-name" title={participant.displayName}>
                {participant.displayName}
              </bdi>
              <span className="member-handle muted">@{participant.username}</span>
              {participant.id === me.id && <span className="member-tag">(you)</span>}
              {participant.role !== 'member' && <span className="member-tag muted">{participant.role}</span>}
            </span>
            {canSetRole(conversation.myRole, participant.role) && (
              // Not disabled while the change is on its way: that would drop the keyboard's focus.
              <button
                type="button"
                className="link-button member-role-action"
                aria-disabled={setRole.isPending || undefined}
                onClick={() =>
                  !setRole.isPending && setRole.mutate({ id: conversation.id, userId: participant.id, role: participant.role === 'admin' ? 'member' : 'admin' })
                }
                aria-label={`${participant.role === 'admin' ? 'Remove admin role from' : 'Make admin'} ${participant.displayName}`}
              >
                {participant.role === 'admin' ? 'Remove admin' : 'Make admin'}
              </button>
            )}
            {canRemove(conversation.myRole, participant.role, participant.id === me.id) &&
              (removing === participant.id ? (
                <ConfirmQuestion
                  label="Remove this member?"
                  confirm="Remove"
                  cancel="Keep"
                  onConfirm={() => remove.mutate({ id: conversation.id, userId: participant.id })}
                  onCancel={keep}
                  busy={remove.isPending}
                >
                  Remove <bdi>{participant.displayName}</bdi> from the group? They will no longer see its messages unless someone adds them back.
                </ConfirmQuestion>
              ) : (
                <button
                  ref={(button) => {
                    if (button) removeButtons.current.set(participant.id, button);
                    else removeButtons.current.delete(participant.id);
                  }}
                  type="button"
                  className="link-button member-remove"
                  onClick={() => setRemoving(participant.id)}
                  aria-label={`Remove ${participant.displayName}`}
                >
                  Remove
                </button>
              ))}
          </li>
        ))}
      </ul>
      {manage && (
        <UserSearch
          label="Add people"
          action="Add"
          autoFocus={false}
          disabled={add.isPending}
          excludeIds={conversation.participants.map((participant) => participant.id)}
          notInConversationId={conversation.id}
          onPick={(user) => add.mutate({ id: conversation.id, userIds: [user.id] })}
        />
      )}
      {failure && (
        <p role="alert" className="inline-error">
          {describeError(failure)}
        </p>
      )}
      {confirmingLeave ? (
        <ConfirmQuestion
          label="Leave this group?"
          confirm="Leave"
          cancel="Stay"
          onConfirm={() => leave.mutate({ id: conversation.id })}
          onCancel={stay}
          busy={leave.isPending}
        >
          Leave this group? You will no longer see its messages unless someone adds you back.
          {heir && (
            <>
              {' '}
              <bdi>{heir.displayName}</bdi> becomes its owner.
            </>
          )}
        </ConfirmQuestion>
      ) : (
        <button ref={leaveButton} type="button" className="button danger" onClick={() => setConfirmingLeave(true)}>
          Leave group
        </button>
      )}
    </section>
  );
}
