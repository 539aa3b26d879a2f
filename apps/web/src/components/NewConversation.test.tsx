import type { TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { descriptionOf, renderWithServer } from '../test-render.tsx';
import type { AppRouter } from '../trpc.ts';
import { NewConversation } from './NewConversation.tsx';

describe('NewConversation group form', () => {
  it('links the name field to why it is invalid, and lets go once a name is typed', async () => {
    const user = userEvent.setup();
    // Every search finds Eve; nothing else is asked in this test.
    const server: TRPCLink<AppRouter> = () => () =>
      observable((observer) => {
        observer.next({ result: { type: 'data', data: [{ id: 5, username: 'eve', displayName: 'Eve', online: false }] } });
        observer.complete();
      });
    renderWithServer(<NewConversation onClose={vi.fn()} />, server);
    await user.click(screen.getByRole('radio', { name: 'Group' }));
    await user.type(screen.getByLabelText('Add people'), 'e');
    await user.click(await screen.findByRole('button', { name: 'Add Eve' }));
    await user.click(screen.getByRole('button', { name: 'Create group with 2 people' }));

    const name = screen.getByLabelText('Group name');
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(descriptionOf(name)).toBe('Give the group a name.');

    await user.type(name, 'Tea');
    expect(name.getAttribute('aria-invalid')).toBeNull();
    expect(name.getAttribute('aria-describedby')).toBeNull();
  });
});
