/**
 * Test data typed by the API's own types: if the router's outputs or error shape change,
 * these stop compiling, so the UI tests can never drift from what the server sends.
 */
import { TRPCClientError } from '@trpc/client';
import { vi } from 'vitest';
import type { TextPart } from './format.ts';
import type { MessageNotice, NotificationHost } from './notifications.ts';
import type { ApiError, AppRouter, ConversationEvent, ConversationSummary, LiveStats, StoredStats } from './trpc.ts';

type Participant = ConversationSummary['participants'][number];
type Message = NonNullable<ConversationSummary['lastMessage']>;

const at = new Date(2026, 10, 12, 14, 30).toISOString();

export function participant(id: number, displayName: string): Participant {
  return {
    id,
    username: displayName.split(' ')[0]?.toLowerCase() ?? 'user',
    displayName,
    online: false,
    role: 'member',
    joinedAt: at,
    lastReadSeq: 0,
  };
}

export function message(senderId: number, body: string): Message {
  return { id: 1, conversationId: 1, seq: 1, senderId, body, clientId: 'c1', createdAt: at, editedAt: null, deletedAt: null };
}

/** A durable event with no message: members added, removed or left, a rename. */
export function notice(
  seq: number,
  type: ConversationEvent['type'],
  actorId: number,
  payload: ConversationEvent['payload'],
  createdAt = at,
): ConversationEvent {
  return { conversationId: 1, seq, type, actorId, createdAt, message: null, payload };
}

/** `participantCount` follows `participants` unless given. */
export function summary(overrides: Partial<ConversationSummary>): ConversationSummary {
  return {
    participantCount: overrides.participants?.length ?? 0,
    id: 1,
    kind: 'direct',
    title: null,
    createdBy: 1,
    createdAt: at,
    lastMessageAt: at,
    lastSeq: 1,
    messageCount: 1,
    myRole: 'member',
    muted: false,
    mutedUntil: null,
    participants: [],
    lastMessage: null,
    unreadCount: 0,
    ...overrides,
  };
}

/** An error exactly as the tRPC client builds it from the server's error response. */
export function apiError(message: string, data: NonNullable<ApiError['data']>): ApiError {
  return TRPCClientError.from<AppRouter>({ error: { code: -32600, message, data } });
}

/** admin.stats' stored figures of a brand-new install on `today` (UTC): every count 0, 30 zero days. */
export function emptyStoredStats(today = '2026-11-21'): StoredStats {
  const end = Date.parse(`${today}T00:00:00Z`);
  return {
    generatedAt: `${today}T10:15:00.000Z`,
    users: { total: 0, newToday: 0, newLast7Days: 0, dailyActive: 0, monthlyActive: 0 },
    conversations: { total: 0, byKind: { direct: 0, group: 0, self: 0 }, averageMessages: 0 },
    messages: { total: 0, today: 0 },
    messagesPerDay: Array.from({ length: 30 }, (_, i) => ({
      date: new Date(end - (29 - i) * 86_400_000).toISOString().slice(0, 10),
      messages: 0,
      activeSenders: 0,
    })),
    topConversations: [],
    busiestHours: Array.from({ length: 7 }, () => Array<number>(24).fill(0)),
  };
}

type InstanceLive = LiveStats['instances'][number];

/** One instance's live figures as admin.onStats reports them; quiet unless overridden. */
export function instanceLive(id: string, overrides: Partial<InstanceLive> = {}): InstanceLive {
  return {
    id,
    startedAt: '2026-11-21T08:00:00.000Z',
    reportedAt: '2026-11-21T10:15:00.000Z',
    uptimeSeconds: 8_100,
    sockets: 0,
    onlineUsers: 0,
    subscriptions: 0,
    typingUsers: 0,
    messagesPerSecond: 0,
    latencyMs: { p50: null, p99: null },
    eventLoopLagMs: { p50: 10.2, p99: 12.5 },
    memory: { rssBytes: 120 * 1024 * 1024, heapUsedBytes: 40 * 1024 * 1024 },
    ...overrides,
  };
}

/** admin.onStats' figures: the instances and their totals (as the server sums them). */
export function liveStats(generatedAt: string, instances: InstanceLive[], latencyMs: LiveStats['totals']['latencyMs'] = { p50: null, p99: null }): LiveStats {
  const sum = (pick: (instance: InstanceLive) => number) => instances.reduce((total, instance) => total + pick(instance), 0);
  return {
    generatedAt,
    complete: true,
    totals: {
      sockets: sum((instance) => instance.sockets),
      onlineUsers: sum((instance) => instance.onlineUsers),
      subscriptions: sum((instance) => instance.subscriptions),
      typingUsers: sum((instance) => instance.typingUsers),
      messagesPerSecond: sum((instance) => instance.messagesPerSecond),
      latencyMs,
    },
    instances,
  };
}

/** A line of TextParts as it reads on screen. */
export function plainText(parts: readonly TextPart[]): string {
  return parts.map((part) => (typeof part === 'string' ? part : part.isolate)).join('');
}

/** An inbox row whose last activity was `minutesAgo` minutes before a fixed moment. */
export function inboxRow(id: number, minutesAgo: number, overrides: Partial<ConversationSummary> = {}): ConversationSummary {
  const lastMessageAt = new Date(Date.UTC(2026, 10, 12, 12, 0) - minutesAgo * 60_000).toISOString();
  return summary({ id, lastMessageAt, ...overrides });
}

/** A browser whose notifications are recorded; `permission` as the test sets it. */
export function fakeNotificationHost(initial: 'default' | 'denied' | 'granted' | null, answer: 'default' | 'denied' | 'granted' = 'granted') {
  let permission = initial;
  const onScreen = new Set<number>();
  const shown: { notice: MessageNotice; click: () => void; closed: boolean }[] = [];
  const storage = new Map<string, string>();
  const host: NotificationHost = {
    permission: () => permission,
    requestPermission: vi.fn(async () => (permission = answer)),
    storage: {
      getItem: (key) => storage.get(key) ?? null,
      setItem: (key, value) => storage.set(key, value),
      removeItem: (key) => storage.delete(key),
      clear: () => storage.clear(),
      key: () => null,
      length: 0,
    },
    isShowing: (conversationId) => onScreen.has(conversationId),
    show(notice, onClick) {
      const entry = { notice, click: onClick, closed: false };
      shown.push(entry);
      return { close: () => (entry.closed = true) };
    },
  };
  return { host, shown, onScreen };
}
