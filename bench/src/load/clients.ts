/**
 * The load process's clients, one WebSocket each, behind one interface so every scenario
 * drives the three targets the same way:
 *  - raw `ws` frames for the ws baseline;
 *  - socket.io-client (WebSocket transport) for the Socket.IO baseline;
 *  - Parley's own wire protocol: tRPC v11 over a WebSocket (JSON-RPC-like frames, the token
 *    in the connectionParams message), exactly what @trpc/client's wsLink sends. It is
 *    spoken directly rather than through @trpc/client so that one load process can hold
 *    10,000 sockets and read 100,000 frames a second without being what is measured.
 */
import { io, type Socket } from 'socket.io-client';
import { WebSocket, type RawData } from 'ws';

/** A delivered chat message: its body, as the sender wrote it. */
export type OnMessage = (body: string) => void;

export interface LoadClient {
  /** Receive what is posted to `room` from now on (a room is a conversation id). */
  join(room: number): Promise<void>;
  /**
   * Post `body` to `room`. Resolves with null once the server acknowledged it, or with the
   * error it answered (never rejects); the baselines answer nothing, so null at once.
   */
  post(room: number, body: string, clientId: string): Promise<string | null>;
  /** Posts the server has not answered yet (Parley; the baselines do not answer posts). */
  pending(): number;
  close(): void;
}

/** Failures of posts (answers with an error), counted across clients. */
export const postFailures = { count: 0, last: '' };

/** A frame's text, whatever shape `ws` hands it over in. */
export function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
}

function opened(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
  });
}

export async function rawWsClient(url: string, onMessage: OnMessage): Promise<LoadClient> {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  await opened(socket);
  socket.on('error', () => undefined);
  socket.on('message', (data) => {
    const frame = JSON.parse(textOf(data)) as { body: string };
    onMessage(frame.body);
  });
  return {
    join: async (room) => socket.send(JSON.stringify({ join: String(room) })),
    post: async (room, body) => {
      socket.send(JSON.stringify({ room: String(room), body }));
      return null;
    },
    pending: () => 0,
    close: () => socket.terminate(),
  };
}

export async function socketIoClient(url: string, onMessage: OnMessage): Promise<LoadClient> {
  const socket: Socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 60_000 });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  socket.on('msg', (_room: string, body: string) => onMessage(body));
  return {
    join: (room) => new Promise<void>((resolve) => void socket.emit('join', String(room), () => resolve())),
    post: async (room, body) => {
      socket.emit('msg', String(room), body);
      return null;
    },
    pending: () => 0,
    close: () => void socket.disconnect(),
  };
}

interface TrpcResponse {
  id: number | null;
  result?: { type: 'started' | 'stopped' | 'data'; id?: string; data?: unknown };
  error?: { message: string; data?: { code?: string } };
}

/** One tRPC WebSocket, authenticated with `token` through connectionParams. */
export class TrpcSocket {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly streams = new Map<number, (data: unknown) => void>();
  private readonly socket: WebSocket;
  closed = false;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('error', () => undefined);
    socket.on('close', (code, reason) => {
      this.closed = true;
      const error = new Error(`socket closed (${code} ${String(reason)})`);
      for (const { reject } of this.pending.values()) reject(error);
      this.pending.clear();
    });
    socket.on('message', (raw) => this.receive(textOf(raw)));
  }

  static async open(url: string, token: string): Promise<TrpcSocket> {
    const socket = new WebSocket(`${url}/trpc?connectionParams=1`, { perMessageDeflate: false });
    const client = new TrpcSocket(socket);
    await opened(socket);
    socket.send(JSON.stringify({ method: 'connectionParams', data: { token } }));
    return client;
  }

  private receive(text: string): void {
    // The server's keep-alive: it drops a socket that does not answer.
    if (text === 'PING') return this.socket.send('PONG');
    if (text === 'PONG') return;
    const message = JSON.parse(text) as TrpcResponse;
    if (message.id === null) return;
    const stream = this.streams.get(message.id);
    if (stream && message.result?.type === 'data') return stream(message.result.data);
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    if (message.error) {
      this.pending.delete(message.id);
      this.streams.delete(message.id);
      waiting.reject(new Error(`${message.error.data?.code ?? 'ERROR'}: ${message.error.message}`));
    } else if (message.result?.type === 'started' || message.result?.type === 'data') {
      this.pending.delete(message.id);
      waiting.resolve(message.result.data);
    }
  }

  /** A query or mutation: resolves with its result. */
  call(method: 'query' | 'mutation', path: string, input: unknown): Promise<unknown> {
    const id = this.nextId++;
    const done = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.socket.send(JSON.stringify({ id, method, params: { path, input } }));
    return done;
  }

  /** Starts a subscription; resolves once the server says it started. Tracked data arrives as {id, data}. */
  async subscribe(path: string, input: unknown, onData: (data: unknown) => void): Promise<void> {
    const id = this.nextId++;
    const started = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.streams.set(id, onData);
    this.socket.send(JSON.stringify({ id, method: 'subscription', params: { path, input } }));
    await started;
  }

  close(): void {
    this.socket.terminate();
  }
}

/** What inbox.onEvent says about a conversation: its fresh summary, with its last message. */
interface InboxEvent {
  type: string;
  conversation?: { lastMessage: { body: string } | null };
}

/** An inbox event about a conversation of mine: the body of its last message (null: none). */
export type OnInbox = (lastMessageBody: string | null) => void;

interface MessageCreated {
  id: string;
  data: { type: string; message: { body: string } | null };
}

/**
 * A Parley user as the web app is with a conversation open: the inbox stream (every change
 * to my conversations, with unread counts) and the open conversation's event stream.
 * With `inbox: false`, only the conversation's stream.
 */
export async function parleyClient(url: string, token: string, onMessage: OnMessage, opts: { inbox: boolean; onInbox?: OnInbox }): Promise<LoadClient> {
  const socket = await TrpcSocket.open(url, token);
  let pending = 0;
  if (opts.inbox) {
    await socket.subscribe('inbox.onEvent', undefined, (data) => {
      const event = data as InboxEvent;
      if (event.type === 'conversation.changed' || event.type === 'conversation.added') opts.onInbox?.(event.conversation?.lastMessage?.body ?? null);
    });
  }
  return {
    join: (room) =>
      socket.subscribe('conversations.onEvent', { conversationId: room }, (tracked) => {
        const event = (tracked as MessageCreated).data;
        if (event.type === 'message.created' && event.message) onMessage(event.message.body);
      }),
    post: (room, body, clientId) => {
      pending++;
      return socket
        .call('mutation', 'messages.send', { conversationId: room, body, clientId })
        .then(
          () => null,
          (error: unknown) => {
            postFailures.count++;
            postFailures.last = error instanceof Error ? error.message : String(error);
            return postFailures.last;
          },
        )
        .finally(() => pending--);
    },
    pending: () => pending,
    close: () => socket.close(),
  };
}
