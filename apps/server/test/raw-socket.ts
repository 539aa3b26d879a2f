/**
 * A bare WebSocket speaking tRPC's wire format, for what the tRPC client hides: malformed
 * frames, odd shapes, thousands of requests on one socket.
 */
import { WebSocket, type RawData } from 'ws';

export type WireMessage = Record<string, unknown>;

export interface RawSocket {
  ws: WebSocket;
  /** Every JSON message the server sent, in order (keep-alive PING/PONG left out). */
  messages: WireMessage[];
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first message matching `accept` (already received or next). */
  receive(accept: (message: WireMessage) => boolean): Promise<WireMessage>;
  /** Resolves once `count` messages match `accept`, with them. */
  receiveAll(accept: (message: WireMessage) => boolean, count: number): Promise<WireMessage[]>;
}

export function openRaw(url: string, opts: { origin?: string; answerPings?: boolean } = {}): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.origin ? { origin: opts.origin } : {});
    const messages: WireMessage[] = [];
    const waiters = new Set<() => void>();
    ws.on('message', (data) => {
      const text = textOf(data);
      if (text === 'PONG') return;
      if (text === 'PING') {
        if (opts.answerPings !== false) ws.send('PONG');
        return;
      }
      messages.push(JSON.parse(text) as WireMessage);
      for (const wake of waiters) wake();
    });
    const closed = new Promise<{ code: number; reason: string }>((resolveClose) =>
      ws.on('close', (code, reason) => {
        resolveClose({ code, reason: reason.toString() });
        for (const wake of waiters) wake();
      }),
    );
    const receiveAll = (accept: (message: WireMessage) => boolean, count: number) =>
      new Promise<WireMessage[]>((resolveMessages, rejectMessages) => {
        const found: WireMessage[] = [];
        let seen = 0;
        // Looks only at what arrived since the last look: thousands of answers stay cheap.
        const check = () => {
          for (; seen < messages.length && found.length < count; seen++) {
            const message = messages[seen];
            if (message && accept(message)) found.push(message);
          }
          if (found.length >= count) {
            waiters.delete(check);
            resolveMessages(found);
          } else if (ws.readyState === WebSocket.CLOSED) {
            waiters.delete(check);
            rejectMessages(new Error(`socket closed after ${found.length} of ${count} awaited messages`));
          }
        };
        waiters.add(check);
        check();
      });
    const receive = async (accept: (message: WireMessage) => boolean) => {
      const [first] = await receiveAll(accept, 1);
      if (!first) throw new Error('no message');
      return first;
    };
    ws.once('open', () => resolve({ ws, messages, closed, receive, receiveAll }));
    ws.once('error', reject);
  });
}

/**
 * A raw socket signed in as the owner of `token` (the first frame carries the
 * connectionParams, as the tRPC client sends them); resolves once auth.me has answered.
 */
export async function openSignedIn(wsUrl: string, token: string): Promise<RawSocket> {
  const socket = await openRaw(`${wsUrl}?connectionParams=1`);
  socket.ws.send(JSON.stringify({ method: 'connectionParams', data: { token } }));
  socket.ws.send(JSON.stringify({ id: 'me', method: 'query', params: { path: 'auth.me' } }));
  await socket.receive((message) => message.id === 'me');
  return socket;
}

export function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data).toString('utf8');
}

/** The tRPC error code of a wire message, or undefined when it is not an error. */
export function errorCodeOf(message: WireMessage | undefined): string | undefined {
  const error = message?.error;
  if (typeof error !== 'object' || error === null || !('data' in error)) return undefined;
  const data = error.data;
  return typeof data === 'object' && data !== null && 'code' in data && typeof data.code === 'string' ? data.code : undefined;
}
