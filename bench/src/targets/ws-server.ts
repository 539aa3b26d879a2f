/**
 * Baseline 1, the practical ceiling: a raw `ws` broadcast server. No tRPC, no database, no
 * authentication. A client joins rooms with {"join": room}; {"room", "body"} is sent as is
 * to every socket in the room, the sender included (as Parley's own stream echoes it).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { serveControl } from './control.ts';

const MAX_PAYLOAD_BYTES = 64 * 1024;
const rooms = new Map<string, Set<WebSocket>>();
const http = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server: http, maxPayload: MAX_PAYLOAD_BYTES });

wss.on('connection', (socket) => {
  const joined: string[] = [];
  socket.on('message', (data) => {
    let message: unknown;
    try {
      // With the default binaryType every frame arrives as one Buffer.
      message = JSON.parse((data as Buffer).toString('utf8'));
    } catch {
      return socket.close(1003, 'not JSON');
    }
    if (typeof message !== 'object' || message === null) return;
    if ('join' in message && typeof message.join === 'string') {
      const members = rooms.get(message.join) ?? new Set();
      rooms.set(message.join, members.add(socket));
      joined.push(message.join);
    } else if ('room' in message && typeof message.room === 'string' && 'body' in message) {
      // Serialised once, written to each member.
      const frame = JSON.stringify({ room: message.room, body: message.body });
      for (const member of rooms.get(message.room) ?? []) member.send(frame);
    }
  });
  socket.on('close', () => {
    for (const room of joined) rooms.get(room)?.delete(socket);
  });
  socket.on('error', () => undefined);
});

http.listen(0, '127.0.0.1', () => {
  const { port } = http.address() as AddressInfo;
  serveControl(`ws://127.0.0.1:${port}`, async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
});
