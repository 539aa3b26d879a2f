/** What the bench asks of the load process, and what it answers (over the IPC channel). */
import type { Latency } from '../summary.ts';

export type Protocol = 'ws' | 'socketio' | 'trpc' | 'parley';

export interface Endpoint {
  protocol: Protocol;
  /** One per instance; clients are spread over them in turn. */
  urls: string[];
  /** Server processes whose CPU time is reported per step. */
  pids: number[];
  /** Parley: the server's signing secret, to mint each user's token with the real token code. */
  jwtSecret?: string;
}

/** Connects a fan-out session's clients and warms the server up; the session stays open for sweeps. */
export interface FanoutOpenJob {
  type: 'fanout-open';
  session: string;
  endpoint: Endpoint;
  /** Client i is user i+1 and joins room floor(i / groupSize) + 1. */
  clients: number;
  groupSize: number;
  /** Parley clients also hold inbox.onEvent, as the web app does. */
  inbox: boolean;
  warmUpPerSec: number;
  warmUpMs: number;
}

export interface FanoutOpened {
  connected: number;
  warmUp: FanoutStep;
  /** False when the server was still busy with the warm-up long after it: no sweep would be fair. */
  quiet: boolean;
}

/** One run: offered deliveries per second, step by step, until p99 passes latencyLimitMs. */
export interface FanoutSweepJob {
  type: 'fanout-sweep';
  session: string;
  ladder: number[];
  stepMs: number;
  /** How long after a step deliveries may still arrive before they count as late. */
  drainMs: number;
  latencyLimitMs: number;
}

/**
 * The soak: the session's members post at `perSec` deliveries/s (messages/s × groupSize)
 * for durationMs, each message under clientId `<clientIdPrefix><n>`; afterwards it waits
 * (at most drainLimitMs) until every post is answered, every acknowledged message reached
 * every member and every member's inbox shows its conversation's last message.
 */
export interface FanoutSoakJob {
  type: 'fanout-soak';
  session: string;
  /** Names the phase in progress lines ("warm-up", "minute"). */
  label: string;
  perSec: number;
  durationMs: number;
  /** Latency, acknowledgments and server CPU are kept per interval of this length. */
  intervalMs: number;
  /** Prefix of every clientId: the bench finds the phase's messages in the database by it. */
  clientIdPrefix: string;
  drainLimitMs: number;
}

export interface SoakInterval {
  fromSeconds: number;
  /** Messages due in the interval, and what became of them. */
  posted: number;
  acknowledged: number;
  failed: number;
  delivered: number;
  /** From when each message was due to its delivery, per member. */
  latency: Latency;
  /** messages.send round trip. */
  ackLatency: Latency;
  /** Share of one core used by the server processes. */
  serverCpu: number;
}

export interface FanoutSoak {
  label: string;
  clientIdPrefix: string;
  perSec: number;
  messagesPerSec: number;
  durationMs: number;
  posted: number;
  acknowledged: number;
  /** Answered with an error. */
  failed: number;
  /** Still without an answer when the drain limit passed. */
  unanswered: number;
  firstError: string;
  /** Message numbers (n of the clientId) posted without an acknowledgment: every one of them. */
  unacknowledgedMessages: number[];
  /** The first of them: the error, and how many members the message reached anyway. */
  unacknowledged: { message: number; error: string; reachedMembers: number }[];
  /** Acknowledged messages × the members of their conversation. */
  expectedDeliveries: number;
  /** Deliveries that arrived, duplicates included. */
  delivered: number;
  /** Members that never received an acknowledged message of their conversation. */
  missingDeliveries: number;
  /** Copies beyond the first a member received of one message. */
  duplicateDeliveries: number;
  /** Deliveries to a client outside the message's conversation. */
  misdelivered: number;
  /** Clients that received fewer messages than their conversation's acknowledged ones (the first few, by user id). */
  clientsShort: { userId: number; received: number; expected: number }[];
  shortClients: number;
  receivedPerClient: { min: number; max: number };
  inboxEventsPerClient: { min: number; max: number };
  /** Clients whose inbox's last summary does not show the last message their conversation stream delivered. */
  inboxBehind: number;
  inboxBehindUsers: number[];
  /** From the last post until everything was answered and delivered (or the limit). */
  drainMs: number;
  latency: Latency;
  ackLatency: Latency;
  serverCpu: number;
  loadCpu: number;
  intervals: SoakInterval[];
}

export interface FanoutCloseJob {
  type: 'fanout-close';
  session: string;
}

export interface FanoutStep {
  offeredPerSec: number;
  /** Deliveries that arrived (by the end of the drain) of the messages posted in the step, per second of the step. */
  deliveredPerSec: number;
  posted: number;
  expected: number;
  delivered: number;
  latency: Latency;
  /** Share of one core used by the server processes and by the load process during the step. */
  serverCpu: number;
  loadCpu: number;
  passed: boolean;
}

export interface FanoutRun {
  steps: FanoutStep[];
  /** Highest deliveries/s of a step whose p99 stayed within the limit. */
  maxPassingPerSec: number;
  postFailures: number;
}

export interface FanoutSweep extends FanoutRun {
  /** False when the server was still working off the last step long after it. */
  quiet: boolean;
}

export interface ConnectionsJob {
  type: 'connections';
  endpoint: Endpoint;
  clients: number;
  /** Parley: client i is user i+1 with an open inbox.onEvent subscription. */
  concurrency: number;
}

export interface ConnectionsHolding {
  connected: number;
  failed: number;
  firstError: string;
  connectMs: number;
}

export interface SendJob {
  type: 'send';
  endpoint: Endpoint;
  /** Each sender is its own user on its own socket, posting to its own conversation. */
  senders: { userId: number; conversationId: number }[];
  warmupMs: number;
  durationMs: number;
  /** Prefix of every clientId: the bench counts what was stored under it. */
  clientIdPrefix: string;
}

export interface SendRun {
  /** Sends acknowledged within the measured window. */
  acked: number;
  /** Every send acknowledged, warm-up and stragglers included: what the database must hold. */
  ackedTotal: number;
  failed: number;
  firstError: string;
  perSec: number;
  latency: Latency;
  /** Share of one core used by the server processes and by the load process in the window. */
  serverCpu: number;
  loadCpu: number;
}

export interface QueryJob {
  type: 'query';
  endpoint: Endpoint;
  userId: number;
  path: string;
  /** Used in turn, one per call. */
  inputs: unknown[];
  /** What each answer must hold, or the call counts as failed. */
  expect: { kind: 'inbox'; items: number } | { kind: 'history'; items: number };
  warmup: number;
  calls: number;
  /** Stops measuring after this long even if fewer calls were made (a slow target). */
  budgetMs: number;
}

export interface QueryRun {
  latency: Latency;
  failed: number;
  firstError: string;
}

export type Job = FanoutOpenJob | FanoutSweepJob | FanoutSoakJob | FanoutCloseJob | ConnectionsJob | SendJob | QueryJob;

export type ToLoad = { type: 'job'; job: Job } | { type: 'release' };
export type FromLoad =
  | { type: 'holding'; holding: ConnectionsHolding }
  | { type: 'result'; result: FanoutOpened | FanoutSweep | FanoutSoak | SendRun | QueryRun | { released: true } | { closed: true } }
  | { type: 'progress'; text: string }
  | { type: 'error'; message: string };
