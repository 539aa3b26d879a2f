import type { ReactNode } from 'react';

interface ConfirmQuestionProps {
  /** The question, short, as its group's accessible name ("Delete this message?"). */
  label: string;
  /** What is asked, in full. */
  children: ReactNode;
  confirm: string;
  cancel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
}

/**
 * A destructive action's question, in place: the safe answer has the focus, so Enter or
 * Escape right away changes nothing; the caller gives focus back where it came from.
 */
export function ConfirmQuestion({ label, children, confirm, cancel, onConfirm, onCancel, busy = false }: ConfirmQuestionProps) {
  return (
    <div
      className="confirm"
      role="group"
      aria-label={label}
      onKeyDown={(event) => {
        if (event.key !== 'Escape') return;
        // This question's Escape: not also the panel's around it.
        event.stopPropagation();
        onCancel();
      }}
    >
      <span>{children}</span>
      <button type="button" className="button danger" disabled={busy} onClick={onConfirm}>
        {confirm}
      </button>
      <button type="button" className="button" autoFocus onClick={onCancel}>
        {cancel}
      </button>
    </div>
  );
}
