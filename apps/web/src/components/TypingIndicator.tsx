import { typingLabel } from '../typing.ts';

/** Who is typing, under the messages; the line keeps its height so the thread does not jump. */
export function TypingIndicator({ names }: { names: readonly string[] }) {
  return (
    <p className="typing" aria-live="polite" data-testid="typing-indicator">
      {typingLabel(names)}
    </p>
  );
}
