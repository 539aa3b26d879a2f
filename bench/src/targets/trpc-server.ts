/**
 * Baseline 3, the ceiling of the stack the brief fixes: Parley's wire traffic over tRPC v11
 * subscriptions and its ws adapter as tRPC's documentation sets them up (applyWSSHandler,
 * async generators), on Parley's own socket class (frames of one turn in one write), with
 * in-memory rooms: no database, no authentication, no services.
 *
 * It answers what the tRPC layer alone costs per delivery. The procedures and frames are
 * Parley's, so the load process drives it with Parley's client: messages.send posts;
 * conversations.onEvent({ conversationId }) yields each message as a tracked event; and,
 * as in Parley, every member's inbox.onEvent yields the conversation's change with the
 * message. Two frames per member per message, like Parley.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { initTRPC, tracked } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import { z } from 'zod';
import { CorkedWebSocket } from '../../../apps/server/src/corked-socket.ts';
import { serveControl } from './control.ts';

const MAX_PAYLOAD_BYTES = 64 * 1024;

interface Message {
  id: number;
  conversationId: number;
  seq: number;
  body: string;
  clientId: string;
  createdAt: string;
}
type ConversationEvent = { type: 'message.created'; seq: number; message: Message };
type InboxEvent = { type: 'conversation.changed'; conversation: { id: number; lastSeq: number; lastMessage: Message } };

/** A stream's buffer: what was pushed since its generator last took (the tRPC docs' pattern, without an EventEmitter per stream). */
class Queue<T> {
  items: T[] = [];
  wake: (() => void) | null = null;
  push(item: T): void {
    this.items.push(item);
    this.wake?.();
  }
}

async function* drain<T>(queue: Queue<T>, signal: AbortSignal | undefined, stop: () => void): AsyncGenerator<T> {
  const aborted = new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
  try {
    while (!signal?.aborted) {
      if (queue.items.length === 0) {
        await Promise.race([new Promise<void>((resolve) => (queue.wake = resolve)), aborted]);
        queue.wake = null;
        continue;
      }
      const items = queue.items;
      queue.items = [];
      for (const item of items) yield item;
    }
  } finally {
    stop();
  }
}

/** Per connection: its inbox stream (if open) and the rooms it follows. */
interface Connection {
  inbox: Queue<InboxEvent> | null;
}
const rooms = new Map<number, { seq: number; streams: Map<Queue<ConversationEvent>, Connection> }>();
const roomOf = (id: number) => {
  let room = rooms.get(id);
  if (!room) rooms.set(id, (room = { seq: 0, streams: new Map() }));
  return room;
};

const t = initTRPC.context<{ connection: Connection }>().create();
const router = t.router({
  conversations: t.router({
    onEvent: t.procedure.input(z.object({ conversationId: z.number().int().positive() })).subscription(async function* ({ ctx, input, signal }) {
      const { streams } = roomOf(input.conversationId);
      const queue = new Queue<ConversationEvent>();
      streams.set(queue, ctx.connection);
      for await (const event of drain(queue, signal, () => streams.delete(queue))) yield tracked(String(event.seq), event);
    }),
  }),
  inbox: t.router({
    onEvent: t.procedure.subscription(({ ctx, signal }) => {
      const queue = new Queue<InboxEvent>();
      ctx.connection.inbox = queue;
      return drain(queue, signal, () => (ctx.connection.inbox = null));
    }),
  }),
  messages: t.router({
    send: t.procedure
      .input(z.object({ conversationId: z.number().int().positive(), body: z.string().max(4_000), clientId: z.string().max(64) }))
      .mutation(({ input }) => {
        const room = roomOf(input.conversationId);
        room.seq += 1;
        const message: Message = { id: room.seq, conversationId: input.conversationId, seq: room.seq, body: input.body, clientId: input.clientId, createdAt: new Date().toISOString() };
        const changed: InboxEvent = { type: 'conversation.changed', conversation: { id: input.conversationId, lastSeq: room.seq, lastMessage: message } };
        for (const [stream, connection] of room.streams) {
          stream.push({ type: 'message.created', seq: room.seq, message });
          connection.inbox?.push(changed);
        }
        return message;
      }),
  }),
});

const http = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer<typeof CorkedWebSocket>({ server: http, path: '/trpc', maxPayload: MAX_PAYLOAD_BYTES, WebSocket: CorkedWebSocket });
// Before the adapter's own listener: its first frames are corked too.
wss.on('connection', (socket, req) => (socket.transport = req.socket));
const handler = applyWSSHandler({ wss, router, createContext: () => ({ connection: { inbox: null } }) });

http.listen(0, '127.0.0.1', () => {
  const { port } = http.address() as AddressInfo;
  serveControl(`ws://127.0.0.1:${port}`, async () => {
    handler.broadcastReconnectNotification();
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
});
