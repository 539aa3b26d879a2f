import { useEffect, useId, useRef, useState, type FocusEvent, type KeyboardEvent } from 'react';
import { describeError } from '../errors.ts';
import { useNow, useRefusal } from '../hooks.ts';
import { isMuted, muteEnd, MUTE_CHOICES, type Mute } from '../mute.ts';
import { trpc, type ConversationDetail } from '../trpc.ts';
import { BellIcon } from './BellIcon.tsx';

/**
 * A conversation's mute, in its header (conversations.setMuted): mine alone, kept by the
 * server, so every tab and device has it. My other tabs hear of it through the inbox stream.
 * Not muted, the bell offers how long (an hour to "until I unmute it"); muted, it unmutes.
 */
export function MuteButton({ conversation }: { conversation: Pick<ConversationDetail, 'id'> & Mute }) {
  const utils = trpc.useUtils();
  const [refusal, setRefusal] = useRefusal();
  const [choosing, setChoosing] = useState(false);
  const bell = useRef<HTMLButtonElement>(null);
  const choices = useRef<HTMLDivElement>(null);
  const choicesId = useId();
  // A mute for a while runs out while the conversation is open.
  const now = useNow(null, [conversation.mutedUntil]);
  const muted = isMuted(conversation, now);
  // Muted meanwhile (another tab, another device): nothing left to choose.
  if (choosing && muted) setChoosing(false);
  const setMuted = trpc.conversations.setMuted.useMutation({
    onSuccess: (mute) => utils.conversations.get.setData({ id: conversation.id }, (detail) => detail && { ...detail, ...mute }),
    // As it is described, so useRefusal can tell "cannot reach" and drop it once back online.
    onError: (error) => setRefusal(describeError(error)),
  });

  useEffect(() => {
    if (!choosing) return;
    choices.current?.querySelector('button')?.focus();
    // A press anywhere else puts the choices away, as a menu's would.
    const away = (event: PointerEvent) => {
      if (!(event.target instanceof Node) || !choices.current?.parentElement?.contains(event.target)) setChoosing(false);
    };
    document.addEventListener('pointerdown', away);
    return () => document.removeEventListener('pointerdown', away);
  }, [choosing]);

  const change = (mute: { muted: boolean; forSeconds?: number }) => {
    setChoosing(false);
    bell.current?.focus();
    if (setMuted.isPending) return;
    setRefusal(null);
    setMuted.mutate({ id: conversation.id, ...mute });
  };
  const closeOnEscape = (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || !choosing) return;
    event.stopPropagation();
    setChoosing(false);
    bell.current?.focus();
  };
  // Tabbing out of the choices puts them away too.
  const closeOnLeave = (event: FocusEvent<HTMLDivElement>) => {
    if (!(event.relatedTarget instanceof Node && event.currentTarget.contains(event.relatedTarget))) setChoosing(false);
  };

  // The bell's description (its title): how long it is muted, read out after its name.
  const hint = muted
    ? `Muted ${muteEnd(conversation, now)}: no notifications of this conversation, and its unread messages are left out of the count in the tab’s title. Press to unmute.`
    : 'Mute this conversation: no notifications of it';
  return (
    <div className="mute" onKeyDown={closeOnEscape} onBlur={closeOnLeave}>
      <button
        ref={bell}
        type="button"
        className="button icon-button"
        aria-pressed={muted}
        aria-expanded={muted ? undefined : choosing}
        aria-controls={choosing ? choicesId : undefined}
        aria-disabled={setMuted.isPending || undefined}
        title={hint}
        onClick={() => (muted ? change({ muted: false }) : setChoosing((open) => !open))}
      >
        <BellIcon muted={muted} />
        <span className="visually-hidden">Mute conversation</span>
      </button>
      {choosing && (
        <div ref={choices} id={choicesId} className="mute-choices" role="group" aria-label="Mute for how long">
          {MUTE_CHOICES.map(({ label, forSeconds }) => (
            <button key={label} type="button" className="button" onClick={() => change(forSeconds === undefined ? { muted: true } : { muted: true, forSeconds })}>
              {label}
            </button>
          ))}
        </div>
      )}
      <span role="status" className={refusal ? 'action-note' : undefined}>
        {refusal && `Not changed: ${refusal}`}
      </span>
    </div>
  );
}
