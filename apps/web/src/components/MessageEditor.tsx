import { useId, useState, type KeyboardEvent } from 'react';
import { hasVisibleText } from '../format.ts';
import { lengthOf } from '../thread-state.ts';
import { BODY_MAX, BodyCounter, COUNTER_FROM } from './Composer.tsx';

interface MessageEditorProps {
  initial: string;
  /** Resolves to an error to show, or null when saved. */
  onSave: (body: string) => Promise<string | null>;
  onCancel: () => void;
}

/** Edits one of my messages in place: Enter saves, Escape cancels. */
export function MessageEditor({ initial, onSave, onCancel }: MessageEditorProps) {
  const [draft, setDraft] = useState(initial);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const body = draft.trim();
  // Empty and too long as the server judges them (Composer does the same).
  const length = lengthOf(body);
  const invalid = !hasVisibleText(body) || length > BODY_MAX;
  const counterId = useId();

  const save = async () => {
    if (invalid || saving) return;
    if (body === initial) return onCancel();
    setSaving(true);
    const failure = await onSave(body);
    setSaving(false);
    if (failure) setError(failure);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Escape') onCancel();
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void save();
    }
  };

  return (
    <div className="message-editor">
      <textarea
        aria-label="Edit message"
        aria-describedby={length >= COUNTER_FROM ? counterId : undefined}
        aria-invalid={length > BODY_MAX || undefined}
        value={draft}
        autoFocus
        onChange={(event) => setDraft(event.target.value)}
        onKeyDown={onKeyDown}
      />
      <BodyCounter id={counterId} length={length} testId="editor-counter" />
      {error && (
        <p role="alert" className="inline-error">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="button" className="button primary" onClick={() => void save()} disabled={invalid || saving}>
          {saving ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
