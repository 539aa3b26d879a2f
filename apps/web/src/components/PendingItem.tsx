import type { PendingSend } from '../outbox.ts';
import { LinkedText } from './TextParts.tsx';

interface PendingItemProps {
  send: PendingSend;
  onRetry: (clientId: string) => void;
  onDiscard: (clientId: string) => void;
}

const RESEND_NOTE = {
  'when-online': 'It goes by itself once Parley answers again.',
  'after-wait': 'It goes by itself after the wait.',
  'after-earlier': 'It goes by itself right after that one.',
} as const;

/**
 * A message of mine on its way: "Sending…", or "Not sent" with Retry (same clientId) and
 * Discard, or, while one that was not sent goes again by itself, "Not sent … Trying again…"
 * (it does not look like a first try that may still arrive).
 */
export function PendingItem({ send, onRetry, onDiscard }: PendingItemProps) {
  const failed = send.status === 'failed';
  const retrying = !failed && send.error !== null;
  return (
    <li className={failed || retrying ? 'message mine failed' : 'message mine pending'} data-testid="pending-message" data-status={send.status}>
      <div className="bubble">
        {/* As it will show once stored: its own direction, its links clickable. */}
        <p className="body" dir="auto">
          <LinkedText text={send.body} />
        </p>
      </div>
      {failed || retrying ? (
        // One layout whether it waits or is on its way again by itself: the buttons stay under
        // the pointer, doing nothing while it is on its way (it may yet be stored).
        <div className="meta" role={failed ? 'alert' : undefined}>
          <span className="send-error">Not sent{send.error ? `: ${send.error}` : ''}</span>{' '}
          {retrying ? <span className="muted">Trying again…</span> : send.resend && <span className="muted">{RESEND_NOTE[send.resend]}</span>}{' '}
          <button type="button" className="link-button" aria-disabled={retrying || undefined} onClick={() => failed && onRetry(send.clientId)}>
            Retry
          </button>{' '}
          <button type="button" className="link-button" aria-disabled={retrying || undefined} onClick={() => failed && onDiscard(send.clientId)}>
            Discard
          </button>
        </div>
      ) : (
        <p className="meta">Sending…</p>
      )}
    </li>
  );
}
