import type { TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { descriptionOf, renderWithServer } from '../test-render.tsx';
import type { AppRouter } from '../trpc.ts';
import { NewConversation } from './NewConversation.tsx';

/** A server whose every search finds Eve; nothing else is asked in these tests. */
const findsEve: TRPCLink<AppRouter> = () => () =>
  observable((observer) => {
    observer.next({ result: { type: 'data', data: [{ id: 5, username: 'eve', displayName: 'Eve', online: false }] } });
    observer.complete();
  });

describe('NewConversation group form', () => {
  it('links the name field to why it is invalid, and lets go once a name is typed', async () => {
    const user = userEvent.setup();
    renderWithServer(<NewConversation onClose={vi.fn()} />, findsEve);
    await user.click(screen.getByRole('radio', { name: 'Group' }));
    await user.type(screen.getByLabelText('Add people'), 'e');
    await user.click(await screen.findByRole('button', { name: 'Add Eve (@eve)' }));
    await user.click(screen.getByRole('button', { name: 'Create group with 2 people' }));

    const name = screen.getByLabelText('Group name');
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(descriptionOf(name)).toBe('Give the group a name.');

    await user.type(name, 'Tea');
    expect(name.getAttribute('aria-invalid')).toBeNull();
    expect(name.getAttribute('aria-describedby')).toBeNull();
  });

  it('keeps the draft when Escape clears a search, and closes only on the next Escape', async () => {
    const user = userEvent.setup();
    const onClose = vi.fn();
    renderWithServer(<NewConversation onClose={onClose} />, findsEve);
    await user.click(screen.getByRole('radio', { name: 'Group' }));
    await user.type(screen.getByLabelText('Group name'), 'Book club');
    const search = screen.getByLabelText('Add people');
    await user.type(search, 'e');
    await user.click(await screen.findByRole('button', { name: 'Add Eve (@eve)' }));
    await user.type(search, 'adm');

    await user.keyboard('{Escape}');
    expect(onClose).not.toHaveBeenCalled();
    expect(screen.getByLabelText<HTMLInputElement>('Group name').value).toBe('Book club');
    expect(screen.getByRole('button', { name: 'Create group with 2 people' })).toBeTruthy();

    // The browser clears the box on that Escape (jsdom does not); the next Escape closes the panel.
    await user.clear(search);
    await user.keyboard('{Escape}');
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('keeps a long name whole, emoji included, for the server to judge (no silent cut)', async () => {
    const user = userEvent.setup();
    renderWithServer(<NewConversation onClose={vi.fn()} />, findsEve);
    await user.click(screen.getByRole('radio', { name: 'Group' }));
    const name = screen.getByLabelText<HTMLInputElement>('Group name');
    // 80 emoji are 80 characters to the server (its limit is 100) and 160 UTF-16 units to a maxLength.
    await user.click(name);
    await user.paste('🎉'.repeat(80));
    expect([...name.value]).toHaveLength(80);
  });

  it('puts the keyboard in the group name when Group is chosen, the form\'s first field', async () => {
    const user = userEvent.setup();
    renderWithServer(<NewConversation onClose={vi.fn()} />, () => () => observable(() => undefined));
    await user.click(screen.getByRole('radio', { name: 'Group' }));
    expect(document.activeElement).toBe(screen.getByLabelText('Group name'));
  });

  it('keeps the keyboard on the kinds while the arrow keys choose among them', async () => {
    const user = userEvent.setup();
    renderWithServer(<NewConversation onClose={vi.fn()} />, () => () => observable(() => undefined));
    screen.getByRole('radio', { name: 'Direct message' }).focus();
    await user.keyboard('{ArrowRight}');
    expect(document.activeElement).toBe(screen.getByRole('radio', { name: 'Group' }));
    await user.keyboard('{ArrowRight}');
    expect(document.activeElement).toBe(screen.getByRole('radio', { name: 'Notes to self' }));
    expect(screen.getByRole('radio', { name: 'Notes to self' })).toHaveProperty('checked', true);
    await user.keyboard('{ArrowRight}'); // round to the first, whose search box stays put
    expect(document.activeElement).toBe(screen.getByRole('radio', { name: 'Direct message' }));
    // Tab goes on to the chosen kind's first field.
    await user.tab();
    expect(document.activeElement).toBe(screen.getByLabelText('Who do you want to message?'));
  });
});
