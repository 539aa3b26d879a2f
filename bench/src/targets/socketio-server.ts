/**
 * Baseline 2, what most teams would pick: a Socket.IO chat server with in-memory rooms,
 * WebSocket transport only (no long-polling), no database, no authentication.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { serveControl } from './control.ts';

const http = createServer();
const io = new Server(http, { transports: ['websocket'], serveClient: false, maxHttpBufferSize: 64 * 1024 });

io.on('connection', (socket) => {
  // Acknowledged, so the client knows it is in the room before anything is posted.
  socket.on('join', (room: unknown, ack: unknown) => {
    if (typeof room === 'string') void socket.join(room);
    if (typeof ack === 'function') (ack as () => void)();
  });
  // The sender is in the room too: it gets its own message, as in the other targets.
  socket.on('msg', (room: unknown, body: unknown) => {
    if (typeof room === 'string' && typeof body === 'string') io.to(room).emit('msg', room, body);
  });
});

http.listen(0, '127.0.0.1', () => {
  const { port } = http.address() as AddressInfo;
  serveControl(`http://127.0.0.1:${port}`, async () => {
    io.disconnectSockets(true);
    await new Promise<void>((resolve) => void io.close(() => resolve()));
  });
});
