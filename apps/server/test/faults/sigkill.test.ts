/**
 * A crash under load: the real entry point (src/main.ts) as its own process, killed with
 * SIGKILL while 20 clients send, then started again on the same port and database. Clients
 * retry what was not acknowledged with the same clientId and resume their streams from
 * their lastEventId. Nothing acknowledged may be lost, nothing may be stored twice, and every
 * client must end up seeing exactly what the database holds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessageView } from '@parley/api';
import { createScratchDatabase, MessageSchema, openDatabase, testDialects } from '@parley/db';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { AppRouter } from '@parley/api';
import { describe, expect, it, vi } from 'vitest';
import { connectSocket, PASSWORD, TEST_SECRET, type SocketClient } from '../harness.ts';
import { listeningUrl, runMain, type Running } from '../process.ts';
import { newClientId, range, WAIT, watchConversation, type Recorder, type TrackedEvent } from './helpers.ts';

const USERS = 5;
/** Four tabs per user: 20 clients sending at once. */
const TABS_PER_USER = 4;
/** 24 per user: under the send limit (30 per 10 s), which main.ts does not let a test raise. */
const MESSAGES_PER_CLIENT = 6;
const TOTAL = USERS * TABS_PER_USER * MESSAGES_PER_CLIENT;
/** How long a client keeps retrying one message before the test gives up on it. */
const SEND_DEADLINE_MS = 30_000;

/** A port free right now, so the restarted server can come back on the same one. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function stop(running: Running, signal: NodeJS.Signals): Promise<void> {
  if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill(signal);
  await running.exited;
}

// Both databases at once: most of the time is spent waiting on processes and sockets.
describe.each(testDialects())('a server killed while 20 clients send (%s)', { concurrent: true }, (dialect) => {
  it('keeps every acknowledged message exactly once, and every client’s view equals the database', { timeout: 60_000 }, async () => {
    const scratch = await createScratchDatabase(dialect);
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-restart-'));
    const port = await freePort();
    const env = {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      // listeningUrl() reads the "listening" line, logged at info.
      LOG_LEVEL: 'info',
      JWT_SECRET: TEST_SECRET,
      DATA_DIR: dataDir,
      DATABASE_URL: dialect === 'sqlite' ? `sqlite:${scratch.target.location}` : scratch.target.location,
    };
    let running = runMain(env);
    const clients: SocketClient[] = [];
    const streams: Recorder<TrackedEvent>[] = [];
    try {
      const url = await listeningUrl(running);
      const http = (token?: string) =>
        createTRPCClient<AppRouter>({
          links: [httpBatchLink({ url: `${url}/trpc`, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })],
        });
      const users = await Promise.all(
        range(1, USERS).map(async (n) => {
          const { token, user } = await http().auth.register.mutate({ username: `sender${n}`, password: PASSWORD });
          return { id: user.id, token };
        }),
      );
      const [owner, ...others] = users;
      if (!owner) throw new Error('no users');
      const group = await http(owner.token).conversations.create.mutate({
        kind: 'group',
        title: 'Crash test',
        participantIds: others.map((user) => user.id),
      });

      const wsUrl = `ws://127.0.0.1:${port}/trpc`;
      const senders = users.flatMap((user) => range(1, TABS_PER_USER).map(() => user));
      for (const user of senders) {
        const client = connectSocket(wsUrl, user.token, { retryDelayMs: 100 });
        clients.push(client);
        streams.push(watchConversation(client.api, group.id, '0'));
      }
      await vi.waitFor(() => expect(streams.filter((stream) => stream.started > 0)).toHaveLength(senders.length), WAIT);

      const acknowledged = new Map<string, MessageView>();
      const failures: unknown[] = [];
      /** Sends one message until the server acknowledges it, always with the same clientId. */
      const sendUntilAcknowledged = async (client: SocketClient, body: string) => {
        const clientId = newClientId();
        const deadline = Date.now() + SEND_DEADLINE_MS;
        for (;;) {
          try {
            acknowledged.set(clientId, await client.api.messages.send.mutate({ conversationId: group.id, body, clientId }));
            return;
          } catch (error) {
            failures.push(error);
            if (Date.now() > deadline) throw error;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
      };
      const sending = Promise.all(
        clients.map(async (client, c) => {
          for (let n = 0; n < MESSAGES_PER_CLIENT; n++) await sendUntilAcknowledged(client, `client ${c} message ${n}`);
        }),
      );

      // Mid-way, the process dies without any chance to clean up, and comes back.
      await vi.waitFor(() => expect(acknowledged.size).toBeGreaterThanOrEqual(TOTAL / 4), WAIT);
      await stop(running, 'SIGKILL');
      const acknowledgedBeforeCrash = acknowledged.size;
      expect(acknowledgedBeforeCrash).toBeLessThan(TOTAL);
      running = runMain(env);
      await listeningUrl(running);
      await sending;

      // The crash was felt: sends failed and were retried, every stream was resumed.
      expect(failures.length).toBeGreaterThan(0);
      expect(acknowledged.size).toBe(TOTAL);
      await vi.waitFor(() => expect(streams.map((stream) => stream.items.length)).toEqual(streams.map(() => TOTAL)), WAIT);
      for (const stream of streams) {
        expect(stream.started).toBeGreaterThanOrEqual(2);
        expect(stream.errors).toEqual([]);
      }

      for (const client of clients) await client.close();
      await stop(running, 'SIGTERM');
      const db = await openDatabase(scratch.target);
      let stored: { id: number; seq: number; senderId: number; clientId: string; body: string }[];
      try {
        const rows = await db.em.fork().find(MessageSchema, { conversation: group.id }, { orderBy: { seq: 'asc' } });
        stored = rows.map((row) => ({ id: row.id, seq: row.seq, senderId: row.sender.id, clientId: row.clientId, body: row.body }));
      } finally {
        await db.close(true);
      }

      // Exactly once: one row per acknowledged send, none twice, seqs without a gap.
      expect(stored.map((row) => row.seq)).toEqual(range(1, TOTAL));
      expect(new Set(stored.map((row) => `${row.senderId}:${row.clientId}`)).size).toBe(TOTAL);
      const byClientId = new Map(stored.map((row) => [row.clientId, row]));
      for (const [clientId, message] of acknowledged) {
        expect(byClientId.get(clientId)).toEqual({ id: message.id, seq: message.seq, senderId: message.senderId, clientId, body: message.body });
      }
      // Every client saw exactly the database, in order.
      for (const stream of streams) {
        const seen = stream.items.map(({ event }) => event.message);
        expect(seen.map((message) => message && { id: message.id, seq: message.seq, senderId: message.senderId, clientId: message.clientId, body: message.body })).toEqual(stored);
      }
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      await stop(running, 'SIGKILL');
      await scratch.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
