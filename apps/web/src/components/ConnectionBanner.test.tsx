import { act, render, screen } from '@testing-library/react';
import type { TRPCWebSocketClient } from '@trpc/client';
import { behaviorSubject } from '@trpc/server/observable';
import { describe, expect, it } from 'vitest';
import { followConnection, type SocketState } from '../connection.ts';
import { ConnectionContext } from '../hooks.ts';
import { ConnectionBanner } from './ConnectionBanner.tsx';

type ConnectionState = ReturnType<TRPCWebSocketClient['connectionState']['get']>;

/** A banner following the same state subject the tRPC WebSocket client exposes, driven by hand. */
function renderBanner() {
  const states = behaviorSubject<ConnectionState>({ type: 'state', state: 'idle', error: null });
  render(
    <ConnectionContext value={followConnection(states)}>
      <ConnectionBanner />
    </ConnectionContext>,
  );
  return (state: SocketState) => act(() => states.next({ type: 'state', state, error: null }));
}

const banner = () => screen.queryByText('Reconnecting…');

describe('ConnectionBanner', () => {
  it('says "Reconnecting…" in a status region while a socket that was up is down, and goes when it is back', () => {
    const report = renderBanner();
    const region = screen.getByRole('status');

    // The first connection, however slow, is page loading, not an outage.
    report('connecting');
    expect(banner()).toBeNull();
    report('pending');
    expect(banner()).toBeNull();

    report('connecting');
    expect(banner()?.closest('[role="status"]')).toBe(region);
    // Failed retries keep it up.
    report('connecting');
    expect(banner()).not.toBeNull();

    report('pending');
    expect(banner()).toBeNull();
    // The live region stays in place, so the next outage is announced too.
    expect(screen.getByRole('status')).toBe(region);
  });

  it('shows nothing when the socket is closed on purpose', () => {
    const report = renderBanner();
    report('pending');
    report('idle');
    expect(banner()).toBeNull();
  });

  it('shows nothing when signed out (no socket at all)', () => {
    render(<ConnectionBanner />);
    expect(banner()).toBeNull();
  });
});
