import { act, render, screen } from '@testing-library/react';
import type { TRPCWebSocketClient } from '@trpc/client';
import { behaviorSubject } from '@trpc/server/observable';
import { describe, expect, it } from 'vitest';
import { followConnection, type SocketState } from '../connection.ts';
import { ConnectionContext } from '../hooks.ts';
import { participant, summary } from '../test-fixtures.ts';
import { ConversationSubtitle } from './ConversationPane.tsx';

const alice = participant(1, 'Alice Liddell');
const bob = participant(2, 'Bob Marley');
const carol = participant(3, 'Carol Danvers');

/** The header's line under the name, following a socket whose states are driven by hand (connected at first). */
function renderSubtitle(conversation: Parameters<typeof ConversationSubtitle>[0]['conversation']) {
  const states = behaviorSubject<ReturnType<TRPCWebSocketClient['connectionState']['get']>>({ type: 'state', state: 'pending', error: null });
  const { container } = render(
    <ConnectionContext value={followConnection(states)}>
      <ConversationSubtitle conversation={conversation} myId={alice.id} />
    </ConnectionContext>,
  );
  const report = (state: SocketState) => act(() => states.next({ type: 'state', state, error: null }));
  return { report, line: () => container.textContent };
}

describe('ConversationSubtitle', () => {
  it("says whose a DM is and whether they are online, and not the latter while the connection is down", () => {
    const { report, line } = renderSubtitle(summary({ kind: 'direct', participants: [alice, { ...bob, online: true }] }));
    expect(line()).toBe(`@${bob.username} · Online`);

    report('connecting');
    expect(line()).toBe(`@${bob.username}`);
    expect(screen.queryByText(/Online|Offline/)).toBeNull();

    report('pending');
    expect(line()).toBe(`@${bob.username} · Online`);
  });

  it("keeps a group's member count while reconnecting", () => {
    const { report, line } = renderSubtitle(summary({ kind: 'group', participants: [alice, bob, carol] }));
    report('connecting');
    expect(line()).toBe('3 members');
  });
});
