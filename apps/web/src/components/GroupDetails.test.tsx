import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { participant, summary } from '../test-fixtures.ts';
import { descriptionOf, renderWithServer } from '../test-render.tsx';
import type { AppRouter } from '../trpc.ts';
import { GroupDetails } from './GroupDetails.tsx';

const alice = { ...participant(1, 'Alice Liddell'), role: 'owner' as const };
const bob = participant(2, 'Bob Marley');

describe('GroupDetails rename', () => {
  it("links the name field to the server's reason it is invalid, and announces it", async () => {
    const user = userEvent.setup();
    // A server that refuses every rename with a field error on the title.
    const server: TRPCLink<AppRouter> = () => () =>
      observable((observer) => {
        observer.error(
          TRPCClientError.from<AppRouter>({
            error: {
              code: -32600,
              message: 'Invalid input',
              data: {
                code: 'BAD_REQUEST',
                httpStatus: 400,
                path: 'conversations.update',
                zodError: { formErrors: [], fieldErrors: { title: ['A title cannot contain NUL characters'] } },
                retryAfterMs: null,
              },
            },
          }),
        );
      });
    const group = summary({ id: 7, kind: 'group', title: 'Tea', myRole: 'owner', participants: [alice, bob] });
    const me = { id: alice.id, username: alice.username, displayName: alice.displayName, role: 'user' as const };
    renderWithServer(<GroupDetails conversation={group} me={me} onClose={vi.fn()} />, server);
    const name = screen.getByLabelText('Group name');
    await user.type(name, ' time');
    await user.click(screen.getByRole('button', { name: 'Rename' }));

    await screen.findByText('A title cannot contain NUL characters');
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(descriptionOf(name)).toBe('A title cannot contain NUL characters');
    // Announced as it appears: the keyboard is still on Rename, not on the field.
    expect(screen.getByRole('alert').textContent).toBe('A title cannot contain NUL characters');
  });
  it('says a blank name cannot be saved, as the field\'s description, without asking the server', async () => {
    const user = userEvent.setup();
    // Records what is asked, and never answers.
    const asked: string[] = [];
    const server: TRPCLink<AppRouter> = () => ({ op }) => {
      asked.push(op.path);
      return observable(() => undefined);
    };
    const group = summary({ id: 7, kind: 'group', title: 'Tea', myRole: 'owner', participants: [alice, bob] });
    const me = { id: alice.id, username: alice.username, displayName: alice.displayName, role: 'user' as const };
    renderWithServer(<GroupDetails conversation={group} me={me} onClose={vi.fn()} />, server);
    const name = screen.getByLabelText('Group name');
    expect(name.getAttribute('aria-describedby')).toBeNull();

    await user.clear(name);
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(descriptionOf(name)).toBe('Give the group a name.');
    // Spaces are no name either; Enter (like the disabled Rename) sends nothing.
    await user.type(name, '   {Enter}');
    expect(descriptionOf(name)).toBe('Give the group a name.');
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Rename' }).disabled).toBe(true);
    expect(asked).toEqual([]);

    await user.type(name, 'Coffee');
    expect(name.getAttribute('aria-invalid')).toBeNull();
    expect(name.getAttribute('aria-describedby')).toBeNull();
  });
});
