import { useId, useRef, useState } from 'react';
import { formErrorsOf } from '../errors.ts';
import { escapeClearsItself } from '../focus.ts';
import { hasVisibleText } from '../format.ts';
import { conversationPath, navigate } from '../router.ts';
import { trpc } from '../trpc.ts';
import { UserSearch, type FoundUser } from './UserSearch.tsx';

type Kind = 'direct' | 'group' | 'self';

const KINDS: { kind: Kind; label: string }[] = [
  { kind: 'direct', label: 'Direct message' },
  { kind: 'group', label: 'Group' },
  { kind: 'self', label: 'Notes to self' },
];

/** Why a group cannot be created or renamed with a blank name. */
export const TITLE_MISSING = 'Give the group a name.';

/**
 * Starts a conversation: a DM with someone found by search, a group (title and members),
 * or my notes. An existing DM or notes come back from the server (created: false) and
 * simply open.
 */
export function NewConversation({ onClose }: { onClose: () => void }) {
  const [kind, setKind] = useState<Kind>('direct');
  // Chosen with the arrow keys, the keyboard stays on the kinds (to go on to the next one);
  // chosen with a pointer (or at first), the form's first field takes it.
  const [choosingByArrows, setChoosingByArrows] = useState(false);
  const [title, setTitle] = useState('');
  const [titleMissing, setTitleMissing] = useState(false);
  const titleRef = useRef<HTMLInputElement | null>(null);
  const [members, setMembers] = useState<FoundUser[]>([]);
  const titleId = useId();
  const titleErrorId = useId();
  const utils = trpc.useUtils();
  const create = trpc.conversations.create.useMutation({
    onSuccess: (conversation) => {
      void utils.conversations.list.invalidate();
      onClose();
      navigate(conversationPath(conversation.id));
    },
  });
  const errors = formErrorsOf(create.error, ['title', 'participantIds'] as const);
  const titleError = titleMissing ? TITLE_MISSING : errors.fields.title;
  // Outside the group form there is no members field to put a members error next to.
  const generalError = errors.form ?? (kind === 'group' ? null : (errors.fields.participantIds ?? null));

  return (
    <section
      className="new-conversation"
      aria-labelledby="new-conversation-heading"
      onKeyDown={(event) => {
        if (event.key === 'Escape' && !escapeClearsItself(event.target)) onClose();
      }}
    >
      <div className="new-conversation-top">
        <h2 id="new-conversation-heading">New conversation</h2>
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
      </div>
      <fieldset
        className="kinds"
        onKeyDown={(event) => event.key.startsWith('Arrow') && setChoosingByArrows(true)}
        onPointerDown={() => setChoosingByArrows(false)}
      >
        <legend className="visually-hidden">Kind of conversation</legend>
        {KINDS.map((option) => (
          <label key={option.kind} className={kind === option.kind ? 'kind selected' : 'kind'}>
            <input
              type="radio"
              name="kind"
              value={option.kind}
              checked={kind === option.kind}
              onChange={() => {
                create.reset();
                setKind(option.kind);
              }}
            />
            {option.label}
          </label>
        ))}
      </fieldset>

      {kind === 'direct' && (
        <UserSearch
          label="Who do you want to message?"
          action="Message"
          autoFocus={!choosingByArrows}
          disabled={create.isPending}
          onPick={(user) => create.mutate({ kind: 'direct', participantIds: [user.id] })}
        />
      )}

      {kind === 'group' && (
        <form
          className="group-form"
          onSubmit={(event) => {
            event.preventDefault();
            // Said here, at once and beside the field, rather than after a round trip.
            if (!hasVisibleText(title)) {
              setTitleMissing(true);
              titleRef.current?.focus();
              return;
            }
            create.mutate({ kind: 'group', title: title.trim(), participantIds: members.map((member) => member.id) });
          }}
        >
          <label htmlFor={titleId}>Group name</label>
          {/* No maxLength: it cuts a pasted name silently, and at half the limit in emoji (it counts UTF-16 units); the server's error says what is too long. */}
          <input
            id={titleId}
            value={title}
            ref={titleRef}
            // The form's first field takes the keyboard when Group is clicked (it had gone past it, to Add people).
            autoFocus={!choosingByArrows}
            onChange={(event) => {
              setTitle(event.target.value);
              setTitleMissing(false);
            }}
            aria-invalid={Boolean(titleError) || undefined}
            // Says why it is invalid, not only that it is.
            aria-describedby={titleError ? titleErrorId : undefined}
          />
          {titleError && (
            <p className="field-error" id={titleErrorId}>
              {titleError}
            </p>
          )}
          {members.length > 0 && (
            <ul role="list" aria-label="Members" className="chips">
              {members.map((member) => (
                <li key={member.id} className="chip">
                  <bdi>{member.displayName}</bdi>
                  <button
                    type="button"
                    className="chip-remove"
                    aria-label={`Remove ${member.displayName}`}
                    onClick={() => setMembers((current) => current.filter((other) => other.id !== member.id))}
                  >
                    ×
                  </button>
                </li>
              ))}
            </ul>
          )}
          <UserSearch
            label="Add people"
            action="Add"
            autoFocus={false}
            excludeIds={members.map((member) => member.id)}
            onPick={(user) => setMembers((current) => [...current, user])}
          />
          {errors.fields.participantIds && <p className="field-error">{errors.fields.participantIds}</p>}
          <button type="submit" className="button primary" disabled={members.length === 0 || create.isPending}>
            {create.isPending ? 'Creating…' : `Create group${members.length ? ` with ${members.length + 1} people` : ''}`}
          </button>
        </form>
      )}

      {kind === 'self' && (
        <div className="self-notes">
          <p className="muted">A private place for notes, links and drafts. Only you can see it.</p>
          <button type="button" className="button primary" disabled={create.isPending} onClick={() => create.mutate({ kind: 'self', participantIds: [] })}>
            Open notes to self
          </button>
        </div>
      )}

      {generalError && (
        <p role="alert" className="inline-error" data-testid="form-error">
          {generalError}
        </p>
      )}
    </section>
  );
}
