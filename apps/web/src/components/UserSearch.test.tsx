import type { TRPCLink, TRPCWebSocketClient } from '@trpc/client';
import { behaviorSubject, observable } from '@trpc/server/observable';
import { act, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { followConnection, type SocketState } from '../connection.ts';
import { ConnectionContext } from '../hooks.ts';
import { renderWithServer } from '../test-render.tsx';
import type { AppRouter, RouterInputs } from '../trpc.ts';
import { UserSearch, type FoundUser } from './UserSearch.tsx';

type SearchInput = RouterInputs['users']['search'];

const person = (id: number, username: string): FoundUser => ({ id, username, displayName: username, online: false });

/** UserSearch against a server that answers every users.search with `answer`, recording what was asked. */
function renderSearch(answer: FoundUser[], props: { excludeIds?: number[]; notInConversationId?: number }, connection: ReturnType<typeof followConnection> | null = null) {
  const asked: SearchInput[] = [];
  const server: TRPCLink<AppRouter> = () => ({ op }) =>
    observable((observer) => {
      asked.push(op.input as SearchInput);
      observer.next({ result: { type: 'data', data: answer } });
      observer.complete();
    });
  const onPick = vi.fn();
  renderWithServer(
    <ConnectionContext value={connection}>
      <UserSearch label="Add people" action="Add" onPick={onPick} {...props} />
    </ConnectionContext>,
    server,
  );
  return { asked, onPick };
}

describe('UserSearch', () => {
  it('adding to a group, asks the server to leave its members out, and says when nobody else matched', async () => {
    const user = userEvent.setup();
    const { asked } = renderSearch([], { excludeIds: [1, 2], notInConversationId: 7 });
    await user.type(screen.getByLabelText('Add people'), 'e');

    // After "Searching…", the answer.
    expect(await screen.findByText('Nobody found for “e” who isn’t already in.')).toBeDefined();
    expect(asked).toEqual([{ query: 'e', limit: 10, notInConversationId: 7 }]);
  });

  it('adding to a group, still hides someone found who has been added since', async () => {
    const user = userEvent.setup();
    renderSearch([person(3, 'erin'), person(4, 'eve')], { excludeIds: [1, 3], notInConversationId: 7 });
    await user.type(screen.getByLabelText('Add people'), 'e');

    expect(await screen.findByRole('button', { name: 'Add eve (@eve)' })).toBeDefined();
    expect(screen.queryByRole('button', { name: 'Add erin (@erin)' })).toBeNull();
  });

  it('for a group not made yet, asks the server to leave the people chosen out, and still hides one chosen since the answer', async () => {
    const user = userEvent.setup();
    const { asked } = renderSearch([person(3, 'erin'), person(4, 'eve')], { excludeIds: [1, 3] });
    await user.type(screen.getByLabelText('Add people'), 'e');

    expect(await screen.findByRole('button', { name: 'Add eve (@eve)' })).toBeDefined();
    expect(screen.queryByRole('button', { name: 'Add erin (@erin)' })).toBeNull();
    expect(asked).toEqual([{ query: 'e', limit: 10, excludeIds: [1, 3] }]);
  });

  it('with nobody chosen yet, asks for the page as it is, and says when nobody matched', async () => {
    const user = userEvent.setup();
    const { asked } = renderSearch([], {});
    await user.type(screen.getByLabelText('Add people'), 'e');

    expect(await screen.findByText('Nobody found for “e”.')).toBeDefined();
    expect(asked).toEqual([{ query: 'e', limit: 10 }]);
  });

  it('walks the results with the arrow keys, from the box and back to it', async () => {
    const user = userEvent.setup();
    const { onPick } = renderSearch([person(3, 'erin'), person(4, 'eve')], {});
    const box = screen.getByLabelText('Add people');
    await user.type(box, 'e');
    const erin = await screen.findByRole('button', { name: 'Add erin (@erin)' });
    const eve = screen.getByRole('button', { name: 'Add eve (@eve)' });

    await user.keyboard('{ArrowDown}');
    expect(document.activeElement).toBe(erin);
    await user.keyboard('{ArrowDown}{ArrowDown}');
    expect(document.activeElement).toBe(eve); // the last stays
    await user.keyboard('{ArrowUp}{ArrowUp}');
    expect(document.activeElement).toBe(box);
    await user.keyboard('{ArrowDown}{ArrowDown}{Enter}');
    expect(onPick).toHaveBeenCalledWith(person(4, 'eve'));
    expect(document.activeElement).toBe(box);

    // A letter typed on a result goes on with the search, in the box.
    await user.type(box, 'r');
    (await screen.findByRole('button', { name: 'Add erin (@erin)' })).focus();
    await user.keyboard('i');
    expect(document.activeElement).toBe(box);
    expect(box).toHaveProperty('value', 'ri');
    // Backspace on a result takes back the last letter, in the box.
    (await screen.findByRole('button', { name: 'Add erin (@erin)' })).focus();
    await user.keyboard('{Backspace}');
    expect(document.activeElement).toBe(box);
    expect(box).toHaveProperty('value', 'r');
    await user.type(box, 'i');
    // Space presses the result, as on any button.
    (await screen.findByRole('button', { name: 'Add erin (@erin)' })).focus();
    await user.keyboard(' ');
    expect(onPick).toHaveBeenLastCalledWith(person(3, 'erin'));
  });

  it('shows who was online in the answer, and nobody while the connection is down', async () => {
    const user = userEvent.setup();
    // The socket's states as the tRPC client reports them, driven by hand.
    const states = behaviorSubject<ReturnType<TRPCWebSocketClient['connectionState']['get']>>({ type: 'state', state: 'pending', error: null });
    const report = (state: SocketState) => act(() => states.next({ type: 'state', state, error: null }));
    renderSearch([{ ...person(3, 'erin'), online: true }, person(4, 'eve')], {}, followConnection(states));
    await user.type(screen.getByLabelText('Add people'), 'e');

    const erin = await screen.findByRole('button', { name: 'Add erin (@erin)' });
    expect(screen.getAllByTestId('online-dot').map((dot) => erin.contains(dot))).toEqual([true]);
    report('connecting');
    expect(screen.queryByTestId('online-dot')).toBeNull();
    report('pending');
    expect(screen.getAllByTestId('online-dot')).toHaveLength(1);
  });
});
