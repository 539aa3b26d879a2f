import { describeError } from '../errors.ts';
import { useRefusal } from '../hooks.ts';
import { trpc, type ConversationDetail } from '../trpc.ts';
import { BellIcon } from './BellIcon.tsx';

const HINTS = {
  muted: 'Muted: no notifications of this conversation, and its unread messages are left out of the count in the tab’s title',
  unmuted: 'Mute this conversation: no notifications of it',
};

/**
 * A conversation's mute, in its header (conversations.setMuted): mine alone, kept by the
 * server, so every tab and device has it. My other tabs hear of it through the inbox stream.
 */
export function MuteButton({ conversation }: { conversation: Pick<ConversationDetail, 'id' | 'muted'> }) {
  const utils = trpc.useUtils();
  const [refusal, setRefusal] = useRefusal();
  const setMuted = trpc.conversations.setMuted.useMutation({
    onSuccess: ({ muted }) => utils.conversations.get.setData({ id: conversation.id }, (detail) => detail && { ...detail, muted }),
    // As it is described, so useRefusal can tell "cannot reach" and drop it once back online.
    onError: (error) => setRefusal(describeError(error)),
  });
  const { muted } = conversation;
  const toggle = () => {
    if (setMuted.isPending) return;
    setRefusal(null);
    setMuted.mutate({ id: conversation.id, muted: !muted });
  };
  return (
    <>
      <button
        type="button"
        className="button icon-button"
        aria-pressed={muted}
        aria-disabled={setMuted.isPending || undefined}
        title={muted ? HINTS.muted : HINTS.unmuted}
        onClick={toggle}
      >
        <BellIcon muted={muted} />
        <span className="visually-hidden">Mute conversation</span>
      </button>
      <span role="status" className={refusal ? 'action-note' : undefined}>
        {refusal && `Not changed: ${refusal}`}
      </span>
    </>
  );
}
