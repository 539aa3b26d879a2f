import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createDraftStore } from '../drafts.ts';
import { BODY_MAX, Composer, DRAFT_MAX } from './Composer.tsx';

describe('Composer', () => {
  it('sends on Enter, starts a new line on Shift+Enter, and clears after sending', async () => {
    const user = userEvent.setup();
    const onSend = vi.fn();
    const onTyping = vi.fn();
    render(<Composer onSend={onSend} onTyping={onTyping} />);
    const input = screen.getByRole('textbox', { name: 'Message' });

    await user.type(input, 'first line{Shift>}{Enter}{/Shift}second line');
    expect(onSend).not.toHaveBeenCalled();
    expect(onTyping).toHaveBeenLastCalledWith(true);
    await user.keyboard('{Enter}');

    expect(onSend).toHaveBeenCalledExactlyOnceWith('first line\nsecond line');
    expect((input as HTMLTextAreaElement).value).toBe('');
    expect(onTyping).toHaveBeenLastCalledWith(false);
  });

  it('keeps the keyboard in the composer after sending with the button', async () => {
    const user = userEvent.setup();
    const onSend = vi.fn();
    render(<Composer onSend={onSend} />);
    const input = screen.getByRole('textbox', { name: 'Message' });
    await user.type(input, 'by the button');
    await user.click(screen.getByRole('button', { name: 'Send' }));
    expect(onSend).toHaveBeenCalledExactlyOnceWith('by the button');
    expect(document.activeElement).toBe(input);
    await user.keyboard('next one{Enter}');
    expect(onSend).toHaveBeenLastCalledWith('next one');
  });

  it('takes the keyboard when a conversation opens and when another one does, with a mouse but not on a touch screen', () => {
    const drafts = createDraftStore(sessionStorage, { maxLength: BODY_MAX, maxDrafts: 5 });
    const pointer = (fine: boolean) => vi.stubGlobal('matchMedia', (query: string) => ({ matches: fine && query === '(pointer: fine)' }));
    try {
      pointer(true);
      const { rerender } = render(<Composer onSend={vi.fn()} focusOnOpen drafts={drafts} draftKey={{ userId: 1, conversationId: 1 }} />);
      const input = screen.getByRole('textbox', { name: 'Message' });
      expect(document.activeElement).toBe(input);
      input.blur();
      rerender(<Composer onSend={vi.fn()} focusOnOpen drafts={drafts} draftKey={{ userId: 1, conversationId: 2 }} />);
      expect(document.activeElement).toBe(input);
      cleanup();
      // A restored draft: the caret after it, so what is typed next follows it.
      drafts.write({ userId: 1, conversationId: 5 }, 'draft text');
      render(<Composer onSend={vi.fn()} focusOnOpen drafts={drafts} draftKey={{ userId: 1, conversationId: 5 }} />);
      const restored = screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Message' });
      expect(document.activeElement).toBe(restored);
      expect([restored.selectionStart, restored.selectionEnd]).toEqual([10, 10]);
      cleanup();
      // Someone typing elsewhere (the inbox search) keeps the keyboard there.
      const search = document.body.appendChild(document.createElement('input'));
      search.type = 'search';
      search.focus();
      render(<Composer onSend={vi.fn()} focusOnOpen drafts={drafts} draftKey={{ userId: 1, conversationId: 4 }} />);
      expect(document.activeElement).toBe(search);
      search.remove();
      cleanup();
      pointer(false);
      render(<Composer onSend={vi.fn()} focusOnOpen drafts={drafts} draftKey={{ userId: 1, conversationId: 3 }} />);
      expect(document.activeElement).toBe(document.body);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('does not send blank text', async () => {
    const user = userEvent.setup();
    const onSend = vi.fn();
    render(<Composer onSend={onSend} />);
    await user.type(screen.getByRole('textbox', { name: 'Message' }), '   {Enter}');
    expect(onSend).not.toHaveBeenCalled();
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Send' }).disabled).toBe(true);
  });

  it('treats a draft of invisible characters as empty, as the server does', async () => {
    const user = userEvent.setup();
    const onSend = vi.fn();
    const onTyping = vi.fn();
    render(<Composer onSend={onSend} onTyping={onTyping} />);
    const input = screen.getByRole('textbox', { name: 'Message' });
    const send = screen.getByRole<HTMLButtonElement>('button', { name: 'Send' });

    // Zero-width space, joiners, BOM, soft hyphen, bidi controls, Hangul filler, Braille blank, CGJ,
    // interlinear annotation characters, the object replacement character, a mark with no base.
    const invisibles = ['\u200B', '\u200C\u200D\u2060\uFEFF\u00AD', '\u202E\u2066\u200F', '\u3164\u2800\u034F', '\uFFF9', '\uFFFA\uFFFB', '\uFFFC', '\u0301'];
    for (const invisible of invisibles) {
      await user.clear(input);
      await user.click(input);
      await user.paste(invisible);
      expect((input as HTMLTextAreaElement).value).toBe(invisible);
      expect({ invisible, disabled: send.disabled }).toEqual({ invisible, disabled: true });
      await user.keyboard('{Enter}');
      expect(onTyping).not.toHaveBeenCalledWith(true);
    }
    expect(onSend).not.toHaveBeenCalled();

    // Something visible joined by a ZWJ is a message, sent exactly as written.
    await user.clear(input);
    await user.paste('\u200B👩‍👩‍👧');
    expect(send.disabled).toBe(false);
    await user.keyboard('{Enter}');
    expect(onSend).toHaveBeenCalledExactlyOnceWith('\u200B👩‍👩‍👧');
  });

  it('counts code points near the limit and refuses to send past it', async () => {
    const user = userEvent.setup();
    const onSend = vi.fn();
    render(<Composer onSend={onSend} />);
    const input = screen.getByRole('textbox', { name: 'Message' });
    expect(screen.queryByTestId('composer-counter')).toBeNull();

    // 3,998 letters and one emoji of two UTF-16 units: 3,999 code points.
    await user.click(input);
    await user.paste(`${'a'.repeat(BODY_MAX - 2)}😀`);
    expect(screen.getByTestId('composer-counter').textContent).toBe('1 left');
    await user.type(input, 'bc');
    expect(screen.getByTestId('composer-counter').textContent).toBe('1 over the limit');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    await user.keyboard('{Enter}');
    expect(onSend).not.toHaveBeenCalled();
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Send' }).disabled).toBe(true);
  });

  it('says how much of a paste did not fit, until the next key', async () => {
    const user = userEvent.setup();
    render(<Composer onSend={vi.fn()} />);
    const input = screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Message' });
    await user.click(input);
    await user.paste('x'.repeat(10));
    expect(screen.queryByTestId('paste-cut')).toBeNull();
    await user.paste('y'.repeat(DRAFT_MAX));
    expect(input.value.length).toBe(DRAFT_MAX);
    expect(screen.getByTestId('paste-cut').textContent).toBe('The paste was cut: 10 characters did not fit');
    await user.keyboard('{Backspace}');
    expect(screen.queryByTestId('paste-cut')).toBeNull();

    // Counted in characters, as the counter counts: an emoji is one, though two UTF-16 units.
    await user.clear(input);
    await user.paste('😀'.repeat(DRAFT_MAX / 2 + 3));
    expect(screen.getByTestId('paste-cut').textContent).toBe('The paste was cut: 3 characters did not fit');
  });

  describe('drafts', () => {
    beforeEach(() => sessionStorage.clear());
    const drafts = () => createDraftStore(sessionStorage, { maxLength: BODY_MAX, maxDrafts: 50 });
    const here = { userId: 1, conversationId: 7 };

    it('restores the draft of its conversation without signalling typing, and forgets it once sent', async () => {
      const user = userEvent.setup();
      const onSend = vi.fn();
      const onTyping = vi.fn();
      drafts().write(here, 'half written');
      drafts().write({ userId: 1, conversationId: 8 }, 'elsewhere');
      render(<Composer onSend={onSend} onTyping={onTyping} draftKey={here} />);
      const input = screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Message' });
      expect(input.value).toBe('half written');
      expect(onTyping).not.toHaveBeenCalled();

      await user.type(input, ', now done{Enter}');
      expect(onSend).toHaveBeenCalledExactlyOnceWith('half written, now done');
      expect(drafts().read(here)).toBe('');
      expect(drafts().read({ userId: 1, conversationId: 8 })).toBe('elsewhere');
    });

    it('keeps a draft over the limit whole, for its writer to cut (the counter says by how much)', async () => {
      const user = userEvent.setup();
      const long = `${'a'.repeat(BODY_MAX + 100)}END`;
      const first = render(<Composer onSend={vi.fn()} draftKey={here} />);
      await user.click(screen.getByRole('textbox', { name: 'Message' }));
      await user.paste(long);
      first.unmount();
      render(<Composer onSend={vi.fn()} draftKey={here} />);
      expect(screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Message' }).value).toBe(long);
      expect(screen.getByTestId('composer-counter').textContent).toBe('103 over the limit');
    });

    it('keeps what is typed for when it comes back (a switch or a reload re-mounts it)', async () => {
      const user = userEvent.setup();
      const first = render(<Composer onSend={vi.fn()} draftKey={here} />);
      await user.type(screen.getByRole('textbox', { name: 'Message' }), 'later');
      first.unmount();

      render(<Composer onSend={vi.fn()} draftKey={{ userId: 1, conversationId: 8 }} />);
      expect(screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Message' }).value).toBe('');
      cleanup();
      render(<Composer onSend={vi.fn()} draftKey={{ userId: 2, conversationId: 7 }} />);
      expect(screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Message' }).value).toBe('');
      cleanup();
      render(<Composer onSend={vi.fn()} draftKey={here} />);
      expect(screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Message' }).value).toBe('later');
    });

    it('never carries a draft into another conversation when reused rather than re-mounted', async () => {
      const user = userEvent.setup();
      drafts().write({ userId: 1, conversationId: 8 }, 'the other one');
      const { rerender } = render(<Composer onSend={vi.fn()} draftKey={here} />);
      const input = screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Message' });
      await user.type(input, 'for seven');

      rerender(<Composer onSend={vi.fn()} draftKey={{ userId: 1, conversationId: 8 }} />);
      expect(input.value).toBe('the other one');
      rerender(<Composer onSend={vi.fn()} draftKey={{ userId: 1, conversationId: 9 }} />);
      expect(input.value).toBe('');
      await user.type(input, 'for nine');
      rerender(<Composer onSend={vi.fn()} draftKey={here} />);
      expect(input.value).toBe('for seven');
      expect(drafts().read({ userId: 1, conversationId: 8 })).toBe('the other one');
      expect(drafts().read({ userId: 1, conversationId: 9 })).toBe('for nine');
    });

    it('keeps working, without keeping drafts, when storage refuses writes', async () => {
      const user = userEvent.setup();
      const onSend = vi.fn();
      const setItem = vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      });
      try {
        const onTyping = vi.fn();
        render(<Composer onSend={onSend} onTyping={onTyping} draftKey={here} />);
        await user.type(screen.getByRole('textbox', { name: 'Message' }), 'still sends');
        // The typing signal comes after saving: a throw would have skipped it.
        expect(onTyping).toHaveBeenLastCalledWith(true);
        await user.keyboard('{Enter}');
        expect(onSend).toHaveBeenCalledExactlyOnceWith('still sends');
      } finally {
        setItem.mockRestore();
      }
    });
  });
});
