/**
 * Property-based fuzzing of every procedure the router has (read from the router itself, so
 * a new procedure is fuzzed without a line here), through the real router on a real
 * database: generated, near-valid and hostile inputs from a member, an outsider and an
 * anonymous caller. Each call must end in a result or a TRPCError a client can act on, never
 * INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE (the database is up) or a raw exception; afterwards the conversation log is whole and the
 * API still serves.
 *
 * Bounded for CI: FUZZ_RUNS (default 20) runs per procedure and dialect; after FUZZ_MS
 * (default 500 ms) on one procedure the remaining runs are skipped (at least 3 are made),
 * which only the password-hashing procedures reach (each sign-in costs a scrypt hash).
 * FUZZ_RUNS=500 goes bigger; FUZZ_SEED replays a run.
 */
import {
  ConversationEventSchema,
  ConversationSchema,
  MessageSchema,
  ParticipantSchema,
  testDialects,
  UserSchema,
} from '@parley/db';
import { TRPCError } from '@trpc/server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../src/auth/tokens.ts';
import { appRouter, createCallerFactory, createContextInner } from '../src/index.ts';
import { fuzzInput, inputSchemaOf, type IdPool } from './fuzz-inputs.ts';
import type { TestApi, TestUser } from './harness.ts';
import { freshSession, MISSING_ID, useTestApi } from './helpers.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 20);
const BUDGET_MS = Number(process.env.FUZZ_MS ?? (process.env.FUZZ_RUNS ? 10 * 60_000 : 500));
const MIN_RUNS = 3;
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

// tRPC types `_def.procedures` as the nested router record; at run time it is flat, keyed by path.
const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string; inputs: unknown[] } }>;
const PATHS = Object.keys(procedures).sort();

const createCaller = createCallerFactory(appRouter);
type Who = 'member' | 'outsider' | 'anonymous';

/** How one call ended: OK (with its result), a TRPCError code, or RAW_EXCEPTION for anything else thrown. */
interface Outcome {
  code: string;
  result?: unknown;
}

/** Calls `path` by name, as a transport does; a subscription is opened, read briefly and closed. */
async function callByPath(api: TestApi, token: string | null, path: string, input: unknown): Promise<Outcome> {
  const controller = new AbortController();
  const caller = createCaller(createContextInner(api.deps, { token, clientIp: '203.0.113.7' }), { signal: controller.signal });
  const found = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller);
  if (typeof found !== 'function') throw new Error(`${path} is not callable on the caller`);
  // The caller's proxy answers every path with a function taking the input.
  const procedure = found as (input: unknown) => Promise<unknown>;
  try {
    const result = await procedure(input);
    if (procedures[path]?._def.type === 'subscription') await readBriefly(result as AsyncIterable<unknown>, controller);
    return { code: 'OK', result };
  } catch (error) {
    if (error instanceof TRPCError) return { code: error.code };
    // Printed so a failing run says what went wrong, not just that it did.
    console.error(`${path} threw a raw exception`, error);
    return { code: 'RAW_EXCEPTION' };
  } finally {
    controller.abort();
  }
}

/** Pulls the first item (the backfill runs then) for up to 15 ms, then ends the stream. */
async function readBriefly(stream: AsyncIterable<unknown>, controller: AbortController): Promise<void> {
  const iterator = stream[Symbol.asyncIterator]();
  const timer = setTimeout(() => controller.abort(), 15);
  try {
    await iterator.next();
  } finally {
    clearTimeout(timer);
    controller.abort();
    await iterator.return?.();
  }
}

/** A token as a sign-in would issue it now (after a logout, the old one is dead). */
async function tokenOf(api: TestApi, userId: number): Promise<string> {
  const user = await api.db.em.fork().findOneOrFail(UserSchema, userId);
  return signToken(api.deps.tokens, { userId, tokenVersion: user.tokenVersion });
}

function messageIdOf(sent: unknown): number {
  if (typeof sent === 'object' && sent !== null && 'id' in sent && typeof sent.id === 'number') return sent.id;
  throw new Error(`messages.send answered without a message id: ${JSON.stringify(sent)}`);
}

/**
 * The invariants of the conversation log (docs/ARCHITECTURE.md, "Data model"), read straight
 * from the database: what a half-written change would break.
 */
async function expectWholeLog(api: TestApi): Promise<void> {
  const em = api.db.em.fork();
  // Four reads for the whole database, grouped here: cheaper than three queries per conversation.
  const [conversations, events, messages, participants] = await Promise.all([
    em.find(ConversationSchema, {}, { orderBy: { id: 'asc' } }),
    em.find(ConversationEventSchema, {}, { orderBy: { seq: 'asc' } }),
    em.find(MessageSchema, {}, { orderBy: { seq: 'asc' } }),
    em.find(ParticipantSchema, {}),
  ]);
  const of = <T extends { conversation: { id: number } }>(rows: T[], id: number) => rows.filter((row) => row.conversation.id === id);
  for (const conversation of conversations) {
    const [itsEvents, itsMessages, members] = [of(events, conversation.id), of(messages, conversation.id), of(participants, conversation.id)];
    const label = `conversation ${conversation.id} (${conversation.kind})`;
    // One event per seq, 1..lastSeq, no gap.
    expect(itsEvents.map((event) => event.seq), label).toEqual(Array.from({ length: conversation.lastSeq }, (_, i) => i + 1));
    // messageCount counts the messages not deleted; a deleted one keeps no body.
    expect(conversation.messageCount, label).toBe(itsMessages.filter((message) => !message.deletedAt).length);
    expect(itsMessages.filter((message) => message.deletedAt && message.body !== ''), label).toEqual([]);
    // Each message sits at the seq of its own creation event.
    const created = new Map(itsEvents.filter((e) => e.type === 'message.created').map((e) => [e.seq, e.message?.id]));
    expect(itsMessages.filter((message) => created.get(message.seq) !== message.id).map((m) => m.id), label).toEqual([]);
    expect(created.size, label).toBe(itsMessages.length);
    // Nobody has read past the end.
    expect(members.filter((p) => p.lastReadSeq > conversation.lastSeq || p.lastReadSeq < 0), label).toEqual([]);
    const memberIds = members.map((p) => p.user.id).sort((a, b) => a - b);
    if (conversation.kind === 'direct') {
      expect(memberIds.join(':'), label).toBe(conversation.directKey);
    } else if (conversation.kind === 'self') {
      expect(`self:${memberIds.join(',')}`, label).toBe(conversation.directKey);
    } else {
      // A group with members has exactly one owner, and no more members than the limit.
      expect(members.filter((p) => p.role === 'owner').length, label).toBe(members.length > 0 ? 1 : 0);
      expect(members.length, label).toBeLessThanOrEqual(256);
    }
  }
}

describe.each(testDialects())('fuzzing every procedure on %s', (dialect) => {
  const getApi = useTestApi(dialect);
  let member: TestUser;
  let friend: TestUser;
  let outsider: TestUser;
  const ids: number[] = [MISSING_ID];
  const pool: IdPool = { ids: () => ids };
  const outcomes = new Map<string, number>();
  /** Messages each send returned to the member: every stored message of theirs must be one of them. */
  const acknowledged = new Set<number>();
  let inputsTried = 0;

  beforeAll(async () => {
    const api = getApi();
    // The member is a site admin too, so the admin procedures run past their check.
    member = await api.seedUser('fuzz_member', { role: 'admin' });
    friend = await api.seedUser('fuzz_friend');
    outsider = await api.seedUser('fuzz_outsider');
    ids.push(member.id, friend.id, outsider.id);
  });

  afterAll(() => {
    const byCode = Object.fromEntries([...outcomes].sort(([, a], [, b]) => b - a));
    console.info(`fuzz on ${dialect}: ${inputsTried} inputs over ${PATHS.length} procedures; outcomes ${JSON.stringify(byCode)}`);
  });

  let fixture: number[] = [];

  /** Conversations for the runs: made again once the member left or lost one, so no procedure is starved. */
  async function ensureFixture(api: TestApi): Promise<void> {
    const stillIn = await api.db.em.fork().count(ParticipantSchema, { user: member.id, conversation: { $in: fixture } });
    if (fixture.length > 0 && stillIn === fixture.length) return;
    const mine = await freshSession(api, member.id);
    const theirs = await freshSession(api, friend.id);
    const notes = await mine.conversations.create({ kind: 'self' });
    const dm = await mine.conversations.create({ kind: 'direct', participantIds: [friend.id] });
    const ownGroup = await mine.conversations.create({ kind: 'group', title: 'Fuzz', participantIds: [friend.id, outsider.id] });
    const theirGroup = await theirs.conversations.create({ kind: 'group', title: 'Theirs', participantIds: [member.id] });
    fixture = [notes.id, dm.id, ownGroup.id, theirGroup.id];
    ids.push(...fixture);
    for (const conversationId of [notes.id, dm.id, ownGroup.id]) {
      const sent = await mine.messages.send({ conversationId, body: 'seed', clientId: `seed-${conversationId}` });
      acknowledged.add(sent.id);
      ids.push(sent.id);
    }
    const reply = await theirs.messages.send({ conversationId: theirGroup.id, body: 'reply', clientId: `seed-${theirGroup.id}` });
    ids.push(reply.id);
  }

  it('fuzzes every procedure of the router (none is left out)', () => {
    expect(PATHS.length).toBeGreaterThan(20);
    for (const path of PATHS) expect(procedures[path]?._def.type).toMatch(/^(query|mutation|subscription)$/);
  });

  it.each(PATHS)('%s: never a server error, and the log stays whole', async (path) => {
    const api = getApi();
    await ensureFixture(api);
    const schema = inputSchemaOf(procedures[path]?._def.inputs ?? []);
    const who = fc.constantFrom<Who>('member', 'member', 'member', 'member', 'outsider', 'anonymous');

    const tokens = { member: await tokenOf(api, member.id), outsider: await tokenOf(api, outsider.id), anonymous: null };

    const started = performance.now();
    let made = 0;

    await fc.assert(
      fc.asyncProperty(fuzzInput(schema, pool), who, async (input, caller) => {
        if (made >= MIN_RUNS && performance.now() - started > BUDGET_MS) return;
        made += 1;
        const { code, result } = await callByPath(api, tokens[caller], path, input);
        // A fuzzed logout must not sign the callers out of the runs that follow.
        if (code === 'OK' && path === 'auth.logout' && caller !== 'anonymous') tokens[caller] = await tokenOf(api, caller === 'member' ? member.id : outsider.id);
        inputsTried += 1;
        outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
        // The database is up throughout: SERVICE_UNAVAILABLE here would be an input breaking a query.
        if (code === 'INTERNAL_SERVER_ERROR' || code === 'SERVICE_UNAVAILABLE' || code === 'RAW_EXCEPTION') {
          expect.fail(`${path} as ${caller} answered ${code} for ${fc.stringify(input).slice(0, 500)}`);
        }
        if (code === 'OK' && path === 'messages.send' && caller === 'member') acknowledged.add(messageIdOf(result));
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );

    await expectWholeLog(api);
    // Nothing was stored for a send that failed: every message of the member was acknowledged.
    const stored = await api.db.em.fork().find(MessageSchema, { sender: member.id });
    expect(stored.map((message) => message.id).filter((id) => !acknowledged.has(id))).toEqual([]);
    // No input reached Object.prototype.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // And the API still serves: the member sends and reads back.
    const mine = await freshSession(api, member.id);
    const notes = await mine.conversations.create({ kind: 'self' });
    const sent = await mine.messages.send({ conversationId: notes.id, body: `after ${path}`, clientId: `after-${path.replace('.', '-')}` });
    acknowledged.add(sent.id);
    const history = await mine.messages.list({ conversationId: notes.id, limit: 100 });
    expect(history.items.at(-1)).toMatchObject({ id: sent.id, body: `after ${path}` });
  });
});
