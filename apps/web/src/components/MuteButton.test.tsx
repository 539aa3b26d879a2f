import { TRPCClientError, type TRPCLink, type TRPCWebSocketClient } from '@trpc/client';
import { behaviorSubject, observable } from '@trpc/server/observable';
import { onlineManager } from '@tanstack/react-query';
import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useEffect } from 'react';
import { describe, expect, it } from 'vitest';
import { followConnection, type SocketState } from '../connection.ts';
import { ConnectionContext } from '../hooks.ts';
import { participant, summary } from '../test-fixtures.ts';
import { renderWithServer } from '../test-render.tsx';
import { trpc, type AppRouter, type ConversationDetail } from '../trpc.ts';
import { MuteButton } from './MuteButton.tsx';

const group = summary({ id: 7, kind: 'group', title: 'Tea', participants: [participant(1, 'Alice Liddell'), participant(2, 'Bob Marley')] });

/** The header's mute as ConversationPane gives it: from the conversation's cached details. */
function Header() {
  const detail = trpc.conversations.get.useQuery({ id: group.id });
  return detail.data ? <MuteButton conversation={detail.data} /> : null;
}

/** The header, with the test holding the tRPC utils (to change the cache as a live event would). */
function renderWithUtils(server: TRPCLink<AppRouter>) {
  const utils: { current: ReturnType<typeof trpc.useUtils> | null } = { current: null };
  function WithUtils() {
    const mine = trpc.useUtils();
    useEffect(() => {
      utils.current = mine;
    }, [mine]);
    return <Header />;
  }
  renderWithServer(<WithUtils />, server);
  return { utils };
}

/** A server with the conversation; `setMuted` answers mutes (or, unset, refuses them as unreachable). Records what is asked. */
function serverOf(setMuted?: (input: { muted: boolean; forSeconds?: number }) => { muted: boolean; mutedUntil: string | null }, detail: ConversationDetail = group) {
  const asked: { path: string; input: unknown }[] = [];
  const server: TRPCLink<AppRouter> = () => ({ op }) =>
    observable((observer) => {
      asked.push({ path: op.path, input: op.input });
      if (op.path === 'conversations.get') {
        observer.next({ result: { type: 'data', data: detail } });
        observer.complete();
      } else if (op.path === 'conversations.setMuted' && setMuted) {
        observer.next({ result: { type: 'data', data: setMuted(op.input as { muted: boolean; forSeconds?: number }) } });
        observer.complete();
      } else observer.error(TRPCClientError.from<AppRouter>(new Error('fetch failed')));
    });
  return { server, mutes: () => asked.filter((call) => call.path === 'conversations.setMuted').map((call) => call.input) };
}

describe('MuteButton', () => {
  it('asks how long, mutes the conversation on the server until unmuted and shows it muted, then unmutes it at a press', async () => {
    const user = userEvent.setup();
    const { server, mutes } = serverOf(({ muted }) => ({ muted, mutedUntil: null }));
    renderWithServer(<Header />, server);
    const mute = await screen.findByRole('button', { name: 'Mute conversation' });
    expect(mute.getAttribute('aria-pressed')).toBe('false');

    await user.click(mute);
    expect(mute.getAttribute('aria-expanded')).toBe('true');
    const choices = screen.getByRole('group', { name: 'Mute for how long' });
    expect(within(choices).getAllByRole('button').map((choice) => choice.textContent)).toEqual(['For 1 hour', 'For 8 hours', 'For 1 week', 'Until I unmute it']);
    // The keyboard goes to the first choice.
    expect(document.activeElement?.textContent).toBe('For 1 hour');
    await user.click(within(choices).getByRole('button', { name: 'Until I unmute it' }));
    await screen.findByRole('button', { name: 'Mute conversation', pressed: true });
    expect(screen.queryByRole('group', { name: 'Mute for how long' })).toBeNull();
    expect(document.activeElement).toBe(mute);
    expect(mute.title).toMatch(/^Muted until you unmute it: /);
    expect(mutes()).toEqual([{ id: 7, muted: true }]);

    await user.click(mute);
    await screen.findByRole('button', { name: 'Mute conversation', pressed: false });
    expect(mutes()).toEqual([
      { id: 7, muted: true },
      { id: 7, muted: false },
    ]);
  });

  it('mutes for a while, says until when, and reads as unmuted once that has passed', async () => {
    const user = userEvent.setup();
    const ends = new Date(Date.now() + 8 * 3600_000);
    const { server, mutes } = serverOf(() => ({ muted: true, mutedUntil: ends.toISOString() }));
    renderWithServer(<Header />, server);
    await user.click(await screen.findByRole('button', { name: 'Mute conversation' }));
    await user.click(screen.getByRole('button', { name: 'For 8 hours' }));
    const muted = await screen.findByRole('button', { name: 'Mute conversation', pressed: true });
    expect(mutes()).toEqual([{ id: 7, muted: true, forSeconds: 8 * 3600 }]);
    expect(muted.title).toMatch(/^Muted until (tomorrow )?\d{1,2}:\d\d [AP]M: /);
  });

  it('shows a mute that ran out while cached as none, and offers the choices again', async () => {
    const user = userEvent.setup();
    const { server } = serverOf(undefined, { ...group, muted: true, mutedUntil: new Date(Date.now() - 1000).toISOString() });
    renderWithServer(<Header />, server);
    const mute = await screen.findByRole('button', { name: 'Mute conversation', pressed: false });
    await user.click(mute);
    expect(screen.getByRole('group', { name: 'Mute for how long' })).toBeTruthy();
  });

  it('puts the choices away when the conversation is muted elsewhere meanwhile, and unmutes on time when that mute runs out', async () => {
    const user = userEvent.setup();
    const { server } = serverOf();
    const { utils } = renderWithUtils(server);
    await user.click(await screen.findByRole('button', { name: 'Mute conversation' }));
    expect(screen.getByRole('group', { name: 'Mute for how long' })).toBeTruthy();
    // My phone mutes it for a moment; the news reaches this tab's cache.
    const mutedUntil = new Date(Date.now() + 800).toISOString();
    act(() => utils.current?.conversations.get.setData({ id: group.id }, (detail) => detail && { ...detail, muted: true, mutedUntil }));
    await screen.findByRole('button', { name: 'Mute conversation', pressed: true });
    expect(screen.queryByRole('group', { name: 'Mute for how long' })).toBeNull();
    // At its end (within the second findByRole waits, where a 30-s tick would miss it), unmuted again.
    await screen.findByRole('button', { name: 'Mute conversation', pressed: false });
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(mutedUntil));
  });

  it('puts the choices away at Escape, with the keyboard back on the bell, and sends nothing', async () => {
    const user = userEvent.setup();
    const { server, mutes } = serverOf(({ muted }) => ({ muted, mutedUntil: null }));
    renderWithServer(<Header />, server);
    const mute = await screen.findByRole('button', { name: 'Mute conversation' });
    await user.click(mute);
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('group', { name: 'Mute for how long' })).toBeNull();
    expect(mute.getAttribute('aria-expanded')).toBe('false');
    expect(document.activeElement).toBe(mute);
    // And at a press elsewhere.
    await user.click(mute);
    await user.click(document.body);
    expect(screen.queryByRole('group', { name: 'Mute for how long' })).toBeNull();
    expect(mutes()).toEqual([]);
  });

  it('says at once that nothing changed while the browser is offline, rather than hold the choice for later', async () => {
    const user = userEvent.setup();
    const { server, mutes } = serverOf();
    renderWithServer(<Header />, server);
    const bell = await screen.findByRole('button', { name: 'Mute conversation' });
    onlineManager.setOnline(false);
    try {
      await user.click(bell);
      await user.click(screen.getByRole('button', { name: 'For 1 hour' }));
      await screen.findByText(/^Not changed: Cannot reach Parley/);
      expect(mutes()).toEqual([{ id: 7, muted: true, forSeconds: 3600 }]);
      // Not held: the bell takes the next choice at once.
      expect(screen.getByRole('button', { name: 'Mute conversation' }).getAttribute('aria-disabled')).toBeNull();
    } finally {
      onlineManager.setOnline(true);
    }
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
    await user.click(screen.getByRole('button', { name: 'For 1 hour' }));

    await screen.findByText(/^Not changed: Cannot reach Parley/);
    expect(mutes()).toEqual([{ id: 7, muted: true, forSeconds: 3600 }]);
    expect(screen.getByRole('button', { name: 'Mute conversation' }).getAttribute('aria-pressed')).toBe('false');
    report('connecting');
    expect(screen.queryByText(/^Not changed/)).not.toBeNull();
    report('pending');
    expect(screen.queryByText(/^Not changed/)).toBeNull();
  });
});
