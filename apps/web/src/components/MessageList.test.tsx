import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { message, notice, participant } from '../test-fixtures.ts';
import type { PendingSend } from '../outbox.ts';
import type { Message } from '../trpc.ts';
import { MessageList } from './MessageList.tsx';
import { BODY_MAX } from './Composer.tsx';

const alice = participant(1, 'Alice Liddell');
const bob = participant(2, 'Bob Marley');
const carol = participant(3, 'Carol King');
const now = new Date(2026, 10, 21, 12, 0);

/** Who left, as users.byIds names them. */
const formerly = (...people: { id: number; username: string; displayName: string }[]) =>
  new Map(people.map(({ id, username, displayName }) => [id, { id, username, displayName }]));

function msg(seq: number, senderId: number, body: string, createdAt: Date, extra: Partial<Message> = {}): Message {
  return { ...message(senderId, body), id: seq, seq, clientId: `c${seq}`, createdAt: createdAt.toISOString(), ...extra };
}

type ListProps = Parameters<typeof MessageList>[0];
type Role = ListProps['conversation']['myRole'];

/** Alice's group, made yesterday at midnight, before any message of these tests. */
const groupOf = (myRole: Role, participants = [alice, bob, carol]): ListProps['conversation'] => ({
  kind: 'group',
  myRole,
  participants,
  createdBy: alice.id,
  createdAt: new Date(2026, 10, 20, 0, 0).toISOString(),
});
const dmOf = (participants = [alice, bob]): ListProps['conversation'] => ({ ...groupOf('member', participants), kind: 'direct' });

/** The list with these props over quiet defaults; `rerender` changes them as a live update would. */
function renderList(overrides: Partial<ListProps> = {}) {
  const handlers = {
    onLoadOlder: vi.fn(),
    onRetry: vi.fn(),
    onDiscard: vi.fn(),
    onEdit: vi.fn(() => Promise.resolve(null)),
    onDelete: vi.fn(() => Promise.resolve(null)),
  };
  const list = (more: Partial<ListProps>) => (
    <MessageList
      messages={[]}
      notices={[]}
      pending={[]}
      myId={alice.id}
      readers={[]}
      readUpToAtOpen={null}
      unreadAtOpen={null}
      conversation={groupOf('member', [alice, bob, carol])}
      formerMembers={new Map()}
      hasOlder={false}
      loadingOlder={false}
      olderError={null}
      now={now}
      {...handlers}
      {...overrides}
      {...more}
    />
  );
  const { rerender } = render(list({}));
  return { ...handlers, rerender: (more: Partial<ListProps>) => rerender(list(more)) };
}

describe('MessageList', () => {
  it('separates days, names senders in groups, and shows edits and tombstones', () => {
    renderList({
      messages: [
        msg(1, bob.id, 'yesterday evening', new Date(2026, 10, 20, 20, 0)),
        msg(2, bob.id, 'good morning', new Date(2026, 10, 21, 8, 0), { editedAt: new Date(2026, 10, 21, 8, 5).toISOString() }),
        msg(3, bob.id, '', new Date(2026, 10, 21, 8, 1), { deletedAt: new Date(2026, 10, 21, 8, 2).toISOString() }),
        msg(4, carol.id, 'hi all', new Date(2026, 10, 21, 9, 0)),
        msg(5, alice.id, 'hello', new Date(2026, 10, 21, 9, 1)),
      ],
    });
    expect(screen.getAllByTestId('day-separator').map((item) => item.textContent)).toEqual(['Yesterday', 'Today']);
    const items = screen.getAllByTestId('message');
    expect(within(items[0] as HTMLElement).getByText('Bob Marley')).toBeTruthy();
    // A new day names the sender again; the same sender's next message does not.
    expect(within(items[1] as HTMLElement).getByText('Bob Marley')).toBeTruthy();
    expect(within(items[1] as HTMLElement).getByText(/edited/)).toBeTruthy();
    // ...which screen readers still hear it from (a visually hidden name).
    expect(items[2]?.querySelector('.sender')).toBeNull();
    expect(within(items[2] as HTMLElement).getByText('Bob Marley').closest('.visually-hidden')).not.toBeNull();
    expect(within(items[2] as HTMLElement).getByText('Message deleted')).toBeTruthy();
    expect(within(items[3] as HTMLElement).getByText('Carol King')).toBeTruthy();
    // Mine: no name but "You" for screen readers, "Sent", and a way to edit and delete.
    expect(within(items[4] as HTMLElement).queryByText('Alice Liddell')).toBeNull();
    expect(within(items[4] as HTMLElement).getByText('You').closest('.visually-hidden')).not.toBeNull();
    expect(within(items[4] as HTMLElement).getByText(/Sent/)).toBeTruthy();
    expect(within(items[4] as HTMLElement).getByRole('button', { name: /Edit message/ })).toBeTruthy();
    expect(within(items[0] as HTMLElement).queryByRole('button', { name: /Edit/ })).toBeNull();
  });

  it('shows members coming and going and renames among the messages, each starting a new run of names', () => {
    renderList({
      conversation: groupOf('member', [alice, bob]),
      formerMembers: formerly(carol),
      messages: [msg(1, bob.id, 'hi', new Date(2026, 10, 20, 20, 0)), msg(4, bob.id, 'welcome', now), msg(6, bob.id, 'bye', now)],
      notices: [
        notice(2, 'participants.added', alice.id, { userIds: [carol.id] }, new Date(2026, 10, 20, 21, 0).toISOString()),
        notice(3, 'conversation.renamed', bob.id, { title: 'Trip' }, now.toISOString()),
        notice(5, 'participant.left', carol.id, { userId: carol.id, newOwnerId: null }, now.toISOString()),
      ],
    });
    const list = screen.getByRole('list', { name: 'Messages' });
    const lines = [...list.children].map((item) =>
      item.classList.contains('notice') ? `[${item.textContent}]` : (item.querySelector('.sender')?.textContent ?? item.textContent?.slice(0, 9)),
    );
    expect(lines).toEqual(['Yesterday', '[You created the group]', 'Bob Marley', '[You added Carol King]', 'Today', '[Bob Marley renamed the group to “Trip”]', 'Bob Marley', '[Carol King left]', 'Bob Marley']);
    // Only the history's true beginning starts with the creation; by someone else, named.
    cleanup();
    renderList({ conversation: { ...groupOf('member', [alice, bob]), createdBy: carol.id }, formerMembers: formerly(carol), messages: [msg(1, bob.id, 'hi', now)] });
    expect(screen.getAllByTestId('notice').map((item) => item.textContent)).toEqual(['Carol King created the group']);
    cleanup();
    renderList({ messages: [msg(51, bob.id, 'hi', now)], hasOlder: true });
    expect(screen.queryAllByTestId('notice')).toEqual([]);
  });

  it('names a sender who left with the name looked up for them, or "Former member" when there is none', () => {
    const dave = participant(4, 'Dave Gone');
    renderList({
      // Bob and Dave left; only Bob's name was found.
      conversation: groupOf('member', [alice, carol]),
      formerMembers: formerly(bob),
      messages: [msg(1, bob.id, 'bye all', now), msg(2, dave.id, 'me too', now), msg(3, carol.id, 'see you', now)],
    });
    const senders = screen.getAllByTestId('message').map((item) => item.querySelector('.sender')?.textContent);
    expect(senders).toEqual(['Bob Marley', 'Former member', 'Carol King']);
  });

  it('names a member and someone who left whose names would pass for each other with their @username', () => {
    const impostor = { ...participant(9, 'B\u043Eb Marley'), username: 'impbob' };
    renderList({
      conversation: groupOf('member', [alice, bob]),
      formerMembers: formerly(impostor),
      notices: [notice(4, 'participant.left', impostor.id, { userId: impostor.id })],
      messages: [msg(1, bob.id, 'hi all', now), msg(2, impostor.id, 'wire the money to 12345', now), msg(5, bob.id, 'that was not me', now)],
    });
    const senders = screen.getAllByTestId('message').map((item) => item.querySelector('.sender')?.textContent);
    expect(senders).toEqual(['Bob Marley (@bob)', 'B\u043Eb Marley (@impbob)', 'Bob Marley (@bob)']);
    // After "You created the group", the line saying they left.
    expect(screen.getAllByTestId('notice').at(-1)?.textContent).toBe('B\u043Eb Marley (@impbob) left');
  });

  it('says "Seen" under my newest message once the other person in a DM has read up to it', () => {
    const dm = dmOf([alice, bob]);
    const messages = [msg(1, alice.id, 'first', now), msg(2, bob.id, 'reply', now), msg(3, alice.id, 'latest', now)];
    const deliveries = () => screen.getAllByTestId('message').map((item) => item.querySelector('.delivery')?.textContent ?? '');

    renderList({ conversation: dm, messages, readers: [{ name: 'Bob Marley', readUpTo: 2 }] });
    // Only my newest message carries a delivery state; Bob read up to seq 2, not my seq 3.
    expect(deliveries()).toEqual(['', '', ' · Sent']);
    cleanup();
    renderList({ conversation: dm, messages, readers: [{ name: 'Bob Marley', readUpTo: 3 }] });
    expect(deliveries()).toEqual(['', '', ' · Seen']);
  });

  it('says how many have seen my newest message in a group, and when everyone has, naming them on hover', () => {
    const messages = [msg(1, bob.id, 'hi', now), msg(2, alice.id, 'hello both', now)];
    const deliveries = () => screen.getAllByTestId('message').map((item) => item.querySelector('.delivery')?.textContent ?? '');
    const tooltip = () => screen.getAllByTestId('message')[1]?.querySelector('.delivery')?.getAttribute('title') ?? null;
    for (const [[bobAt, carolAt], said, named] of [
      [[1, 1], ' · Sent', null],
      [[2, 1], ' · Seen by 1', 'Seen by Bob Marley'],
      [[2, 5], ' · Seen by everyone', 'Seen by Bob Marley, Carol King'],
    ] as const) {
      renderList({ messages, readers: [{ name: 'Bob Marley', readUpTo: bobAt }, { name: 'Carol King', readUpTo: carolAt }] });
      expect(deliveries()).toEqual(['', said]);
      expect(tooltip()).toBe(named);
      cleanup();
    }
    // Notes to self: nobody else, so it stays "Sent".
    renderList({ conversation: { ...groupOf('member', [alice]), kind: 'self' }, messages: [msg(1, alice.id, 'note', now)], readers: [] });
    expect(deliveries()).toEqual([' · Sent']);
  });

  it('shows sending and failed sends; Retry and Discard name the same clientId', async () => {
    const user = userEvent.setup();
    const pending: PendingSend[] = [
      { clientId: 'one', body: 'on its way', status: 'pending', error: null, resend: null },
      { clientId: 'two', body: 'did not make it', status: 'failed', error: 'Cannot reach Parley.', resend: 'when-online' },
      { clientId: 'three', body: 'refused', status: 'failed', error: 'That message is too long.', resend: null },
      { clientId: 'four', body: 'tried again', status: 'pending', error: 'Cannot reach Parley.', resend: null },
    ];
    const handlers = renderList({ pending });
    const [sending, failed, refused, again] = screen.getAllByTestId('pending-message') as [HTMLElement, HTMLElement, HTMLElement, HTMLElement];
    expect(within(sending).getByText('Sending…')).toBeTruthy();
    // Not sent and on its way again by itself: says so; its buttons stay where they were, doing nothing while it goes.
    expect(again.textContent).toContain('Not sent: Cannot reach Parley. Trying again…');
    for (const button of within(again).getAllByRole('button')) {
      expect(button.getAttribute('aria-disabled')).toBe('true');
      await user.click(button);
    }
    expect(handlers.onRetry).not.toHaveBeenCalled();
    expect(handlers.onDiscard).not.toHaveBeenCalled();
    expect(within(failed).getByRole('alert').textContent).toContain('Not sent: Cannot reach Parley.');
    // Says whether it goes again by itself; a refusal waits for the user.
    expect(within(failed).getByRole('alert').textContent).toContain('It goes by itself once Parley answers again.');
    expect(within(refused).getByRole('alert').textContent).not.toContain('by itself');
    await user.click(within(failed).getByRole('button', { name: 'Retry' }));
    expect(handlers.onRetry).toHaveBeenCalledExactlyOnceWith('two');
    await user.click(within(failed).getByRole('button', { name: 'Discard' }));
    expect(handlers.onDiscard).toHaveBeenCalledExactlyOnceWith('two');
    // Its buttons go with it: the keyboard stays in the history, not on the page's body.
    expect(document.activeElement).toBe(screen.getByLabelText('Message history'));
  });

  it('draws "New messages" above the first message by someone else after my read marker, once it is sure which that is', () => {
    const messages = [msg(1, bob.id, 'read', now), msg(2, alice.id, 'mine', now), msg(3, alice.id, 'mine too', now), msg(4, bob.id, 'first new', now), msg(5, bob.id, 'second new', now)];
    const before = (testId: string) => screen.getByTestId(testId).nextElementSibling?.textContent ?? '';
    renderList({ messages, readUpToAtOpen: 2 });
    expect(screen.getAllByTestId('unread-divider')).toHaveLength(1);
    expect(before('unread-divider')).toContain('first new');
    cleanup();
    // Older pages may hold earlier unread messages: no line until they are in.
    renderList({ messages: messages.slice(3), readUpToAtOpen: 2, hasOlder: true });
    expect(screen.queryByTestId('unread-divider')).toBeNull();
    cleanup();
    renderList({ messages, readUpToAtOpen: 5 });
    expect(screen.queryByTestId('unread-divider')).toBeNull();
    cleanup();
    // Someone else's notice among them comes first; my own does not count, nor a notice alone.
    const added = notice(4, 'participants.added', bob.id, { userIds: [carol.id] });
    const later = [msg(1, bob.id, 'read', now), msg(2, alice.id, 'mine', now), msg(5, bob.id, 'first new', now)];
    renderList({ messages: later, notices: [added], readUpToAtOpen: 2 });
    expect(before('unread-divider')).toBe('Bob Marley added Carol King');
    cleanup();
    renderList({ messages: later.slice(0, 2), notices: [added], readUpToAtOpen: 2 });
    expect(screen.queryByTestId('unread-divider')).toBeNull();
  });

  it('tells screen readers of each message someone else sends while it is open, not of the history or my own', () => {
    const at = new Date(2026, 10, 21, 11, 0);
    const opened = [msg(1, bob.id, 'Old news', at), msg(2, alice.id, 'Mine', at)];
    const { rerender } = renderList({ messages: opened });
    const log = screen.getByRole('log', { name: 'New messages as they arrive' });
    expect(log.textContent).toBe('');

    rerender({ messages: [...opened, msg(3, alice.id, 'Me again', at), msg(4, bob.id, 'announce me', at)] });
    expect([...log.querySelectorAll('p')].map((line) => line.textContent)).toEqual(['Bob Marley: announce me']);
    // An older page coming in above is not news.
    rerender({ messages: [msg(0, carol.id, 'Ancient', at), ...opened, msg(3, alice.id, 'Me again', at), msg(4, bob.id, 'announce me', at)] });
    expect([...log.querySelectorAll('p')].map((line) => line.textContent)).toEqual(['Bob Marley: announce me']);
  });

  it('opened at the oldest loaded, when the unread reach further back than the thread loads, counts only those from there down', () => {
    const at = new Date(2026, 10, 21, 11, 0);
    // 3,000 unread after seq 10; the newest 500 are loaded, the rest are above, not below.
    const loaded = Array.from({ length: 500 }, (_, index) => msg(2511 + index, bob.id, `Unread ${2511 + index}`, at));
    const { rerender } = renderList({ messages: loaded, readUpToAtOpen: 10, unreadAtOpen: 3000, hasOlder: true });
    expect(screen.getByRole('button', { name: '500 new messages ↓' })).toBeDefined();
    // The rest are above, and the top of the history says so.
    expect(screen.getByTestId('unread-above').textContent).toBe('2500 more new messages above');
    rerender({ messages: [...loaded, msg(3011, carol.id, 'One more', at)], readUpToAtOpen: 10, unreadAtOpen: 3000, hasOlder: true });
    expect(screen.getByRole('button', { name: '501 new messages ↓' })).toBeDefined();
    expect(screen.getByTestId('unread-above').textContent).toBe('2500 more new messages above');
    // An older page coming in above adds nothing below.
    const older = Array.from({ length: 50 }, (_, index) => msg(2461 + index, bob.id, `Unread ${2461 + index}`, at));
    rerender({ messages: [...older, ...loaded, msg(3011, carol.id, 'One more', at)], readUpToAtOpen: 10, unreadAtOpen: 3000, hasOlder: true });
    expect(screen.getByRole('button', { name: '501 new messages ↓' })).toBeDefined();
    expect(screen.getByTestId('unread-above').textContent).toBe('2450 more new messages above');
    // Once the pages above bring the first unread, the button counts all of them.
    const rest = Array.from({ length: 2450 }, (_, index) => msg(11 + index, bob.id, `Unread ${11 + index}`, at));
    rerender({ messages: [msg(10, alice.id, 'Read', at), ...rest, ...older, ...loaded, msg(3011, carol.id, 'One more', at)], readUpToAtOpen: 10, unreadAtOpen: 3000, hasOlder: true });
    expect(screen.queryByTestId('unread-above')).toBeNull();
    expect(screen.getByRole('button', { name: '3001 new messages ↓' })).toBeDefined();
  });

  it('opened at the oldest loaded, stays at the top that says so until the reader scrolls, loading nothing under them', () => {
    const at = new Date(2026, 10, 21, 11, 0);
    const loaded = Array.from({ length: 50 }, (_, index) => msg(2511 + index, bob.id, `Unread ${2511 + index}`, at));
    const handlers = renderList({ messages: loaded, readUpToAtOpen: 10, unreadAtOpen: 3000, hasOlder: true });
    const history = screen.getByLabelText('Message history');
    // The opening put the view at the top, which fires a scroll: no page loads on it.
    history.scrollTop = 0;
    fireEvent.scroll(history);
    expect(handlers.onLoadOlder).not.toHaveBeenCalled();
    // The reader scrolls down and back up: now it loads.
    history.scrollTop = 500;
    fireEvent.scroll(history);
    history.scrollTop = 0;
    fireEvent.scroll(history);
    expect(handlers.onLoadOlder).toHaveBeenCalledOnce();
  });

  it('offers "Jump to newest" once the reader is more than a view above the end, with nothing new, and takes them there', async () => {
    const user = userEvent.setup();
    renderList({ messages: Array.from({ length: 40 }, (_, index) => msg(index + 1, bob.id, `Old ${index + 1}`, now)) });
    // jsdom lays nothing out: a history of 4,000 px seen through a view of 500.
    const history = screen.getByLabelText('Message history');
    Object.defineProperty(history, 'scrollHeight', { configurable: true, value: 4_000 });
    Object.defineProperty(history, 'clientHeight', { configurable: true, value: 500 });
    const scrollTo = (top: number) => {
      history.scrollTop = top;
      fireEvent.scroll(history);
    };
    const jump = () => screen.queryByRole('button', { name: 'Jump to newest ↓' });
    scrollTo(3_000);
    expect(jump()).toBeNull();
    scrollTo(2_900);
    expect(jump()).not.toBeNull();
    await user.click(jump() ?? document.body);
    expect(history.scrollTop).toBe(4_000);
    expect(document.activeElement).toBe(history);
    scrollTo(3_500);
    expect(jump()).toBeNull();
  });

  it('offers older messages while the server has more', async () => {
    const user = userEvent.setup();
    const handlers = renderList({ messages: [msg(51, bob.id, 'page two', now)], hasOlder: true });
    await user.click(screen.getByRole('button', { name: 'Load older messages' }));
    expect(handlers.onLoadOlder).toHaveBeenCalled();
  });

  it('keeps the keyboard on "Load older messages" while it loads, and in the history once the oldest page is in', async () => {
    const user = userEvent.setup();
    const page = [msg(51, bob.id, 'page two', now)];
    const handlers = renderList({ messages: page, hasOlder: true });
    const button = screen.getByRole('button', { name: 'Load older messages' });
    button.focus();
    await user.keyboard('{Enter}');
    handlers.rerender({ messages: page, hasOlder: true, loadingOlder: true });
    expect(document.activeElement?.textContent).toBe('Loading…');
    // Pressed again while loading: nothing more is asked.
    await user.keyboard('{Enter}');
    expect(handlers.onLoadOlder).toHaveBeenCalledOnce();
    handlers.rerender({ messages: [msg(1, bob.id, 'page one', now), ...page], hasOlder: false, loadingOlder: false });
    expect(document.activeElement).toBe(screen.getByLabelText('Message history'));
  });

  it('loads older messages on a scroll near the top, but not when the keyboard on "Load older messages" scrolled it there', () => {
    const handlers = renderList({ messages: [msg(51, bob.id, 'page two', now)], hasOlder: true });
    const history = screen.getByLabelText('Message history');
    // Focusing the button scrolls it into view: tabbing past it must not load a page each time.
    screen.getByRole('button', { name: 'Load older messages' }).focus();
    fireEvent.scroll(history);
    expect(handlers.onLoadOlder).not.toHaveBeenCalled();
    history.focus();
    fireEvent.scroll(history);
    expect(handlers.onLoadOlder).toHaveBeenCalledOnce();
  });

  it('says why an edit past the limit cannot be saved', async () => {
    const user = userEvent.setup();
    const mine = msg(8, alice.id, 'short', now);
    renderList({ messages: [mine] });
    await user.click(screen.getByRole('button', { name: /Edit message/ }));
    const editor = screen.getByRole('textbox', { name: 'Edit message' });
    await user.clear(editor);
    await user.click(editor);
    await user.paste('x'.repeat(BODY_MAX + 3));
    expect(screen.getByTestId('editor-counter').textContent).toBe('3 over the limit');
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Save' }).disabled).toBe(true);
  });

  it('edits and deletes my message in place', async () => {
    const user = userEvent.setup();
    const mine = msg(7, alice.id, 'typo', now);
    const handlers = renderList({ messages: [mine] });
    await user.click(screen.getByRole('button', { name: /Edit message/ }));
    const editor = screen.getByRole('textbox', { name: 'Edit message' });
    await user.clear(editor);
    await user.type(editor, 'fixed{Enter}');
    expect(handlers.onEdit).toHaveBeenCalledExactlyOnceWith(mine, 'fixed');

    // Asked first, with the safe answer focused: Escape keeps it and goes back to Delete.
    const deleteAction = () => screen.getByRole('button', { name: /Delete message/ });
    await user.click(deleteAction());
    const question = () => screen.queryByRole('group', { name: 'Delete this message?' });
    expect(document.activeElement).toBe(within(question() ?? document.body).getByRole('button', { name: 'Keep' }));
    await user.keyboard('{Escape}');
    expect(question()).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(deleteAction()));
    expect(handlers.onDelete).not.toHaveBeenCalled();

    await user.click(deleteAction());
    await user.click(within(question() ?? document.body).getByRole('button', { name: 'Delete' }));
    expect(handlers.onDelete).toHaveBeenCalledExactlyOnceWith(mine);
    // Its actions gone with it, the keyboard stays on the message.
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('message')));
  });
});

describe('MessageList: the keyboard', () => {
  it('puts one message\'s actions in the Tab order, the newest of mine at first, and walks them with the arrow keys', async () => {
    const user = userEvent.setup();
    const at = (minute: number) => new Date(2026, 10, 21, 9, minute);
    const messages = [msg(1, alice.id, 'first', at(1)), msg(2, bob.id, 'his', at(2)), msg(3, alice.id, 'second', at(3)), msg(4, alice.id, 'third', at(4)), msg(5, bob.id, 'his last', at(5))];
    const list = renderList({ messages });
    const edit = (body: string) => screen.getByRole('button', { name: `Edit message: ${body}` });
    const deleteOf = (body: string) => screen.getByRole('button', { name: `Delete message: ${body}` });

    // Tab from the history goes to the newest of mine, then out: not through every message.
    screen.getByLabelText('Message history').focus();
    await user.tab();
    expect(document.activeElement).toBe(edit('third'));
    await user.tab();
    expect(document.activeElement).toBe(deleteOf('third'));
    await user.tab();
    expect(document.activeElement?.closest('.message-actions')).toBeNull();

    // Up skips Bob's (no actions for me) and keeps Delete on Delete; Home and End reach the ends.
    deleteOf('third').focus();
    await user.keyboard('{ArrowUp}');
    expect(document.activeElement).toBe(deleteOf('second'));
    await user.keyboard('{ArrowUp}{ArrowUp}');
    expect(document.activeElement).toBe(deleteOf('first'));
    await user.keyboard('{End}');
    expect(document.activeElement).toBe(deleteOf('third'));
    await user.keyboard('{Home}');
    expect(document.activeElement).toBe(deleteOf('first'));

    // The message the keyboard was last in is where Tab comes back to…
    screen.getByLabelText('Message history').focus();
    await user.tab();
    expect(document.activeElement).toBe(edit('first'));
    expect(edit('third').tabIndex).toBe(-1);
    // …until I send another: then it is that one, to fix a typo.
    list.rerender({ messages: [...messages, msg(6, alice.id, 'just sent', at(6))] });
    expect(edit('just sent').tabIndex).toBe(0);
    expect(edit('first').tabIndex).toBe(-1);
  });

  it("keeps Delete on Delete between anyone's messages and mine in a group I own", async () => {
    const user = userEvent.setup();
    const at = (minute: number) => new Date(2026, 10, 21, 9, minute);
    const messages = [msg(1, alice.id, 'mine', at(1)), msg(2, bob.id, 'his', at(2))];
    const list = renderList({ conversation: groupOf('owner'), messages });
    screen.getByRole('button', { name: 'Delete message: his' }).focus();
    await user.keyboard('{ArrowUp}');
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Delete message: mine' }));
    // Edit has no counterpart in his: the first action there.
    screen.getByRole('button', { name: 'Edit message: mine' }).focus();
    await user.keyboard('{ArrowDown}');
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Delete message: his' }));

    // The one I just sent stays the tab stop when his comes right after (I may delete his too).
    const sent = msg(3, alice.id, 'just sent', at(3));
    list.rerender({ conversation: groupOf('owner'), messages: [...messages, sent] });
    list.rerender({ conversation: groupOf('owner'), messages: [...messages, sent, msg(4, bob.id, 'right after', at(4))] });
    expect(screen.getByRole('button', { name: 'Edit message: just sent' }).tabIndex).toBe(0);
    expect(screen.getByRole('button', { name: 'Delete message: right after' }).tabIndex).toBe(-1);
  });
});

describe('MessageList: moderation', () => {
  it("lets a group's owner and admins delete anyone's message, and members only their own", async () => {
    const user = userEvent.setup();
    const messages = [msg(1, bob.id, 'something rude', now), msg(2, alice.id, 'mine', now)];
    const actionsOf = () =>
      screen.getAllByTestId('message').map((item) => within(item).queryAllByRole('button').map((button) => button.textContent));
    const handlers = renderList({ conversation: groupOf('admin', [alice, bob, carol]), messages });
    expect(actionsOf()).toEqual([['Delete'], ['Edit', 'Delete']]);
    await user.click(screen.getByRole('button', { name: 'Delete message: something rude' }));
    // The question says whose message it is.
    expect(screen.getByRole('group', { name: 'Delete this message?' }).textContent).toContain('Delete Bob Marley’s message for everyone?');
    await user.click(screen.getByRole('button', { name: 'Delete' }));
    expect(handlers.onDelete).toHaveBeenCalledExactlyOnceWith(messages[0]);
    cleanup();
    renderList({ conversation: groupOf('member', [alice, bob, carol]), messages });
    expect(actionsOf()).toEqual([[], ['Edit', 'Delete']]);
    cleanup();
    // In a DM nobody moderates: the other person's messages are theirs alone.
    renderList({ conversation: dmOf([alice, bob]), messages });
    expect(actionsOf()).toEqual([[], ['Edit', 'Delete']]);
  });

  it('takes the delete question away when the right to delete goes while it is asked, keeping the keyboard on the message', async () => {
    const user = userEvent.setup();
    const messages = [msg(1, bob.id, 'something rude', now)];
    const handlers = renderList({ conversation: groupOf('admin', [alice, bob, carol]), messages });
    await user.click(screen.getByRole('button', { name: 'Delete message: something rude' }));
    expect(screen.getByRole('group', { name: 'Delete this message?' })).toBeDefined();
    // The owner made me a member again.
    handlers.rerender({ conversation: groupOf('member', [alice, bob, carol]), messages });
    expect(screen.queryByRole('group', { name: 'Delete this message?' })).toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId('message'));
    // Made an admin again: the question stays closed.
    handlers.rerender({ conversation: groupOf('admin', [alice, bob, carol]), messages });
    expect(screen.queryByRole('group', { name: 'Delete this message?' })).toBeNull();
  });

  it('closes the editor and the delete question of a message deleted elsewhere, keeping the keyboard on the message', async () => {
    const user = userEvent.setup();
    const mine = msg(3, alice.id, 'being edited', now);
    const tombstone = { ...mine, body: '', deletedAt: now.toISOString() };
    const list = renderList({ messages: [mine] });
    await user.click(screen.getByRole('button', { name: /Edit message/ }));
    await user.type(screen.getByRole('textbox', { name: 'Edit message' }), ' more');
    list.rerender({ messages: [tombstone] });
    expect(screen.queryByRole('textbox', { name: 'Edit message' })).toBeNull();
    expect(screen.getByText('Message deleted')).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('message')));
    // What I had written is not thrown away unseen: it is shown, to copy, until dismissed.
    const lost = screen.getByRole('alert');
    expect(lost.textContent).toContain('This message was deleted while you were editing it.');
    expect(lost.querySelector('blockquote')?.textContent).toBe('being edited more');
    const writeText = vi.spyOn(navigator.clipboard, 'writeText');
    await user.click(within(lost).getByRole('button', { name: 'Copy text' }));
    expect(writeText).toHaveBeenCalledWith('being edited more');
    expect(within(lost).getByRole('button', { name: 'Copied' })).toBeTruthy();
    await user.click(within(lost).getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByRole('alert')).toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId('message'));

    cleanup();
    const again = renderList({ messages: [mine] });
    await user.click(screen.getByRole('button', { name: /Delete message/ }));
    again.rerender({ messages: [tombstone] });
    expect(screen.queryByRole('group', { name: 'Delete this message?' })).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull(); // nothing of mine was lost
  });
});

describe('MessageList: the message editor', () => {
  it('gives the keyboard back to the message\'s Edit after Escape, Cancel and a save', async () => {
    const user = userEvent.setup();
    const mine = msg(9, alice.id, 'draft', now);
    const handlers = renderList({ messages: [mine] });
    const editAction = () => screen.getByRole('button', { name: /Edit message/ });
    const editor = () => screen.queryByRole('textbox', { name: 'Edit message' });

    await user.click(editAction());
    expect(document.activeElement).toBe(editor());
    await user.keyboard('{Escape}');
    expect(editor()).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(editAction()));

    await user.click(editAction());
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(editor()).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(editAction()));

    await user.click(editAction());
    await user.type(editor() ?? document.body, ' saved{Enter}');
    expect(handlers.onEdit).toHaveBeenCalledExactlyOnceWith(mine, 'draft saved');
    await waitFor(() => expect(editor()).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(editAction()));
    expect(handlers.onDelete).not.toHaveBeenCalled();
  });
});
