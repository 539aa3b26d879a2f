/**
 * `pnpm bench --serialization`: what the wire format costs per frame, plain JSON (what
 * Parley sends: views with ISO-8601 strings for times, no tRPC transformer) against
 * superjson (tRPC's usual transformer, which carries Date objects and revives them).
 *
 * The payloads are Parley's hot-path frames, typed as the API's views so they keep its
 * shape: a conversations.onEvent message event (one per subscriber per message), an
 * inbox.onEvent change of a group (one per member per message), a conversations.list page
 * and a messages.list page (50 items each). Each is encoded as tRPC's adapter does (the
 * transformer on the result's data, then JSON.stringify of the envelope) and decoded as
 * its client does (JSON.parse, then the transformer). In process, one encoding after the
 * other, round by round, so all see the same machine: the median of the rounds.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ConversationEventView, ConversationSummary, InboxEvent, MessageView, ParticipantView } from '@parley/api';
import superjson from 'superjson';
import { describeMachine, machineLine } from './machine.ts';

const ROUNDS = 9;
/** Each round times an encoding for about this long. */
const ROUND_MS = 40;

interface Codec {
  encode(data: unknown): string;
  decode(text: string): unknown;
}

/** A tRPC response envelope around `data`, as the WebSocket adapter sends a subscription's item. */
const envelope = (data: unknown) => ({ id: 7, result: { type: 'data', data } });

const JSON_CODEC: Codec = {
  encode: (data) => JSON.stringify(envelope(data)),
  decode: (text) => (JSON.parse(text) as { result: { data: unknown } }).result.data,
};

const SUPERJSON_CODEC: Codec = {
  encode: (data) => JSON.stringify(envelope(superjson.serialize(data))),
  decode: (text) => superjson.deserialize((JSON.parse(text) as { result: { data: Parameters<typeof superjson.deserialize>[0] } }).result.data),
};

// ------------------------------------------------------------------ the frames

/** A deterministic generator, so every run measures the same payloads. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}
const rand = random(42);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
const WORDS = ['the', 'meeting', 'moved', 'to', 'three', 'ok', 'thanks', 'see', 'you', 'there', 'deploy', 'is', 'green', 'lunch', 'later', 'sounds', 'good'];
/** Bodies of 3-25 words (~70 characters on average, like the bench's dataset). */
const body = () => Array.from({ length: 3 + Math.floor(rand() * 22) }, () => pick(WORDS)).join(' ');
const at = (ms: number) => new Date(Date.UTC(2026, 10, 1) + ms).toISOString();

function message(conversationId: number, seq: number): MessageView {
  return {
    id: conversationId * 1_000 + seq,
    conversationId,
    seq,
    senderId: 1 + Math.floor(rand() * 2_000),
    body: body(),
    clientId: `c-${conversationId}-${seq}-${Math.floor(rand() * 1e9).toString(36)}`,
    createdAt: at(seq * 60_000),
    editedAt: null,
    deletedAt: null,
  };
}

function member(id: number): ParticipantView {
  return {
    id,
    username: `user${id}`,
    displayName: `User ${id}`,
    online: rand() < 0.3,
    role: 'member',
    joinedAt: at(id * 1_000),
    lastReadSeq: Math.floor(rand() * 100),
  };
}

/** An inbox item: a DM names both members; a group its first five and its last message's sender. */
function summary(id: number, group: boolean): ConversationSummary {
  const named = group ? 6 : 2;
  const lastSeq = 20 + Math.floor(rand() * 200);
  return {
    id,
    kind: group ? 'group' : 'direct',
    title: group ? `Group ${id}` : null,
    createdBy: id * 10,
    createdAt: at(0),
    lastMessageAt: at(lastSeq * 60_000),
    lastSeq,
    messageCount: lastSeq,
    myRole: 'member',
    muted: false,
    mutedUntil: null,
    participants: Array.from({ length: named }, (_, i) => member(id * 10 + i)),
    participantCount: group ? 10 : 2,
    lastMessage: message(id, lastSeq),
    unreadCount: Math.floor(rand() * 4),
  };
}

function messageEvent(): { id: string; data: ConversationEventView } {
  const created = message(12, 345);
  const event: ConversationEventView = {
    conversationId: created.conversationId,
    seq: created.seq,
    type: 'message.created',
    actorId: created.senderId,
    createdAt: created.createdAt,
    message: created,
    payload: null,
  };
  // tracked(): the event id travels beside the event.
  return { id: String(event.seq), data: event };
}

const groupChange: InboxEvent = { type: 'conversation.changed', conversation: summary(77, true) };

const FRAMES: { name: string; note: string; data: unknown }[] = [
  { name: 'message event', note: 'conversations.onEvent, per subscriber per message', data: messageEvent() },
  { name: 'inbox change (group of 10)', note: 'inbox.onEvent, per member per message', data: groupChange },
  {
    name: 'inbox page (50 items)',
    note: 'conversations.list',
    data: { items: Array.from({ length: 50 }, (_, i) => summary(i + 1, i % 3 === 0)), nextCursor: 'MTc2MjAwMDAwMDAwMDo1MQ' },
  },
  { name: 'history page (50 messages)', note: 'messages.list', data: { items: Array.from({ length: 50 }, (_, i) => message(5, 1_000 + i)), hasMore: true } },
];

/** Every key Parley's views hold a time in. */
const TIME_KEYS = new Set(['createdAt', 'editedAt', 'deletedAt', 'joinedAt', 'lastMessageAt']);

/** The same frame with Date objects where the views hold ISO strings: what superjson carries as dates. */
function withDates(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withDates);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [key, TIME_KEYS.has(key) && typeof field === 'string' ? new Date(field) : withDates(field)]),
  );
}

// ------------------------------------------------------------------ measuring

/** Microseconds per call of `work`, over about ROUND_MS. */
function timePerCall(work: () => unknown): number {
  let calls = 0;
  const started = performance.now();
  let elapsed: number;
  do {
    for (let i = 0; i < 50; i++) work();
    calls += 50;
    elapsed = performance.now() - started;
  } while (elapsed < ROUND_MS);
  return (elapsed * 1_000) / calls;
}

const median = (values: number[]) => {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

export interface SerializationRow {
  frame: string;
  note: string;
  encoding: string;
  bytes: number;
  encodeUs: number;
  decodeUs: number;
}

export function measureSerialization(): SerializationRow[] {
  const rows: SerializationRow[] = [];
  for (const frame of FRAMES) {
    // Parley's frames as sent (its views format times ahead, with a fast iso()); the same
    // frames holding Date objects, which JSON.stringify formats (Date#toJSON) as it encodes;
    // and those through superjson, which carries them as dates.
    const dated = withDates(frame.data);
    const runs = [
      { name: 'JSON, ISO strings (Parley)', codec: JSON_CODEC, data: frame.data, encode: [] as number[], decode: [] as number[] },
      { name: 'JSON, Date objects', codec: JSON_CODEC, data: dated, encode: [] as number[], decode: [] as number[] },
      { name: 'superjson, Date objects', codec: SUPERJSON_CODEC, data: dated, encode: [] as number[], decode: [] as number[] },
    ];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternating the order, so none always runs on a warmer or cooler machine.
      for (const run of round % 2 === 0 ? runs : runs.toReversed()) {
        const text = run.codec.encode(run.data);
        run.encode.push(timePerCall(() => run.codec.encode(run.data)));
        run.decode.push(timePerCall(() => run.codec.decode(text)));
      }
    }
    for (const run of runs) {
      rows.push({
        frame: frame.name,
        note: frame.note,
        encoding: run.name,
        bytes: Buffer.byteLength(run.codec.encode(run.data)),
        encodeUs: median(run.encode),
        decodeUs: median(run.decode),
      });
    }
  }
  return rows;
}

export function serializationMarkdown(rows: SerializationRow[]): string {
  const us = (value: number) => (value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0));
  const lines = ['| frame | encoding | bytes | encode (server) | decode (client) | encode, × Parley | decode, × Parley |', '|---|---|---:|---:|---:|---:|---:|'];
  for (const row of rows) {
    const json = rows.find((other) => other.frame === row.frame) ?? row;
    lines.push(
      `| ${row.frame} | ${row.encoding} | ${row.bytes.toLocaleString('en-US')} | ${us(row.encodeUs)} µs | ${us(row.decodeUs)} µs | ` +
        `${(row.encodeUs / json.encodeUs).toFixed(2)}× | ${(row.decodeUs / json.decodeUs).toFixed(2)}× |`,
    );
  }
  return lines.join('\n');
}

export function runSerialization(outDir: string, log: (text: string) => void): void {
  const machine = describeMachine();
  log(`machine: ${machineLine(machine)}`);
  log(`serialization: ${FRAMES.length} frames, JSON and superjson, median of ${ROUNDS} rounds of ~${ROUND_MS} ms each`);
  const rows = measureSerialization();
  const table = serializationMarkdown(rows);
  const startedAt = new Date().toISOString();
  writeFileSync(join(outDir, 'serialization.json'), `${JSON.stringify({ startedAt, machine, rounds: ROUNDS, rows }, null, 2)}\n`);
  writeFileSync(join(outDir, 'serialization.md'), `${startedAt}, ${machineLine(machine)}; median of ${ROUNDS} rounds\n\n${table}\n`);
  log(`\n${table}\n\nwrote ${join(outDir, 'serialization.json')} and serialization.md`);
}
