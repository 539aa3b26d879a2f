import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { message, participant, summary } from '../test-fixtures.ts';
import { ConversationItem } from './ConversationItem.tsx';
import { MessageItem } from './MessageItem.tsx';

const alice = participant(1, 'Alice Liddell');
const bob = participant(2, 'Bob Marley');

/** Bob's message with this body, as Alice sees it. */
function renderBody(text: string) {
  render(
    <ul>
      <MessageItem
        message={message(bob.id, text)}
        mine={false}
        senderName={null}
        delivery={null}
        canDelete={false}
        authorName={bob.displayName}
        onEdit={vi.fn(() => Promise.resolve(null))}
        onDelete={vi.fn(() => Promise.resolve(null))}
        tabbable
        onFocusWithin={vi.fn()}
      />
    </ul>,
  );
  const item = screen.getByTestId('message');
  const paragraph = item.querySelector('.body');
  if (!(paragraph instanceof HTMLElement)) throw new Error('no message body');
  return paragraph;
}

describe('MessageItem body', () => {
  it('makes web links clickable, opening a new tab that cannot reach this page', () => {
    const body = renderBody('see https://example.com/a?b=1 and www.example.org.');
    expect(body.textContent).toBe('see https://example.com/a?b=1 and www.example.org.');
    const [first, second, ...rest] = within(body).getAllByRole('link');
    expect(rest).toEqual([]);
    expect(first?.textContent).toBe('https://example.com/a?b=1');
    expect(first?.getAttribute('href')).toBe('https://example.com/a?b=1');
    expect(first?.getAttribute('target')).toBe('_blank');
    expect(first?.getAttribute('rel')).toBe('noopener noreferrer');
    expect(second?.textContent).toBe('www.example.org');
    expect(second?.getAttribute('href')).toBe('https://www.example.org');
    // The body still takes its own direction (dir="auto"); each link reads left to right.
    expect(body.getAttribute('dir')).toBe('auto');
    expect(first?.getAttribute('dir')).toBe('ltr');
  });

  it("follows a link to one of Parley's own pages in place, without a reload", async () => {
    const user = userEvent.setup();
    const body = renderBody(`see ${window.location.origin}/c/7 please`);
    const link = within(body).getByRole('link');
    expect(link.getAttribute('target')).toBeNull();
    await user.click(link);
    expect(window.location.pathname).toBe('/c/7');
    window.history.replaceState(null, '', '/');
  });

  it('keeps line breaks around a link', () => {
    const body = renderBody('first line\nhttps://example.com\nlast line');
    expect(body.textContent).toBe('first line\nhttps://example.com\nlast line');
    expect(within(body).getByRole('link').textContent).toBe('https://example.com');
  });

  it('shows HTML and other schemes as the text they are', () => {
    const text = '<a href="javascript:alert(1)">click</a> <img src=x onerror=alert(1)> data:text/html,hi';
    const body = renderBody(text);
    expect(body.textContent).toBe(text);
    expect(within(body).queryByRole('link')).toBeNull();
    expect(body.querySelector('img')).toBeNull();
    expect(body.children).toHaveLength(0);
  });

  it('leaves the inbox preview unlinked (the whole row is already a link)', () => {
    const dm = summary({ kind: 'direct', participants: [alice, bob], lastMessage: message(bob.id, 'see https://example.com') });
    render(
      <ul>
        <ConversationItem conversation={dm} myId={alice.id} now={new Date(2026, 10, 12, 14, 30)} />
      </ul>,
    );
    const preview = screen.getByTestId('conversation-preview');
    expect(preview.textContent).toBe('see https://example.com');
    expect(preview.querySelector('a')).toBeNull();
  });
});

describe('MessageItem actions', () => {
  it('name the message by its first 40 characters, never half of one', () => {
    // An emoji (two UTF-16 units) and a family (a ZWJ sequence of five code points) across the 40th character.
    const body = `${'a'.repeat(39)}😀 and more`;
    const family = `${'b'.repeat(39)}👩‍👩‍👧 and more`;
    render(
      <ul>
        {[body, family].map((text, index) => (
          <MessageItem
            key={text}
            message={{ ...message(alice.id, text), id: index + 1 }}
            mine
            senderName={null}
            delivery={null}
            canDelete
            authorName={null}
            onEdit={vi.fn(() => Promise.resolve(null))}
            onDelete={vi.fn(() => Promise.resolve(null))}
            tabbable
            onFocusWithin={vi.fn()}
          />
        ))}
      </ul>,
    );
    expect(screen.getByRole('button', { name: `Edit message: ${'a'.repeat(39)}😀` })).toBeDefined();
    expect(screen.getByRole('button', { name: `Delete message: ${'a'.repeat(39)}😀` })).toBeDefined();
    expect(screen.getByRole('button', { name: `Edit message: ${'b'.repeat(39)}👩‍👩‍👧` })).toBeDefined();
  });
});
