import type { TRPCWebSocketClient } from '@trpc/client';
import { behaviorSubject } from '@trpc/server/observable';
import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { followConnection, type SocketState } from '../connection.ts';
import { UNREACHABLE } from '../errors.ts';
import { ConnectionContext } from '../hooks.ts';
import { message } from '../test-fixtures.ts';
import type { Message } from '../trpc.ts';
import { MessageItem } from './MessageItem.tsx';

const ME = 1;
const OVERTAKEN = 'This message was edited elsewhere while you were editing. Saving replaces that edit.';

/**
 * One of my messages with its editor open, on a connection whose socket states are driven by
 * hand (connected at first); `arrives` puts a newer copy of the message in, as the live stream does.
 */
async function editMine(body: string, onEdit: (message: Message, body: string) => Promise<string | null> = vi.fn(() => Promise.resolve(null))) {
  const user = userEvent.setup();
  const states = behaviorSubject<ReturnType<TRPCWebSocketClient['connectionState']['get']>>({ type: 'state', state: 'pending', error: null });
  const connection = followConnection(states);
  const item = (shown: Message) => (
    <ConnectionContext value={connection}>
      <ul>
        <MessageItem message={shown} mine senderName={null} delivery={null} canDelete authorName={null} onEdit={onEdit} onDelete={vi.fn(() => Promise.resolve(null))} tabbable onFocusWithin={vi.fn()} />
      </ul>
    </ConnectionContext>
  );
  const original = message(ME, body);
  const { rerender } = render(item(original));
  await user.click(screen.getByRole('button', { name: /^Edit message/ }));
  const editor = screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Edit message' });
  return {
    user,
    editor,
    arrives: (newer: string) => rerender(item({ ...original, body: newer, editedAt: new Date(2026, 10, 12, 14, 35).toISOString() })),
    report: (state: SocketState) => act(() => states.next({ type: 'state', state, error: null })),
  };
}

describe('MessageEditor, the message edited elsewhere while it is open', () => {
  it('takes the newer text while mine is unchanged, and Save with no change of mine keeps it', async () => {
    const onEdit = vi.fn(() => Promise.resolve(null));
    const { user, editor, arrives } = await editMine('meet at 5', onEdit);

    arrives('meet at 6');
    expect(editor.value).toBe('meet at 6');
    expect(screen.getByRole('status').textContent).toBe('');

    await user.click(screen.getByRole('button', { name: 'Save' }));
    // Nothing of mine to save: the old text does not come back over the newer edit.
    expect(onEdit).not.toHaveBeenCalled();
    expect(screen.queryByRole('textbox', { name: 'Edit message' })).toBeNull();
  });

  it('keeps my changes, says Save replaces the other edit, and saves mine', async () => {
    let answer: (refused: string | null) => void = () => undefined;
    const onEdit = vi.fn(
      () =>
        new Promise<string | null>((resolve) => {
          answer = resolve;
        }),
    );
    const { user, editor, arrives } = await editMine('meet at 5', onEdit);
    await user.type(editor, ' sharp');

    arrives('meet at 6');
    expect(editor.value).toBe('meet at 5 sharp');
    expect(screen.getByRole('status').textContent).toBe(OVERTAKEN);
    expect(editor.getAttribute('aria-describedby')).toBe(screen.getByRole('status').id);

    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(onEdit).toHaveBeenCalledWith(expect.objectContaining({ body: 'meet at 6' }), 'meet at 5 sharp');
    // My edit comes back on the live stream before the save's answer: nothing is replaced any more.
    arrives('meet at 5 sharp');
    expect(screen.getByRole('status').textContent).toBe('');
    await act(async () => answer(null));
    expect(screen.queryByRole('textbox', { name: 'Edit message' })).toBeNull();
  });

  it('with my changes undone, Save changes nothing: the other edit stays', async () => {
    const onEdit = vi.fn(() => Promise.resolve(null));
    const { user, editor, arrives } = await editMine('meet at 5', onEdit);
    await user.type(editor, '!');
    arrives('meet at 6');
    await user.type(editor, '{Backspace}');

    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(onEdit).not.toHaveBeenCalled();
  });
});

describe('MessageEditor, a save that could not reach the server', () => {
  it('stops saying so once the connection is back', async () => {
    const { user, editor, report } = await editMine('meet at 5', vi.fn(() => Promise.resolve(UNREACHABLE)));
    report('connecting');
    await user.type(editor, ' sharp');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByRole('alert').textContent).toBe(UNREACHABLE);

    report('pending');
    expect(screen.queryByRole('alert')).toBeNull();
    // The editor stays open with my text, to save again.
    expect(editor.value).toBe('meet at 5 sharp');
  });

  it('stops saying so once the connection is back, even when the socket had not yet noticed the drop', async () => {
    const { user, editor, report } = await editMine('meet at 5', vi.fn(() => Promise.resolve(UNREACHABLE)));
    await user.type(editor, ' sharp');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    // The socket still says open: the failure is news.
    expect(screen.getByRole('alert').textContent).toBe(UNREACHABLE);
    report('connecting');
    expect(screen.getByRole('alert').textContent).toBe(UNREACHABLE);
    report('pending');
    expect(screen.queryByRole('alert')).toBeNull();
    // A later drop does not bring it back.
    report('connecting');
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

describe('MessageEditor, opening', () => {
  it('puts the caret after the text, so what I type adds to the end', async () => {
    const { user, editor } = await editMine('Meet at 6');
    expect(document.activeElement).toBe(editor);
    await user.keyboard('pm');
    expect(editor.value).toBe('Meet at 6pm');
  });
});
