/**
 * Fault 5: one client misbehaves with everything it has: it stops reading while replays
 * pile up for it (a slow consumer), then floods the server with WebSocket handshakes and
 * idle TCP connections. The server's memory stays bounded, the slow consumer is cut off,
 * and a well-behaved client in the meantime gets every message, in order.
 */
import { connect, type Socket } from 'node:net';
import { createScratchDatabase } from '@parley/db';
import { describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { connectSocket } from '../harness.ts';
import { newClientId, openRawClient, range, sendMany, seqsOf, WAIT, watchConversation } from '../realtime/helpers.ts';
import { databaseUrl, ServerProcess } from './load.ts';

const HANDSHAKES = 2_000;
/** Sends and handshakes allowed ×4 (RATE_LIMIT_SCALE): 120 sends and 240 handshakes per address per 10 s. */
const SCALE = 4;
const HANDSHAKES_PER_WINDOW = 60 * SCALE;
const IDLE_TCP = 500;
const MIB = 1024 * 1024;

/** Opens a WebSocket and reports how the server answered: opened, or the HTTP status that refused it. */
function handshake(wsUrl: string): Promise<number | 'opened' | 'error'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl);
    ws.once('open', () => {
      resolve('opened');
      ws.terminate();
    });
    ws.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', () => resolve('error'));
  });
}

describe('a client that stops reading and floods the server with connections', () => {
  it('is cut off and refused while memory stays bounded and others are served', { timeout: 90_000 }, async () => {
    const scratch = await createScratchDatabase('sqlite');
    const idle: Socket[] = [];
    try {
      await using server = await ServerProcess.start(databaseUrl(scratch.target), { RATE_LIMIT_SCALE: String(SCALE) });
      const alice = await server.signUp('abuse_alice');
      const mallory = await server.signUp('abuse_mallory');
      const aliceHttp = server.http(alice.token);
      const group = await aliceHttp.conversations.create.mutate({ kind: 'group', title: 'Firehose', participantIds: [mallory.id] });
      // ~4 KiB per message: 60 of them, replayed 40 times to a client that does not read.
      const longBody = 'x'.repeat(3_990);
      for (const batch of range(1, 6)) {
        await Promise.all(range(1, 10).map(() => aliceHttp.messages.send.mutate({ conversationId: group.id, body: `${batch} ${longBody}`, clientId: newClientId() })));
      }
      await using aliceTab = connectSocket(server.wsUrl, alice.token);
      using aliceEvents = watchConversation(aliceTab.api, group.id, '0');
      await vi.waitFor(() => expect(aliceEvents.items).toHaveLength(60), WAIT);
      const rssBefore = server.rssBytes();

      // The slow consumer: subscribes to 40 replays and stops reading.
      const stalled = await openRawClient(server.wsUrl, mallory.token);
      stalled.ws.pause();
      for (let id = 1; id <= 40; id++) {
        stalled.send({ id, method: 'subscription', params: { path: 'conversations.onEvent', input: { conversationId: group.id, lastEventId: '0' } } });
      }
      // The flood: handshakes as fast as the client can make them, and TCP connections that say nothing.
      const flood = Promise.all(range(1, HANDSHAKES).map(() => handshake(server.wsUrl)));
      for (let n = 0; n < IDLE_TCP; n++) {
        const socket = connect(server.port, '127.0.0.1');
        socket.on('error', () => undefined);
        idle.push(socket);
      }
      // Meanwhile Alice's conversation goes on; her tab must get all of it, in order.
      const sending = sendMany(aliceHttp, group.id, 40, 'meanwhile', 4);
      const answers = await flood;
      await sending;
      await vi.waitFor(() => expect(seqsOf(aliceEvents.items)).toEqual(range(1, 100)), WAIT);
      const rssPeak = server.rssBytes();
      stalled.ws.resume();
      const stalledClosedWith = await stalled.closed;

      const counts = { opened: 0, refused429: 0, other: 0 };
      for (const answer of answers) {
        if (answer === 'opened') counts.opened += 1;
        else if (answer === 429) counts.refused429 += 1;
        else counts.other += 1;
      }
      // The flood got at most a window's worth of sockets (two, if it straddled a window's end); the rest were told to come back later.
      expect(counts.opened).toBeLessThanOrEqual(2 * HANDSHAKES_PER_WINDOW);
      expect(counts.refused429).toBeGreaterThanOrEqual(HANDSHAKES - 2 * HANDSHAKES_PER_WINDOW);
      // The slow consumer was cut off (no close frame: its output was abandoned).
      expect(stalledClosedWith).toBe(1006);
      expect(aliceEvents.errors).toEqual([]);
      // Bounded memory: the 4 MiB output bound per socket, not 40 replays × 240 KiB, plus the flood's bookkeeping.
      const growth = rssPeak - rssBefore;
      expect(growth).toBeLessThan(128 * MIB);
      // And the server still serves a newcomer.
      await expect(server.http(alice.token).auth.me.query()).resolves.toMatchObject({ id: alice.id });
      expect(server.running).toBe(true);
      console.info(
        `abuse: ${HANDSHAKES} handshakes → ${counts.opened} opened, ${counts.refused429} refused with 429, ${counts.other} other; ` +
          `${IDLE_TCP} idle TCP connections; slow consumer closed with ${stalledClosedWith}; ` +
          `RSS ${Math.round(rssBefore / MIB)} → ${Math.round(rssPeak / MIB)} MiB; alice got all 100 messages in order`,
      );
    } finally {
      for (const socket of idle) socket.destroy();
      await scratch.drop();
    }
  });
});
