/**
 * A large, plausible Parley database, generated in memory from a seed (the same seed gives
 * the same data on every dialect): users joining over a year, DMs, groups and notes, and
 * messages whose volume grows over the year, peaks in working hours and dips at weekends,
 * with a few edited and deleted. Columnar (typed arrays) so a million messages stay cheap.
 *
 * What is consistent with what the API would have written: seqs (one per event, in time
 * order), the message.created / .edited / .deleted events, messageCount (messages not
 * deleted), lastSeq, lastMessageAt, createdAt of users and conversations before their
 * first message. Not seeded: membership and rename events (groups are created full), and
 * ids are assigned in time order.
 */

export const DAY_MS = 86_400_000;

export const KIND_NAMES = ['direct', 'group', 'self'] as const;
const DIRECT = 0;
const GROUP = 1;
const SELF = 2;

export const EVENT_NAMES = ['message.created', 'message.edited', 'message.deleted'] as const;
const CREATED = 0;
const EDITED = 1;
const DELETED = 2;

export interface DatasetOptions {
  users: number;
  conversations: number;
  messages: number;
  /** Messages span this many days up to `now`. */
  days: number;
  now: number;
  seed: number;
}

export interface Dataset {
  options: DatasetOptions;
  users: { createdAt: Float64Array; lastSeenAt: Float64Array /* NaN: never seen */ };
  conversations: {
    kind: Uint8Array;
    members: Int32Array[];
    createdAt: Float64Array;
    lastMessageAt: Float64Array;
    updatedAt: Float64Array;
    lastSeq: Int32Array;
    messageCount: Int32Array;
  };
  /** Index i is the message with id i + 1, ascending by time. */
  messages: {
    at: Float64Array;
    conversation: Int32Array;
    sender: Int32Array;
    seq: Int32Array;
    editedAt: Float64Array;
    deletedAt: Float64Array;
  };
  /** The log, ascending by time: the message each event is about and its type. */
  events: { message: Int32Array; type: Uint8Array; at: Float64Array; seq: Int32Array };
}

/** mulberry32: small, fast and good enough to make test data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// Relative traffic by UTC hour (a working day in Europe and the Americas) and weekday (0 = Sunday).
const HOUR_WEIGHT = [
  0.2, 0.15, 0.1, 0.1, 0.1, 0.15, 0.3, 0.5, 0.8, 1, 1, 0.95, 0.85, 0.95, 1, 1, 0.95, 0.85, 0.75, 0.65, 0.55, 0.45, 0.35, 0.25,
];
const WEEKDAY_WEIGHT = [0.45, 1, 1, 1, 0.95, 0.9, 0.5];
/** Message volume grows by e every this many days: about a fifth of a year's messages fall in the last 30 days. */
const GROWTH_DAYS = 150;

export function generateDataset(options: DatasetOptions): Dataset {
  const { users: userCount, messages: messageCount, days, now, seed } = options;
  const rand = random(seed);
  const pick = <T>(items: ArrayLike<T>): T => items[Math.floor(rand() * items.length)] as T;

  // Conversations: notes for half the users, 15 % groups, the rest DMs between distinct pairs.
  const maxPairs = (userCount * (userCount - 1)) / 2;
  const selfCount = Math.min(Math.floor(userCount / 2), Math.floor(options.conversations * 0.05));
  const groupCount = Math.floor(options.conversations * 0.15);
  const directCount = Math.min(options.conversations - selfCount - groupCount, maxPairs);
  const conversationCount = selfCount + groupCount + directCount;
  const kind = new Uint8Array(conversationCount);
  const members: Int32Array[] = [];
  const pairs = new Set<number>();
  while (members.length < directCount) {
    const a = 1 + Math.floor(rand() * userCount);
    const b = 1 + Math.floor(rand() * userCount);
    const key = Math.min(a, b) * (userCount + 1) + Math.max(a, b);
    if (a === b || pairs.has(key)) continue;
    pairs.add(key);
    kind[members.length] = DIRECT;
    members.push(Int32Array.of(a, b));
  }
  for (let i = 0; i < groupCount; i++) {
    // Mostly small teams, a few large channels.
    const size = Math.min(userCount, 3 + Math.floor(rand() ** 3 * 120));
    const chosen = new Set<number>();
    while (chosen.size < size) chosen.add(1 + Math.floor(rand() * userCount));
    kind[members.length] = GROUP;
    members.push(Int32Array.from(chosen));
  }
  for (let i = 0; i < selfCount; i++) {
    kind[members.length] = SELF;
    members.push(Int32Array.of(1 + Math.floor((i * userCount) / selfCount)));
  }

  // How busy each conversation is: Zipf-like over a random order, groups three times busier.
  const cumulative = new Float64Array(conversationCount);
  let total = 0;
  for (let c = 0; c < conversationCount; c++) {
    total += (kind[c] === GROUP ? 3 : 1) / (1 + rand() * conversationCount) ** 0.9;
    cumulative[c] = total;
  }
  const pickConversation = () => {
    const target = rand() * total;
    let low = 0;
    let high = conversationCount - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((cumulative[mid] ?? 0) < target) low = mid + 1;
      else high = mid;
    }
    return low;
  };

  // Message times: exponential growth over `days`, thinned by hour and weekday (rejection sampling).
  const at = new Float64Array(messageCount);
  const spread = 1 - Math.exp(-days / GROWTH_DAYS);
  for (let i = 0; i < messageCount; ) {
    const ageDays = -GROWTH_DAYS * Math.log(1 - rand() * spread);
    const time = Math.floor(now - ageDays * DAY_MS);
    const date = new Date(time);
    if (rand() < (HOUR_WEIGHT[date.getUTCHours()] ?? 0) * (WEEKDAY_WEIGHT[date.getUTCDay()] ?? 0)) at[i++] = time;
  }
  at.sort();

  const conversation = new Int32Array(messageCount);
  const sender = new Int32Array(messageCount);
  const editedAt = new Float64Array(messageCount).fill(Number.NaN);
  const deletedAt = new Float64Array(messageCount).fill(Number.NaN);
  const firstMessageAt = new Float64Array(conversationCount).fill(Number.NaN);
  let extraEvents = 0;
  for (let i = 0; i < messageCount; i++) {
    const c = pickConversation();
    conversation[i] = c;
    sender[i] = pick(members[c] ?? Int32Array.of(1));
    const time = at[i] ?? now;
    if (Number.isNaN(firstMessageAt[c] ?? 0)) firstMessageAt[c] = time;
    const fate = rand();
    if (fate < 0.02) deletedAt[i] = Math.min(now, time + Math.floor(rand() * 3_600_000));
    else if (fate < 0.05) editedAt[i] = Math.min(now, time + Math.floor(rand() * 600_000));
    if (fate < 0.05) extraEvents++;
  }

  // The log: a created event per message, an edited or deleted event for some, by time.
  const eventCount = messageCount + extraEvents;
  const eventMessage = new Int32Array(eventCount);
  const eventType = new Uint8Array(eventCount);
  const eventAt = new Float64Array(eventCount);
  let e = 0;
  for (let i = 0; i < messageCount; i++) {
    eventMessage[e] = i;
    eventType[e] = CREATED;
    eventAt[e++] = at[i] ?? now;
    const later = Number.isNaN(deletedAt[i] ?? 0) ? editedAt[i] : deletedAt[i];
    if (later !== undefined && !Number.isNaN(later)) {
      eventMessage[e] = i;
      eventType[e] = Number.isNaN(deletedAt[i] ?? 0) ? EDITED : DELETED;
      eventAt[e++] = later;
    }
  }
  // Sort by time; a created event goes before a change to the same message at the same instant.
  const order = new Uint32Array(eventCount).map((_, index) => index);
  order.sort((a, b) => (eventAt[a] ?? 0) - (eventAt[b] ?? 0) || (eventType[a] ?? 0) - (eventType[b] ?? 0));
  const events = {
    message: new Int32Array(eventCount),
    type: new Uint8Array(eventCount),
    at: new Float64Array(eventCount),
    seq: new Int32Array(eventCount),
  };
  const seq = new Int32Array(messageCount);
  const lastSeq = new Int32Array(conversationCount);
  const liveMessages = new Int32Array(conversationCount);
  const lastMessageAt = new Float64Array(conversationCount).fill(Number.NaN);
  const updatedAt = new Float64Array(conversationCount).fill(Number.NaN);
  order.forEach((source, index) => {
    const message = eventMessage[source] ?? 0;
    const c = conversation[message] ?? 0;
    const type = eventType[source] ?? CREATED;
    const time = eventAt[source] ?? now;
    const next = (lastSeq[c] ?? 0) + 1;
    lastSeq[c] = next;
    updatedAt[c] = time;
    if (type === CREATED) {
      seq[message] = next;
      lastMessageAt[c] = time;
      liveMessages[c] = (liveMessages[c] ?? 0) + 1;
    } else if (type === DELETED) liveMessages[c] = (liveMessages[c] ?? 0) - 1;
    events.message[index] = message;
    events.type[index] = type;
    events.at[index] = time;
    events.seq[index] = next;
  });

  // A conversation starts shortly before its first message (or at any time, if it has none);
  // its members joined Parley before it started.
  const userCreatedAt = new Float64Array(userCount);
  for (let u = 0; u < userCount; u++) userCreatedAt[u] = Math.floor(now - rand() * (days + 35) * DAY_MS);
  const createdAt = new Float64Array(conversationCount);
  for (let c = 0; c < conversationCount; c++) {
    const first = firstMessageAt[c] ?? Number.NaN;
    const start = Number.isNaN(first) ? now - rand() * days * DAY_MS : first - rand() * 2 * DAY_MS;
    createdAt[c] = Math.floor(start);
    if (Number.isNaN(lastMessageAt[c] ?? 0)) lastMessageAt[c] = createdAt[c] ?? now;
    if (Number.isNaN(updatedAt[c] ?? 0)) updatedAt[c] = createdAt[c] ?? now;
    for (const member of members[c] ?? []) {
      userCreatedAt[member - 1] = Math.min(userCreatedAt[member - 1] ?? now, (createdAt[c] ?? now) - 3_600_000);
    }
  }
  // Last connection: a quarter of the users today, 45 % earlier this month, some longer ago, some never.
  const lastSeenAt = new Float64Array(userCount);
  for (let u = 0; u < userCount; u++) {
    const r = rand();
    const todayStart = Math.floor(now / DAY_MS) * DAY_MS;
    const seen =
      r < 0.25 ? todayStart + rand() * (now - todayStart)
      : r < 0.7 ? now - rand() * 30 * DAY_MS
      : r < 0.9 ? now - (30 + rand() * days) * DAY_MS
      : Number.NaN;
    lastSeenAt[u] = Number.isNaN(seen) ? seen : Math.floor(Math.max(seen, userCreatedAt[u] ?? 0));
  }

  return {
    options,
    users: { createdAt: userCreatedAt, lastSeenAt },
    conversations: { kind, members, createdAt, lastMessageAt, updatedAt, lastSeq, messageCount: liveMessages },
    messages: { at, conversation, sender, seq, editedAt, deletedAt },
    events,
  };
}

const WORDS = (
  'the a to and of is in it you that for on we this with are be have not at can just so but ' +
  'ok yes no thanks meeting tomorrow today deploy release fix bug review lunch coffee call ' +
  'later now sure great done ticket build test green red branch merge please check ship'
).split(' ');

/** A message body of 2 to 30 words, derived from the message index (no stored strings). */
export function bodyOf(index: number): string {
  let state = (index * 2_654_435_761) >>> 0;
  const next = () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state >>> 8;
  };
  const words = 2 + (next() % 29);
  const parts: string[] = [];
  for (let w = 0; w < words; w++) parts.push(WORDS[next() % WORDS.length] ?? 'ok');
  return parts.join(' ');
}
