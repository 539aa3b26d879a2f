/** What the bench asks of the load process, and what it answers (over the IPC channel). */
import type { Latency } from '../summary.ts';

export type Protocol = 'ws' | 'socketio' | 'parley';

export interface Endpoint {
  protocol: Protocol;
  /** One per instance; clients are spread over them in turn. */
  urls: string[];
  /** Server processes whose CPU time is reported per step. */
  pids: number[];
  /** Parley: the server's signing secret, to mint each user's token with the real token code. */
  jwtSecret?: string;
}

export interface FanoutJob {
  type: 'fanout';
  endpoint: Endpoint;
  /** Client i is user i+1 and joins room floor(i / groupSize) + 1. */
  clients: number;
  groupSize: number;
  /** Parley clients also hold inbox.onEvent, as the web app does. */
  inbox: boolean;
  /** Offered deliveries per second, step by step, until p99 passes latencyLimitMs. */
  ladder: number[];
  stepMs: number;
  /** How long after a step deliveries may still arrive before they count as late. */
  drainMs: number;
  latencyLimitMs: number;
  runs: number;
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

export type Job = FanoutJob | ConnectionsJob | SendJob | QueryJob;

export type ToLoad = { type: 'job'; job: Job } | { type: 'release' };
export type FromLoad =
  | { type: 'holding'; holding: ConnectionsHolding }
  | { type: 'result'; result: FanoutRun[] | SendRun | QueryRun | { released: true } }
  | { type: 'progress'; text: string }
  | { type: 'error'; message: string };
