import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import { act, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { TRPCWebSocketClient } from '@trpc/client';
import { behaviorSubject } from '@trpc/server/observable';
import { useEffect } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { followConnection, type SocketState } from './connection.ts';
import { ConnectionContext, OutboxContext } from './hooks.ts';
import { Outbox } from './outbox.ts';
import { message, summary } from './test-fixtures.ts';
import { renderWithServer } from './test-render.tsx';
import { OPENING_PAGE_SIZE, OPENING_PAGES_MAX, PAGE_SIZE, useThread } from './thread.ts';
import type { AppRouter, ConversationDetail, HistoryPage, RouterInputs } from './trpc.ts';

const ME = 1;
const BOB = 2;
const conversation: ConversationDetail = summary({ id: 7 });

type ListInput = RouterInputs['messages']['list'];

/** A server holding bob's messages 1…`newest` in conversation 7, where I have read up to `readUpTo`; the live stream stays quiet. */
function serverOf(newest: number, readUpTo: number) {
  const asked: ListInput[] = [];
  // While down, every call fails as on a dead network.
  const network = { down: false };
  const pageOf = ({ before = newest + 1, limit = PAGE_SIZE }: ListInput): HistoryPage => {
    const first = Math.max(1, before - limit);
    const items = Array.from({ length: before - first }, (_, index) => ({ ...message(BOB, `Message ${first + index}`), id: first + index, seq: first + index }));
    return { items, hasMore: first > 1, notices: [], lastReadSeq: readUpTo, unreadCount: before > newest ? newest - readUpTo : null };
  };
  const server: TRPCLink<AppRouter> = () => ({ op }) =>
    observable((observer) => {
      if (op.path !== 'messages.list') return;
      const input = op.input as ListInput;
      asked.push(input);
      if (network.down) {
        observer.error(new TRPCClientError('Failed to fetch'));
        return;
      }
      observer.next({ result: { type: 'data', data: pageOf(input) } });
      observer.complete();
    });
  return { server, asked, network };
}

/** What the thread said on each render: its status and its oldest message. */
function Probe({ seen }: { seen: string[] }) {
  const thread = useThread(conversation, ME);
  const said = `${thread.status} from ${thread.state.messages[0]?.seq ?? 'none'}`;
  useEffect(() => {
    seen.push(said);
  });
  return <p>{said}</p>;
}

function openThread(newest: number, readUpTo: number) {
  const { server, asked } = serverOf(newest, readUpTo);
  const seen: string[] = [];
  renderWithServer(
    <OutboxContext value={new Outbox(vi.fn(), null, ME)}>
      <Probe seen={seen} />
    </OutboxContext>,
    server,
  );
  return { seen, before: () => asked.map((input) => input.before) };
}

describe('useThread, opening', () => {
  it('loads older pages back to my first unread message before it is ready, and no further', async () => {
    // 120 unread after seq 80: the newest page holds 151–200, one more (of 100) reaches back to 51.
    const { before, seen } = openThread(200, 80);
    expect(await screen.findByText('ready from 51')).toBeDefined();
    expect(before()).toEqual([undefined, 151]);
    // Shown once, with all of them in: never ready with only some.
    expect(new Set(seen)).toEqual(new Set(['loading from none', 'ready from 51']));
  });

  it('stops at OPENING_PAGES_MAX pages when the unread reach further back', async () => {
    const { before } = openThread(5_000, 2_000);
    const oldest = 5_000 - PAGE_SIZE - (OPENING_PAGES_MAX - 1) * OPENING_PAGE_SIZE + 1;
    expect(await screen.findByText(`ready from ${oldest}`)).toBeDefined();
    expect(before()).toHaveLength(OPENING_PAGES_MAX);
  });

  it('loads only the newest page when the unread are in it, or there are none', async () => {
    const { before } = openThread(200, 170);
    expect(await screen.findByText('ready from 151')).toBeDefined();
    expect(before()).toEqual([undefined]);
  });
});

/** The thread's oldest message and its older pages' error, with "Load older" as a button. */
function OlderProbe() {
  const thread = useThread(conversation, ME);
  return (
    <>
      <p>{`${thread.status} from ${thread.state.messages[0]?.seq ?? 'none'}`}</p>
      {thread.olderError && <p role="alert">{thread.olderError}</p>}
      <button type="button" onClick={() => void thread.loadOlder()}>
        Load older
      </button>
    </>
  );
}

describe('useThread, older pages', () => {
  it('loads an older page that failed while the connection was down by itself once it is back', async () => {
    const user = userEvent.setup();
    const { server, network } = serverOf(200, 200);
    const states = behaviorSubject<ReturnType<TRPCWebSocketClient['connectionState']['get']>>({ type: 'state', state: 'pending', error: null });
    const report = (state: SocketState) => act(() => states.next({ type: 'state', state, error: null }));
    renderWithServer(
      <ConnectionContext value={followConnection(states)}>
        <OutboxContext value={new Outbox(vi.fn(), null, ME)}>
          <OlderProbe />
        </OutboxContext>
      </ConnectionContext>,
      server,
    );
    expect(await screen.findByText('ready from 151')).toBeDefined();

    network.down = true;
    report('connecting');
    await user.click(screen.getByRole('button', { name: 'Load older' }));
    expect(await screen.findByRole('alert')).toBeDefined();

    network.down = false;
    report('pending');
    expect(await screen.findByText('ready from 101')).toBeDefined();
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
