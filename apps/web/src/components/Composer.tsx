import { useEffect, useId, useRef, useState, type ClipboardEvent, type FormEvent, type KeyboardEvent } from 'react';
import { createDraftStore, DEFAULT_MAX_DRAFTS, type DraftKey, type DraftStore } from '../drafts.ts';
import { tabSessionStorage } from '../tab-storage.ts';
import { isTypingIn } from '../focus.ts';
import { hasVisibleText } from '../format.ts';
import { lengthOf } from '../thread-state.ts';

/** The server's limit on a message body, in code points, counted after trimming as it counts. */
export const BODY_MAX = 4000;
/** The counter appears this close to the limit, not before (it would only distract). */
export const COUNTER_FROM = BODY_MAX - 500;

/**
 * How much of BODY_MAX a body uses, once it comes close: "212 left", "3 over the limit"
 * (past it the body cannot be sent or saved, and this says why). Nothing before COUNTER_FROM.
 */
export function BodyCounter({ id, length, testId }: { id: string; length: number; testId: string }) {
  if (length < COUNTER_FROM) return null;
  const left = BODY_MAX - length;
  return (
    <span id={id} className={left < 0 ? 'counter over' : 'counter'} data-testid={testId} aria-live="polite">
      {left < 0 ? `${-left} over the limit` : `${left} left`}
    </span>
  );
}

/**
 * Puts the keyboard in `field` with the caret after its text: a textarea mounted with a value
 * has it at the start, so what was typed next went in front of the text.
 */
export function focusAtEnd(field: HTMLTextAreaElement, options?: FocusOptions): void {
  field.focus(options);
  field.setSelectionRange(field.value.length, field.value.length);
}

/**
 * The most the composer takes, and a draft keeps: well past BODY_MAX, so a draft over the
 * limit (the counter says by how much) survives a reload whole, to be cut by its writer; at
 * this size the textarea stops taking more, so nothing typed is ever dropped unseen.
 */
export const DRAFT_MAX = BODY_MAX * 4;

/** This tab's drafts, kept across conversations and reloads (sessionStorage). */
const tabDrafts = createDraftStore(tabSessionStorage(), { maxLength: DRAFT_MAX, maxDrafts: DEFAULT_MAX_DRAFTS });

interface ComposerProps {
  onSend: (body: string) => void;
  /** Called on every keystroke that leaves text (typing) and when the draft is sent, cleared or left (not typing). */
  onTyping?: (typing: boolean) => void;
  disabled?: boolean;
  /** Whose draft in which conversation: it is kept there until sent. Without it nothing is kept. */
  draftKey?: DraftKey;
  /** Where drafts are kept; tests pass their own. */
  drafts?: DraftStore;
  /** Take the keyboard when shown and when it changes conversation (with a mouse, not on touch screens). */
  focusOnOpen?: boolean;
}

/** Writes a message: Enter sends, Shift+Enter starts a new line, a counter near the limit. */
export function Composer({ onSend, onTyping, disabled = false, draftKey, drafts = tabDrafts, focusOnOpen = false }: ComposerProps) {
  // Restoring is not typing: no signal until the user changes the text.
  const [draft, setDraft] = useState(() => (draftKey ? drafts.read(draftKey) : ''));
  // Reused for another conversation or user (not re-mounted): show that one's draft, never
  // carry this one over (it would also be saved under the other key on the next keystroke).
  const keyName = draftKey ? `${draftKey.userId}:${draftKey.conversationId}` : null;
  const [shownFor, setShownFor] = useState(keyName);
  // A paste past DRAFT_MAX is cut by the textarea: how much was, said until the next key, or it would go unseen.
  const [pasteCut, setPasteCut] = useState(0);
  if (shownFor !== keyName) {
    setShownFor(keyName);
    setPasteCut(0);
    setDraft(draftKey ? drafts.read(draftKey) : '');
  }
  const changeDraft = (text: string) => {
    setDraft(text);
    if (draftKey) drafts.write(draftKey, text);
  };
  const counterId = useId();
  const body = draft.trim();
  const length = lengthOf(body);
  const left = BODY_MAX - length;
  // The server's notion of empty: a draft of zero-width spaces or the like would be refused.
  const empty = !hasVisibleText(body);
  const tooLong = left < 0;

  // Sending by the button leaves the keyboard in the composer, ready for the next message.
  const input = useRef<HTMLTextAreaElement | null>(null);
  const submit = () => {
    if (empty || tooLong || disabled) return;
    onSend(body);
    changeDraft('');
    onTyping?.(false);
    input.current?.focus();
  };

  // Opening a conversation puts the keyboard where the next message is written, as messengers
  // do (else it was a hundred Tabs away, past every message's buttons); not on touch screens,
  // where it would raise the on-screen keyboard over the conversation just opened, nor away
  // from a field someone is typing in (the conversation reloaded as I was added back).
  // The caret goes after a restored draft, where its writer left off.
  useEffect(() => {
    if (!focusOnOpen || typeof matchMedia !== 'function' || !matchMedia('(pointer: fine)').matches) return;
    const field = input.current;
    if (!field || isTypingIn(document.activeElement)) return;
    focusAtEnd(field, { preventScroll: true });
  }, [focusOnOpen, keyName]);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    submit();
  };

  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    const field = event.currentTarget;
    // The textarea's limit is in UTF-16 units; what was cut is told in characters, as the counter counts.
    const room = DRAFT_MAX - (field.value.length - (field.selectionEnd - field.selectionStart));
    const pasted = event.clipboardData.getData('text');
    setPasteCut(pasted.length > room ? lengthOf(pasted.slice(Math.max(0, room))) : 0);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    setPasteCut(0);
    // isComposing: Enter that confirms an IME composition (Japanese, Chinese…) must not send.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };

  return (
    <form className="composer" onSubmit={onSubmit}>
      <label className="visually-hidden" htmlFor={`${counterId}-body`}>
        Message
      </label>
      <textarea
        ref={input}
        id={`${counterId}-body`}
        className="composer-input"
        rows={1}
        placeholder="Write a message"
        // UTF-16 units: never more code points than the draft keeps.
        maxLength={DRAFT_MAX}
        value={draft}
        disabled={disabled}
        aria-describedby={length >= COUNTER_FROM ? counterId : undefined}
        aria-invalid={tooLong || undefined}
        onChange={(event) => {
          changeDraft(event.target.value);
          onTyping?.(hasVisibleText(event.target.value));
        }}
        onKeyDown={onKeyDown}
        onPaste={onPaste}
        onBlur={() => onTyping?.(false)}
      />
      <BodyCounter id={counterId} length={length} testId="composer-counter" />
      {pasteCut > 0 && (
        <span role="status" className="counter over" data-testid="paste-cut">
          {`The paste was cut: ${pasteCut.toLocaleString('en')} characters did not fit`}
        </span>
      )}
      <button type="submit" className="button primary" disabled={empty || tooLong || disabled}>
        Send
      </button>
    </form>
  );
}
