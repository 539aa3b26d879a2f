import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { hasVisibleText } from '../format.ts';
import { useRefusal } from '../hooks.ts';
import { lengthOf } from '../thread-state.ts';
import { BODY_MAX, BodyCounter, COUNTER_FROM, focusAtEnd } from './Composer.tsx';

interface MessageEditorProps {
  /** The message's body as stored now; it may change while the editor is open (edited elsewhere). */
  storedBody: string;
  /** Resolves to an error to show, or null when saved. */
  onSave: (body: string) => Promise<string | null>;
  onCancel: () => void;
  /** Each change of the text, so what was written is not lost if the message goes (deleted elsewhere). */
  onDraftChange?: (text: string) => void;
}

/** Edits one of my messages in place: Enter saves, Escape cancels. */
export function MessageEditor({ storedBody, onSave, onCancel, onDraftChange }: MessageEditorProps) {
  const [draft, setDraft] = useState(storedBody);
  // The body my text started from: saving that back unchanged is no edit.
  const [startedFrom, setStartedFrom] = useState(storedBody);
  const [seenBody, setSeenBody] = useState(storedBody);
  const [overtaken, setOvertaken] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setRefused] = useRefusal();
  const body = draft.trim();
  // Edited elsewhere while open: untouched text (or text that already says the same, as my own
  // save coming back does) follows the new body; my changes stay, and Save says what it replaces.
  if (storedBody !== seenBody) {
    setSeenBody(storedBody);
    if (draft === startedFrom || body === storedBody) {
      setDraft(storedBody);
      setStartedFrom(storedBody);
      setOvertaken(false);
    } else {
      setOvertaken(true);
    }
  }
  // Empty and too long as the server judges them (Composer does the same).
  const length = lengthOf(body);
  const invalid = !hasVisibleText(body) || length > BODY_MAX;
  const counterId = useId();
  const overtakenId = useId();
  // Opens with the caret after the text, as chat apps do: what I type adds to the message.
  const field = useRef<HTMLTextAreaElement | null>(null);
  useEffect(() => {
    if (field.current) focusAtEnd(field.current);
  }, []);

  const save = async () => {
    if (invalid || saving) return;
    if (body === startedFrom) return onCancel();
    setSaving(true);
    const refused = await onSave(body);
    setSaving(false);
    setRefused(refused);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Escape') onCancel();
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void save();
    }
  };

  const describedBy = [length >= COUNTER_FROM && counterId, overtaken && overtakenId].filter(Boolean).join(' ');

  return (
    <div className="message-editor">
      <textarea
        aria-label="Edit message"
        aria-describedby={describedBy || undefined}
        aria-invalid={length > BODY_MAX || undefined}
        ref={field}
        value={draft}
        onChange={(event) => {
          setDraft(event.target.value);
          onDraftChange?.(event.target.value);
        }}
        onKeyDown={onKeyDown}
      />
      <BodyCounter id={counterId} length={length} testId="editor-counter" />
      {/* Always there, so screen readers hear the notice when it appears. */}
      <p role="status" id={overtakenId} className="editor-notice">
        {overtaken && 'This message was edited elsewhere while you were editing. Saving replaces that edit.'}
      </p>
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
