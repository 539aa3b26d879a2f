import { TRPCClientError, type TRPCLink, type TRPCWebSocketClient } from '@trpc/client';
import { behaviorSubject, observable } from '@trpc/server/observable';
import { act, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { followConnection, type SocketState } from '../connection.ts';
import { ConnectionContext } from '../hooks.ts';
import { participant, summary } from '../test-fixtures.ts';
import { renderWithServer } from '../test-render.tsx';
import { trpc, type AppRouter } from '../trpc.ts';
import { MuteButton } from './MuteButton.tsx';

const group = summary({ id: 7, kind: 'group', title: 'Tea', participants: [participant(1, 'Alice Liddell'), participant(2, 'Bob Marley')] });

/** The header's mute as ConversationPane gives it: from the conversation's cached details. */
function Header() {
  const detail = trpc.conversations.get.useQuery({ id: group.id });
  return detail.data ? <MuteButton conversation={detail.data} /> : null;
}

/** A server with the conversation; `setMuted` answers mutes (or, unset, refuses them as unreachable). Records what is asked. */
function serverOf(setMuted?: (muted: boolean) => { muted: boolean }) {
  const asked: { path: string; input: unknown }[] = [];
  const server: TRPCLink<AppRouter> = () => ({ op }) =>
    observable((observer) => {
      asked.push({ path: op.path, input: op.input });
      if (op.path === 'conversations.get') {
        observer.next({ result: { type: 'data', data: group } });
        observer.complete();
      } else if (op.path === 'conversations.setMuted' && setMuted) {
        const { muted } = op.input as { muted: boolean };
        observer.next({ result: { type: 'data', data: setMuted(muted) } });
        observer.complete();
      } else observer.error(TRPCClientError.from<AppRouter>(new Error('fetch failed')));
    });
  return { server, mutes: () => asked.filter((call) => call.path === 'conversations.setMuted').map((call) => call.input) };
}

describe('MuteButton', () => {
  it('mutes the conversation on the server and shows it muted, then unmutes it', async () => {
    const user = userEvent.setup();
    const { server, mutes } = serverOf((muted) => ({ muted }));
    renderWithServer(<Header />, server);
    const mute = await screen.findByRole('button', { name: 'Mute conversation' });
    expect(mute.getAttribute('aria-pressed')).toBe('false');

    await user.click(mute);
    await screen.findByRole('button', { name: 'Mute conversation', pressed: true });
    expect(mutes()).toEqual([{ id: 7, muted: true }]);

    await user.click(mute);
    await screen.findByRole('button', { name: 'Mute conversation', pressed: false });
    expect(mutes()).toEqual([
      { id: 7, muted: true },
      { id: 7, muted: false },
    ]);
  });

  it('says why when the server cannot be reached, stays as it was, and drops the note once the connection is back', async () => {
    const user = userEvent.setup();
    const { server, mutes } = serverOf();
    // The socket's states as the tRPC client reports them, driven by hand (connected at first).
    const states = behaviorSubject<ReturnType<TRPCWebSocketClient['connectionState']['get']>>({ type: 'state', state: 'pending', error: null });
    const report = (state: SocketState) => act(() => states.next({ type: 'state', state, error: null }));
    renderWithServer(
      <ConnectionContext value={followConnection(states)}>
        <Header />
      </ConnectionContext>,
      server,
    );
    await user.click(await screen.findByRole('button', { name: 'Mute conversation' }));

    await screen.findByText(/^Not changed: Cannot reach Parley/);
    expect(mutes()).toEqual([{ id: 7, muted: true }]);
    expect(screen.getByRole('button', { name: 'Mute conversation' }).getAttribute('aria-pressed')).toBe('false');
    report('connecting');
    expect(screen.queryByText(/^Not changed/)).not.toBeNull();
    report('pending');
    expect(screen.queryByText(/^Not changed/)).toBeNull();
  });
});
