/**
 * The data each scenario of `pnpm bench` needs, as datasets for the one seeding module
 * (dataset.ts generates, load.ts writes with batched multi-row INSERTs):
 *  - people in groups (fan-out), DMs (send path), many users and nothing else (connections);
 *  - a large generated database reshaped so that one user has many conversations (the
 *    inbox) and one conversation holds a long history.
 * Users are created without a password (nobody can sign in as them): the bench mints their
 * tokens with the server's own token code and signing secret.
 */
import { DAY_MS, KIND_NAMES, generateDataset, type Dataset } from './dataset.ts';

const DIRECT = KIND_NAMES.indexOf('direct');
const GROUP = KIND_NAMES.indexOf('group');
const HOUR_MS = 3_600_000;

/** `users` users (ids 1..users) joined a month ago, and the given conversations without messages. */
function withoutMessages(users: number, conversations: { kind: number; members: number[] }[], now: number): Dataset {
  const createdAt = new Float64Array(users).fill(now - 30 * DAY_MS);
  const count = conversations.length;
  const started = new Float64Array(count).fill(now - 7 * DAY_MS);
  return {
    options: { users, conversations: count, messages: 0, days: 30, now, seed: 0 },
    users: { createdAt, lastSeenAt: new Float64Array(users).fill(Number.NaN) },
    conversations: {
      kind: Uint8Array.from(conversations, (c) => c.kind),
      members: conversations.map((c) => Int32Array.from(c.members)),
      createdAt: started,
      lastMessageAt: started.slice(),
      updatedAt: started.slice(),
      lastSeq: new Int32Array(count),
      messageCount: new Int32Array(count),
    },
    messages: {
      at: new Float64Array(0),
      conversation: new Int32Array(0),
      sender: new Int32Array(0),
      seq: new Int32Array(0),
      editedAt: new Float64Array(0),
      deletedAt: new Float64Array(0),
    },
    events: { message: new Int32Array(0), type: new Uint8Array(0), at: new Float64Array(0), seq: new Int32Array(0) },
  };
}

/** Users 1..groups×size in groups of `size` consecutive ids: conversation g+1 holds users g×size+1 … (g+1)×size. */
export function groupsFixture(groups: number, size: number, now = Date.now()): Dataset {
  const conversations = Array.from({ length: groups }, (_, g) => ({
    kind: GROUP,
    members: Array.from({ length: size }, (_, i) => g * size + i + 1),
  }));
  return withoutMessages(groups * size, conversations, now);
}

/** 2×pairs users; DM i+1 is between user i+1 (who sends) and user pairs+i+1. */
export function directsFixture(pairs: number, now = Date.now()): Dataset {
  const conversations = Array.from({ length: pairs }, (_, i) => ({ kind: DIRECT, members: [i + 1, pairs + i + 1] }));
  return withoutMessages(2 * pairs, conversations, now);
}

/** Users 1..users and no conversation. */
export function usersFixture(users: number, now = Date.now()): Dataset {
  return withoutMessages(users, [], now);
}

export interface InboxFixtureOptions {
  users: number;
  conversations: number;
  messages: number;
  /** How many conversations user 1, the one whose inbox is read, belongs to. */
  focusConversations: number;
  /** Messages of one extra conversation between users 1 and 2 (0: none); counted in `messages`. */
  historyMessages: number;
  seed: number;
  now?: number;
}

export interface InboxFixture {
  data: Dataset;
  focusUserId: number;
  /** The long conversation (its id), or null. */
  historyConversationId: number | null;
}

/**
 * A generated database (users joining over a year, DMs and groups with Zipf-like traffic)
 * where user 1 belongs to `focusConversations` conversations and, optionally, a group of
 * users 1 and 2 holds `historyMessages` messages.
 */
export function inboxFixture(options: InboxFixtureOptions): InboxFixture {
  const now = options.now ?? Date.now();
  const withHistory = options.historyMessages > 0;
  const generated = generateDataset({
    users: options.users,
    conversations: options.conversations - (withHistory ? 1 : 0),
    messages: options.messages - options.historyMessages,
    days: 365,
    now,
    seed: options.seed,
  });
  const focusUserId = 1;
  giveConversationsTo(generated, focusUserId, options.focusConversations);
  if (!withHistory) return { data: eventsInKeyOrder(generated), focusUserId, historyConversationId: null };
  const data = withLongConversation(generated, [focusUserId, 2], options.historyMessages, now);
  return { data: eventsInKeyOrder(data), focusUserId, historyConversationId: data.conversations.kind.length };
}

/**
 * The same events ordered by their primary key (conversation, seq) instead of by time, so
 * the load appends to the key's index instead of inserting all over it: minutes less for
 * two million events. The rows written are the same.
 */
export function eventsInKeyOrder(data: Dataset): Dataset {
  const { events, messages } = data;
  const count = events.seq.length;
  const keys = new Float64Array(count);
  for (let e = 0; e < count; e++) keys[e] = (messages.conversation[events.message[e] ?? 0] ?? 0) * 2 ** 26 + (events.seq[e] ?? 0);
  const order = new Uint32Array(count).map((_, i) => i).sort((a, b) => (keys[a] ?? 0) - (keys[b] ?? 0));
  return {
    ...data,
    events: {
      message: events.message.map((_, i) => events.message[order[i] ?? 0] ?? 0),
      type: events.type.map((_, i) => events.type[order[i] ?? 0] ?? 0),
      at: events.at.map((_, i) => events.at[order[i] ?? 0] ?? 0),
      seq: events.seq.map((_, i) => events.seq[order[i] ?? 0] ?? 0),
    },
  };
}

/**
 * Makes `user` a member of `wanted` conversations (if the data allows): in DMs it takes the
 * place of one side (the messages that side sent become its own) where that pair has no DM
 * yet, then it joins groups. Mutates `data`.
 */
export function giveConversationsTo(data: Dataset, user: number, wanted: number): void {
  const { kind, members, createdAt } = data.conversations;
  const isMember = (c: number) => members[c]?.includes(user) ?? false;
  let count = 0;
  const dmPartners = new Set<number>();
  members.forEach((people, c) => {
    if (!people.includes(user)) return;
    count++;
    if (kind[c] === DIRECT) for (const other of people) if (other !== user) dmPartners.add(other);
  });
  // DMs first, in the proportion the generator makes them; then groups.
  const wantedDms = Math.round((wanted - count) * 0.85);
  const replaced = new Map<number, number>();
  for (let c = 0; c < members.length && replaced.size < wantedDms && count < wanted; c++) {
    const [a = 0, b = 0] = members[c] ?? [];
    if (kind[c] !== DIRECT || isMember(c)) continue;
    const [gone, kept] = !dmPartners.has(b) ? [a, b] : !dmPartners.has(a) ? [b, a] : [0, 0];
    if (gone === 0) continue;
    members[c] = Int32Array.of(user, kept);
    replaced.set(c, gone);
    dmPartners.add(kept);
    count++;
  }
  for (let c = 0; c < members.length && count < wanted; c++) {
    if (kind[c] !== GROUP || isMember(c)) continue;
    members[c] = Int32Array.of(...(members[c] ?? []), user);
    count++;
  }
  const { conversation, sender } = data.messages;
  for (let m = 0; m < sender.length; m++) {
    if (replaced.get(conversation[m] ?? -1) === sender[m]) sender[m] = user;
  }
  // The user existed before any conversation it is in.
  let earliest = data.users.createdAt[user - 1] ?? Number.POSITIVE_INFINITY;
  members.forEach((people, c) => {
    if (people.includes(user)) earliest = Math.min(earliest, (createdAt[c] ?? earliest) - HOUR_MS);
  });
  data.users.createdAt[user - 1] = earliest;
}

/** `data` plus one group of `people` with `messages` messages over the last 60 days, one event each. */
export function withLongConversation(data: Dataset, people: number[], messages: number, now: number): Dataset {
  const c = data.conversations.kind.length;
  const first = now - 60 * DAY_MS;
  const spacing = (59 * DAY_MS) / messages;
  const at = Float64Array.from({ length: messages }, (_, i) => Math.floor(first + i * spacing));
  const seq = Int32Array.from({ length: messages }, (_, i) => i + 1);
  const base = data.messages.at.length;
  const concat = <T extends Float64Array | Int32Array | Uint8Array>(a: T, b: T): T => {
    const joined = new (a.constructor as new (length: number) => T)(a.length + b.length);
    joined.set(a);
    joined.set(b, a.length);
    return joined;
  };
  const last = at[messages - 1] ?? now;
  return {
    options: { ...data.options, conversations: c + 1, messages: base + messages },
    users: data.users,
    conversations: {
      kind: concat(data.conversations.kind, Uint8Array.of(GROUP)),
      members: [...data.conversations.members, Int32Array.from(people)],
      createdAt: concat(data.conversations.createdAt, Float64Array.of(first - HOUR_MS)),
      lastMessageAt: concat(data.conversations.lastMessageAt, Float64Array.of(last)),
      updatedAt: concat(data.conversations.updatedAt, Float64Array.of(last)),
      lastSeq: concat(data.conversations.lastSeq, Int32Array.of(messages)),
      messageCount: concat(data.conversations.messageCount, Int32Array.of(messages)),
    },
    messages: {
      at: concat(data.messages.at, at),
      conversation: concat(data.messages.conversation, new Int32Array(messages).fill(c)),
      sender: concat(data.messages.sender, Int32Array.from({ length: messages }, (_, i) => people[i % people.length] ?? 1)),
      seq: concat(data.messages.seq, seq),
      editedAt: concat(data.messages.editedAt, new Float64Array(messages).fill(Number.NaN)),
      deletedAt: concat(data.messages.deletedAt, new Float64Array(messages).fill(Number.NaN)),
    },
    events: {
      message: concat(data.events.message, Int32Array.from({ length: messages }, (_, i) => base + i)),
      type: concat(data.events.type, new Uint8Array(messages)),
      at: concat(data.events.at, at),
      seq: concat(data.events.seq, seq),
    },
  };
}
