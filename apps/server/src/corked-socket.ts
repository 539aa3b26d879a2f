/**
 * A server-side WebSocket whose frames of one turn of the event loop leave in one write.
 * A fan-out sends a frame to each subscriber of a message, and several per socket when
 * messages come close together: one write system call per frame was a quarter of the
 * server's CPU. Corked, a socket's frames of one turn leave together at the turn's end
 * (setImmediate), not later. The bench's bare tRPC baseline uses it too, so that baseline
 * measures tRPC itself and not a transport Parley does not use.
 */
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';

export type BufferLike = Parameters<WebSocket['send']>[0];
export type SendOptions = { mask?: boolean; binary?: boolean; compress?: boolean; fin?: boolean };

export class CorkedWebSocket extends WebSocket {
  /** The TCP socket under this WebSocket (set by whoever accepts the upgrade); null: frames leave one by one. */
  transport: Duplex | null = null;

  override send(data: BufferLike, cb?: (err?: Error) => void): void;
  override send(data: BufferLike, options: SendOptions, cb?: (err?: Error) => void): void;
  override send(data: BufferLike, optionsOrCb?: SendOptions | ((err?: Error) => void), cb?: (err?: Error) => void): void {
    if (this.transport && !corked.has(this)) gatherWrites(this, this.transport);
    if (typeof optionsOrCb === 'object') super.send(data, optionsOrCb, cb);
    else super.send(data, optionsOrCb);
    // A large batch (a backfill) leaves now: corked bytes would count against a reading limit.
    if (this.transport && this.transport.writableLength >= CORKED_BYTES_MAX) releaseWrites(this);
  }
}

/** Sockets corked in this turn of the event loop. */
const corked = new Map<CorkedWebSocket, Duplex>();

function gatherWrites(socket: CorkedWebSocket, transport: Duplex): void {
  if (corked.size === 0) setImmediate(uncorkAll);
  transport.cork();
  corked.set(socket, transport);
}

/** Bytes a socket gathers before they leave anyway. */
const CORKED_BYTES_MAX = 64 * 1024;

function releaseWrites(socket: CorkedWebSocket): void {
  const transport = corked.get(socket);
  if (!transport) return;
  corked.delete(socket);
  transport.uncork();
}

function uncorkAll(): void {
  // Emptied first: a send made while uncorking starts the next batch.
  const batch = [...corked.values()];
  corked.clear();
  for (const transport of batch) transport.uncork();
}
