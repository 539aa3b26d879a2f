/**
 * Puts the keyboard on `element` if it is nowhere: the button it was on has just gone (a row
 * removed, a question closed by someone else's change), which leaves it on the page's body
 * and a keyboard user at the top of the page.
 */
export function focusIfLost(element: HTMLElement | null, options?: FocusOptions): void {
  if (!document.activeElement || document.activeElement === document.body) element?.focus(options);
}

/** Whether `element` takes typed text (a text box, not a button, link or radio): not to be taken from. */
export function isTypingIn(element: Element | null): boolean {
  if (element instanceof HTMLTextAreaElement) return true;
  if (element instanceof HTMLInputElement) return ['text', 'search', 'password', 'email', 'url', 'tel', 'number'].includes(element.type);
  return element instanceof HTMLElement && element.isContentEditable;
}

/**
 * Whether an Escape at `target` is the search box's own: one with text in it, which the
 * browser clears. A panel around it (New conversation, Group details) closes only on the next
 * Escape, so clearing a search never throws away what was filled in around it.
 */
export function escapeClearsItself(target: EventTarget): boolean {
  return target instanceof HTMLInputElement && target.type === 'search' && target.value !== '';
}
