import { act, render, screen, within } from '@testing-library/react';
import type { TRPCWebSocketClient } from '@trpc/client';
import userEvent from '@testing-library/user-event';
import { behaviorSubject } from '@trpc/server/observable';
import { describe, expect, it } from 'vitest';
import { followConnection, type SocketState } from '../connection.ts';
import { ConnectionContext } from '../hooks.ts';
import { message, participant, summary } from '../test-fixtures.ts';
import { ConversationItem } from './ConversationItem.tsx';

const alice = participant(1, 'Alice Liddell');
const bob = participant(2, 'Bob Marley');

describe('ConversationItem', () => {
  it('is a list item named after the conversation, with preview, time and unread count', () => {
    const lastMessageAt = new Date(2026, 10, 12, 14, 0);
    const dm = summary({
      id: 7,
      kind: 'direct',
      participants: [alice, bob],
      lastMessage: message(bob.id, 'Are we still on?'),
      lastMessageAt: lastMessageAt.toISOString(),
      unreadCount: 3,
    });
    render(
      <ul>
        <ConversationItem conversation={dm} myId={alice.id} now={new Date(2026, 10, 12, 14, 30)} />
      </ul>,
    );

    const item = screen.getByRole('listitem', { name: 'Bob Marley' });
    expect(within(item).getByTestId('conversation-preview').textContent).toBe('Are we still on?');
    // Short forms for the eye, whole words for a screen reader.
    const badge = within(item).getByTestId('unread-badge');
    expect(within(badge).getByText('3').getAttribute('aria-hidden')).toBe('true');
    expect(within(badge).getByText('3 unread messages')).toBeTruthy();
    const time = within(item).getByText('30m').closest('time');
    expect(time?.getAttribute('dateTime')).toBe(lastMessageAt.toISOString());
    expect(within(item).getByText('30 minutes ago')).toBeTruthy();
  });

  it('marks a muted conversation, and still counts what it holds on its row', () => {
    const dm = summary({ id: 7, kind: 'direct', participants: [alice, bob], lastMessage: message(bob.id, 'hello?'), unreadCount: 2 });
    const { rerender } = render(
      <ul>
        <ConversationItem conversation={dm} myId={alice.id} now={new Date()} />
      </ul>,
    );
    expect(screen.queryByTestId('muted-mark')).toBeNull();
    rerender(
      <ul>
        <ConversationItem conversation={{ ...dm, muted: true }} myId={alice.id} now={new Date()} />
      </ul>,
    );
    const item = screen.getByRole('listitem', { name: 'Bob Marley' });
    expect(item.classList.contains('is-muted')).toBe(true);
    expect(within(item).getByTestId('muted-mark').textContent).toBe('muted until you unmute it');
    expect(within(within(item).getByTestId('unread-badge')).getByText('2 unread messages')).toBeTruthy();
  });

  it('says until when a conversation is muted for a while, and drops the mark once that has passed', () => {
    const now = new Date(2026, 11, 7, 18, 0);
    const mutedUntil = new Date(2026, 11, 7, 19, 30).toISOString();
    const dm = summary({ id: 7, kind: 'direct', participants: [alice, bob], muted: true, mutedUntil });
    const { rerender } = render(
      <ul>
        <ConversationItem conversation={dm} myId={alice.id} now={now} />
      </ul>,
    );
    const item = screen.getByRole('listitem', { name: 'Bob Marley' });
    expect(within(item).getByTestId('muted-mark').textContent).toBe('muted until 7:30 PM');
    rerender(
      <ul>
        <ConversationItem conversation={dm} myId={alice.id} now={new Date(2026, 11, 7, 19, 30)} />
      </ul>,
    );
    expect(screen.queryByTestId('muted-mark')).toBeNull();
    expect(item.classList.contains('is-muted')).toBe(false);
  });

  it('shows no badge when everything is read', () => {
    render(
      <ul>
        <ConversationItem conversation={summary({ kind: 'self', participants: [alice] })} myId={alice.id} now={new Date()} />
      </ul>,
    );
    expect(screen.getByRole('listitem', { name: 'Notes to self' })).toBeTruthy();
    expect(screen.queryByTestId('unread-badge')).toBeNull();
  });
});

describe('ConversationItem of a name another row shares', () => {
  it("adds the other person's @username to a DM's name, and draws a group's avatar square", () => {
    const now = new Date(2026, 10, 12, 14, 30);
    render(
      <ul>
        <ConversationItem conversation={summary({ id: 1, kind: 'direct', participants: [bob, alice] })} myId={bob.id} now={now} nameShared />
        <ConversationItem conversation={summary({ id: 2, kind: 'group', title: 'Alice Liddell', participants: [bob, alice] })} myId={bob.id} now={now} nameShared />
        <ConversationItem conversation={summary({ id: 3, kind: 'direct', participants: [bob, alice] })} myId={bob.id} now={now} />
      </ul>,
    );
    const [dm, group, unshared] = screen.getAllByRole('listitem');
    expect(screen.getByRole('listitem', { name: 'Alice Liddell @alice' })).toBe(dm);
    expect(group?.querySelector('.conversation-name')?.textContent).toBe('Alice Liddell');
    expect(group?.querySelector('.avatar')?.classList.contains('avatar-group')).toBe(true);
    expect(unshared?.querySelector('.conversation-name')?.textContent).toBe('Alice Liddell');
  });
});

describe('ConversationItem link', () => {
  it('opens the conversation in place when clicked, and marks the open one as current', async () => {
    const dm = summary({ id: 9, kind: 'direct', participants: [alice, bob] });
    render(
      <ul>
        <ConversationItem conversation={dm} myId={alice.id} now={new Date()} current />
      </ul>,
    );
    const link = screen.getByRole('link', { name: /Bob Marley/ });
    expect(link.getAttribute('aria-current')).toBe('page');
    await userEvent.click(link);
    expect(window.location.pathname).toBe('/c/9');
    window.history.replaceState(null, '', '/');
  });
});

describe('ConversationItem presence', () => {
  it('shows a dot, and says "online", while the other person in a DM is online', () => {
    const dm = (online: boolean) => summary({ id: 4, kind: 'direct', participants: [alice, { ...bob, online }] });
    const { rerender } = render(
      <ul>
        <ConversationItem conversation={dm(false)} myId={alice.id} now={new Date()} />
      </ul>,
    );
    expect(screen.queryByTestId('online-dot')).toBeNull();
    rerender(
      <ul>
        <ConversationItem conversation={dm(true)} myId={alice.id} now={new Date()} />
      </ul>,
    );
    expect(screen.getByTestId('online-dot')).toBeTruthy();
    expect(screen.getByRole('link').textContent).toContain('online');
  });
});

describe('ConversationItem presence while reconnecting', () => {
  it('shows no one online while the connection is down, and the dot again once it is back', () => {
    // The socket's states as the tRPC client reports them, driven by hand.
    const states = behaviorSubject<ReturnType<TRPCWebSocketClient['connectionState']['get']>>({ type: 'state', state: 'pending', error: null });
    const report = (state: SocketState) => act(() => states.next({ type: 'state', state, error: null }));
    const dm = summary({ id: 4, kind: 'direct', participants: [alice, { ...bob, online: true }] });
    render(
      <ConnectionContext value={followConnection(states)}>
        <ul>
          <ConversationItem conversation={dm} myId={alice.id} now={new Date()} />
        </ul>
      </ConnectionContext>,
    );
    expect(screen.getByTestId('online-dot')).toBeTruthy();

    report('connecting');
    expect(screen.queryByTestId('online-dot')).toBeNull();
    expect(screen.getByRole('link').textContent).not.toContain('online');

    report('pending');
    expect(screen.getByTestId('online-dot')).toBeTruthy();
  });
});
