import type { TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboxContext, SessionContext } from '../hooks.ts';
import { tellOtherTabsUnsent } from '../other-tabs.ts';
import { Outbox } from '../outbox.ts';
import { createSession } from '../session.ts';
import { message } from '../test-fixtures.ts';
import { renderWithServer } from '../test-render.tsx';
import type { AppRouter, Message } from '../trpc.ts';
import { SIGNED_OUT_EVERYWHERE, SignOut } from './SignOut.tsx';

const ME = 1;
/** A token as the server makes them; only its `sub` is read here. */
const TOKEN = `x.${btoa(JSON.stringify({ sub: String(ME) }))}.x`;

afterEach(() => sessionStorage.clear());

/**
 * Sign out for a signed-in user whose sends wait for the test to answer them; the server
 * answers auth.logout at once and the test sees each call it gets.
 */
function renderSignOut() {
  const session = createSession(null);
  session.signIn(TOKEN);
  const sends: ((stored: Message) => void)[] = [];
  const outbox = new Outbox(() => new Promise<Message>((resolve) => sends.push(resolve)), sessionStorage, ME);
  outbox.start();
  const asked: string[] = [];
  const server: TRPCLink<AppRouter> = () => ({ op }) =>
    observable((observer) => {
      asked.push(op.path);
      observer.next({ result: { type: 'data', data: { loggedOut: true } } });
      observer.complete();
    });
  renderWithServer(
    <SessionContext value={session}>
      <OutboxContext value={outbox}>
        <SignOut />
      </OutboxContext>
    </SessionContext>,
    server,
  );
  const signedOut = () => session.getState().token === null;
  return { outbox, sends, asked, signedOut, notice: () => session.getState().notice };
}

describe('SignOut', () => {
  it('with nothing unsent, signs out at once', async () => {
    const user = userEvent.setup();
    const { asked, signedOut, notice } = renderSignOut();
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    await expect.poll(signedOut).toBe(true);
    expect(asked).toEqual(['auth.logout']);
    // auth.logout ends every session of mine: the sign-in page says so.
    expect(notice()).toBe(SIGNED_OUT_EVERYWHERE);
  });

  it('with messages still on their way, asks first: Cancel keeps them and me signed in', async () => {
    const user = userEvent.setup();
    const { outbox, asked, signedOut } = renderSignOut();
    act(() => {
      outbox.send(7, 'Meet at 6');
      outbox.send(7, 'or 7');
    });

    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    const question = screen.getByRole('group', { name: 'Sign out anyway?' });
    expect(question.textContent).toMatch(/^2 unsent messages will be lost\. Sign out anyway\?/);
    // The safe answer has the keyboard, as every question of the app.
    expect(document.activeElement).toBe(within(question).getByRole('button', { name: 'Cancel' }));

    await user.click(within(question).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('group')).toBeNull();
    await expect.poll(() => document.activeElement).toBe(screen.getByRole('button', { name: 'Sign out' }));
    expect(asked).toEqual([]);
    expect(signedOut()).toBe(false);
    expect(outbox.pendingIn(7)).toHaveLength(2);

    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    await user.click(within(screen.getByRole('group', { name: 'Sign out anyway?' })).getByRole('button', { name: 'Sign out' }));
    await expect.poll(signedOut).toBe(true);
    expect(asked).toEqual(['auth.logout']);
  });

  it('stops asking once everything it asked about has gone', async () => {
    const user = userEvent.setup();
    const { outbox, sends, signedOut } = renderSignOut();
    act(() => outbox.send(7, 'Meet at 6'));
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(screen.getByRole('group', { name: 'Sign out anyway?' }).textContent).toMatch(/^1 unsent message will be lost\./);

    // The send's answer: stored, nothing left to lose.
    await act(async () => sends[0]?.({ ...message(ME, 'Meet at 6'), conversationId: 7 }));
    expect(screen.queryByRole('group')).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Sign out' }));
    expect(signedOut()).toBe(false);
  });

  it('counts the unsent messages of my other tabs, which signing out here throws away too', async () => {
    const user = userEvent.setup();
    const { asked, signedOut } = renderSignOut();
    // Another tab of mine (its outbox, and its answers to the ask), its sends waiting for the server.
    const sends: ((stored: Message) => void)[] = [];
    const otherTab = new Outbox(() => new Promise<Message>((resolve) => sends.push(resolve)), null, ME);
    otherTab.start();
    const stopTelling = tellOtherTabsUnsent(otherTab, 'other-tab');
    try {
      otherTab.send(7, 'Meet at 6');
      otherTab.send(7, 'or 7');

      await user.click(screen.getByRole('button', { name: 'Sign out' }));
      const question = await screen.findByRole('group', { name: 'Sign out anyway?' });
      expect(question.textContent).toMatch(/^2 unsent messages will be lost \(in your other tabs\)\. Sign out anyway\?/);
      expect(asked).toEqual([]);

      // The other tab's messages go meanwhile: the question follows, then goes.
      await act(async () => sends[0]?.({ ...message(ME, 'Meet at 6'), conversationId: 7 }));
      await expect.poll(() => question.textContent).toMatch(/^1 unsent message will be lost \(in your other tabs\)\./);
      await act(async () => sends[1]?.({ ...message(ME, 'or 7'), id: 2, seq: 2, clientId: 'c2', conversationId: 7 }));
      await expect.poll(() => screen.queryByRole('group')).toBeNull();
      expect(signedOut()).toBe(false);
    } finally {
      stopTelling();
      otherTab.dispose();
    }
  });
});
