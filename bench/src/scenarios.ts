/**
 * The scenarios of `pnpm bench`, each against a set of targets: deploy, drive from the load
 * process, measure, tear down. Every figure is kept per run; report.ts takes medians.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { countStored, deploy, putBehind, type Deployment, type TargetSpec } from './deploy.ts';
import type { Dataset } from './dataset.ts';
import { directsFixture, groupsFixture, inboxFixture, usersFixture } from './fixtures.ts';
import type { ConnectionsHolding, Endpoint, FanoutOpened, FanoutRun, FanoutSweep, QueryJob, QueryRun, SendRun } from './load/jobs.ts';
import type { LoadProcess } from './processes.ts';

export interface Settings {
  runs: number;
  fanout: {
    clients: number;
    groupSize: number;
    /** Offered deliveries/s, step by step, until p99 passes latencyLimitMs. */
    ladder: number[];
    warmUpPerSec: number;
    /** Latency is reported at this rate (when the ladder reached it). */
    reportRate: number;
    stepMs: number;
    drainMs: number;
    latencyLimitMs: number;
    inbox: boolean;
  };
  connections: { clients: number; concurrency: number };
  send: { senders: number; warmupMs: number; durationMs: number };
  inbox: {
    users: number;
    conversations: number;
    messages: number;
    focusConversations: number;
    historyMessages: number;
    /** Then the same page with the user this many seqs behind in each of their conversations. */
    behind: number;
    pageSize: number;
    warmup: number;
    calls: number;
    /** Per run of a query: fewer calls when a target is that slow. */
    budgetMs: number;
  };
}

export const FULL: Settings = {
  runs: 3,
  fanout: {
    clients: 1_000,
    groupSize: 10,
    ladder: [100, 250, 500, 1_000, 2_500, 5_000, 10_000, 20_000, 30_000, 45_000, 60_000, 90_000, 120_000, 160_000, 240_000],
    warmUpPerSec: 500,
    reportRate: 20_000,
    stepMs: 1_500,
    drainMs: 1_000,
    latencyLimitMs: 100,
    inbox: true,
  },
  connections: { clients: 10_000, concurrency: 100 },
  send: { senders: 50, warmupMs: 1_000, durationMs: 5_000 },
  inbox: { users: 2_000, conversations: 20_000, messages: 2_000_000, focusConversations: 1_000, historyMessages: 100_000, behind: 100_000, pageSize: 50, warmup: 50, calls: 2_000, budgetMs: 15_000 },
};

export const QUICK: Settings = {
  runs: 1,
  fanout: { ...FULL.fanout, clients: 200, ladder: [100, 250, 500, 1_000, 2_000, 5_000, 10_000, 20_000], stepMs: 1_000, drainMs: 500 },
  connections: { clients: 1_000, concurrency: 100 },
  send: { senders: 50, warmupMs: 500, durationMs: 2_000 },
  inbox: { users: 500, conversations: 2_000, messages: 100_000, focusConversations: 100, historyMessages: 10_000, behind: 10_000, pageSize: 50, warmup: 10, calls: 100, budgetMs: 4_000 },
};

export interface Context {
  settings: Settings;
  load: LoadProcess;
  redisUrl: string | undefined;
  log: (text: string) => void;
}

/** A target's outcome in a scenario: its runs, or why there are none. */
export type Outcome<T> = { target: string; runs: T[]; error?: string; notes?: string[] };

async function withDeployment<T>(
  ctx: Context,
  spec: TargetSpec,
  data: Dataset | undefined,
  work: (deployment: Deployment) => Promise<T>,
): Promise<T> {
  const deployment = await deploy(spec, {
    data,
    redisUrl: ctx.redisUrl,
    onSeeded: (seconds) => seconds > 2 && ctx.log(`  seeded in ${seconds.toFixed(1)} s`),
  });
  try {
    return await work(deployment);
  } finally {
    await deployment.close();
  }
}

/** Runs `work` per target, keeping a failure as that target's outcome instead of ending the bench. */
async function perTarget<T>(ctx: Context, scenario: string, targets: TargetSpec[], work: (spec: TargetSpec) => Promise<Outcome<T>>): Promise<Outcome<T>[]> {
  const outcomes: Outcome<T>[] = [];
  for (const spec of targets) {
    ctx.log(`${scenario} · ${spec.label}`);
    const started = performance.now();
    try {
      outcomes.push(await work(spec));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      ctx.log(`  FAILED: ${message}`);
      outcomes.push({ target: spec.id, runs: [], error: message.slice(0, 2_000) });
    }
    ctx.log(`  (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  return outcomes;
}

// ---------------------------------------------------------------- fan-out

/**
 * Every target deployed and connected at once, then run 1 of each, run 2 of each, and so
 * on: a change in the machine's load during the bench hits every target alike, so their
 * ratios hold. The servers not being measured sit idle with their clients connected.
 */
export async function fanout(ctx: Context, targets: TargetSpec[]): Promise<Outcome<FanoutRun>[]> {
  const s = ctx.settings.fanout;
  const rooms = Math.ceil(s.clients / s.groupSize);
  const live: { spec: TargetSpec; deployment: Deployment | null; outcome: Outcome<FanoutRun>; done: boolean }[] = [];
  const fail = (entry: (typeof live)[number], error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    ctx.log(`  FAILED: ${message}`);
    entry.outcome.error = message.slice(0, 2_000);
    entry.done = true;
  };
  try {
    for (const spec of targets) {
      const entry = { spec, deployment: null as Deployment | null, outcome: { target: spec.id, runs: [], notes: [] } as Outcome<FanoutRun>, done: false };
      live.push(entry);
      ctx.log(`fan-out · ${spec.label}: ${s.clients} clients in conversations of ${s.groupSize}`);
      try {
        entry.deployment = await deploy(spec, { data: spec.protocol === 'parley' ? groupsFixture(rooms, s.groupSize) : undefined, redisUrl: ctx.redisUrl });
        const opened = await ctx.load.run<FanoutOpened>({
          type: 'fanout-open',
          session: spec.id,
          endpoint: entry.deployment.endpoint,
          clients: s.clients,
          groupSize: s.groupSize,
          inbox: s.inbox,
          warmUpPerSec: s.warmUpPerSec,
          warmUpMs: s.stepMs,
        });
        if (!opened.quiet) {
          // It cannot even work off the warm-up: that is its only, failed, run.
          entry.outcome.runs.push({ steps: [opened.warmUp], maxPassingPerSec: 0, postFailures: 0 });
          entry.outcome.notes?.push(`still busy ${s.warmUpPerSec} deliveries/s warm-up long after it: not measured further`);
          entry.done = true;
        }
      } catch (error) {
        fail(entry, error);
      }
    }
    for (let r = 0; r < ctx.settings.runs; r++) {
      for (const entry of live) {
        if (entry.done) continue;
        ctx.log(`fan-out · run ${r + 1} · ${entry.spec.label}`);
        try {
          const { quiet, ...run } = await ctx.load.run<FanoutSweep>({
            type: 'fanout-sweep',
            session: entry.spec.id,
            ladder: s.ladder,
            stepMs: s.stepMs,
            drainMs: s.drainMs,
            latencyLimitMs: s.latencyLimitMs,
          });
          entry.outcome.runs.push(run);
          if (!quiet) {
            entry.outcome.notes?.push(`run ${r + 1} left a backlog: no further runs`);
            entry.done = true;
          }
        } catch (error) {
          fail(entry, error);
        }
      }
    }
  } finally {
    for (const entry of live) {
      await ctx.load.run({ type: 'fanout-close', session: entry.spec.id }).catch(() => undefined);
      await entry.deployment?.close();
    }
  }
  return live.map((entry) => entry.outcome);
}

// ---------------------------------------------------------------- connections

export interface ConnectionsRun extends ConnectionsHolding {
  rssBefore: number;
  rssAfter: number;
  heapBefore: number;
  heapAfter: number;
  /** Resident memory added per connection, in bytes. */
  rssPerConnection: number;
}

/** Each run on a fresh server: memory after GC, before and with every client connected and idle. */
export function connections(ctx: Context, targets: TargetSpec[]): Promise<Outcome<ConnectionsRun>[]> {
  const s = ctx.settings.connections;
  return perTarget(ctx, 'connections', targets, async (spec) => {
    const runs: ConnectionsRun[] = [];
    for (let r = 0; r < ctx.settings.runs; r++) {
      const data = spec.protocol === 'parley' ? usersFixture(s.clients) : undefined;
      runs.push(
        await withDeployment(ctx, spec, data, async (deployment) => {
          const memory = async () => {
            const all = await Promise.all(deployment.servers.map((server) => server.memory()));
            return { rss: all.reduce((sum, m) => sum + m.rss, 0), heapUsed: all.reduce((sum, m) => sum + m.heapUsed, 0) };
          };
          const before = await memory();
          let result: ConnectionsRun | undefined;
          await ctx.load.run({ type: 'connections', endpoint: deployment.endpoint, clients: s.clients, concurrency: s.concurrency }, async (holding) => {
            // Idle for a moment: sockets settle, the server finishes its per-connection work.
            await sleep(2_000);
            const after = await memory();
            const perConnection = holding.connected > 0 ? (after.rss - before.rss) / holding.connected : Number.NaN;
            result = { ...holding, rssBefore: before.rss, rssAfter: after.rss, heapBefore: before.heapUsed, heapAfter: after.heapUsed, rssPerConnection: perConnection };
            ctx.log(
              `  run ${r + 1}: ${holding.connected} connected in ${(holding.connectMs / 1000).toFixed(1)} s` +
                `${holding.failed ? `, ${holding.failed} failed (${holding.firstError})` : ''}; ` +
                `RSS ${(before.rss / 2 ** 20).toFixed(0)} → ${(after.rss / 2 ** 20).toFixed(0)} MiB = ${(perConnection / 1024).toFixed(1)} KiB per connection`,
            );
          });
          if (!result) throw new Error('the load process never held its connections');
          if (result.failed > 0) throw new Error(`${result.failed} of ${s.clients} clients could not connect: ${result.firstError}`);
          return result;
        }),
      );
    }
    return { target: spec.id, runs };
  });
}

// ---------------------------------------------------------------- send path

export interface SendPathRun extends SendRun {
  /** Rows stored under the run's clientIds, counted in the database afterwards. */
  stored: number;
}

/** 50 users each send to their own DM, one message after another, over their own socket. */
export function sendPath(ctx: Context, targets: TargetSpec[]): Promise<Outcome<SendPathRun>[]> {
  const s = ctx.settings.send;
  return perTarget(ctx, 'send path', targets, (spec) =>
    withDeployment(ctx, spec, directsFixture(s.senders), async (deployment) => {
      const runs: SendPathRun[] = [];
      const notes: string[] = [];
      for (let r = 0; r < ctx.settings.runs; r++) {
        const prefix = `send${r}-`;
        const run = await ctx.load.run<SendRun>({
          type: 'send',
          endpoint: deployment.endpoint,
          senders: Array.from({ length: s.senders }, (_, i) => ({ userId: i + 1, conversationId: i + 1 })),
          warmupMs: s.warmupMs,
          durationMs: s.durationMs,
          clientIdPrefix: prefix,
        });
        const stored = deployment.database ? await countStored(deployment.database, prefix) : Number.NaN;
        ctx.log(
          `  run ${r + 1}: ${Math.round(run.perSec)} sends/s, p50 ${run.latency.p50.toFixed(1)} ms p99 ${run.latency.p99.toFixed(1)} ms, ` +
            `server CPU ${Math.round(run.serverCpu * 100)}% load CPU ${Math.round(run.loadCpu * 100)}%; ` +
            `${run.ackedTotal} acknowledged, ${stored} stored${run.failed ? `, ${run.failed} failed (${run.firstError})` : ''}`,
        );
        // Every acknowledged send is in the database, and nothing else is.
        if (stored !== run.ackedTotal) notes.push(`run ${r + 1}: ${run.ackedTotal} sends acknowledged but ${stored} stored`);
        runs.push({ ...run, stored });
      }
      return { target: spec.id, runs, notes };
    }),
  );
}

// ---------------------------------------------------------------- inbox and history

/** A target's outcomes in the query scenarios. */
export interface QueryOutcome {
  target: string;
  inboxFull: Outcome<QueryRun>;
  inboxTenth: Outcome<QueryRun>;
  /** The full-size page again, the user far behind in every conversation (a return from a long absence). */
  inboxBehind: Outcome<QueryRun>;
  history: Outcome<QueryRun>;
}

/**
 * conversations.list (a page with unread counts) for a user with many conversations, on a
 * large database and on one a tenth of its size, and on the large one with the user far
 * behind; messages.list deep in a long conversation.
 */
export async function queries(ctx: Context, targets: TargetSpec[]): Promise<QueryOutcome[]> {
  const s = ctx.settings.inbox;
  const results = [];
  for (const spec of targets) {
    const outcome = { target: spec.id, inboxFull: empty(spec), inboxTenth: empty(spec), inboxBehind: empty(spec), history: empty(spec) };
    for (const size of ['full', 'tenth'] as const) {
      const scale = size === 'full' ? 1 : 0.1;
      const label = `inbox (${size === 'full' ? 'full size' : 'a tenth'}) · ${spec.label}`;
      ctx.log(label);
      const started = performance.now();
      try {
        const fixture = inboxDataset(s, { scale, history: size === 'full' });
        ctx.log(
          `  ${fixture.data.messages.at.length.toLocaleString('en-US')} messages, ${fixture.data.conversations.kind.length.toLocaleString('en-US')} conversations, ` +
            `user ${fixture.focusUserId} in ${fixture.data.conversations.members.filter((m) => m.includes(fixture.focusUserId)).length}`,
        );
        await withDeployment(ctx, spec, fixture.data, async (deployment) => {
          const inboxRuns: QueryRun[] = [];
          for (let r = 0; r < ctx.settings.runs; r++) {
            const run = await ctx.load.run<QueryRun>(inboxListJob(s, deployment.endpoint, fixture.focusUserId, s));
            ctx.log(`  run ${r + 1}: conversations.list p50 ${run.latency.p50.toFixed(2)} ms p99 ${run.latency.p99.toFixed(2)} ms${failures(run)}`);
            inboxRuns.push(run);
          }
          outcome[size === 'full' ? 'inboxFull' : 'inboxTenth'] = { target: spec.id, runs: inboxRuns };
          const history = fixture.historyConversationId;
          if (history === null) return;
          // Unread counts must cost neither the unread messages nor the history.
          if (!deployment.database) throw new Error('the inbox scenario needs a Parley deployment with a database');
          const unread = await putBehind(deployment.database, fixture.focusUserId, s.behind, s.pageSize);
          ctx.log(`  user ${fixture.focusUserId} put ${s.behind.toLocaleString('en-US')} seqs behind in each conversation: ${unread.toLocaleString('en-US')} unread on the first page`);
          const behindRuns: QueryRun[] = [];
          for (let r = 0; r < ctx.settings.runs; r++) {
            const run = await ctx.load.run<QueryRun>(inboxListJob(s, deployment.endpoint, fixture.focusUserId, s));
            ctx.log(`  run ${r + 1} (behind): conversations.list p50 ${run.latency.p50.toFixed(2)} ms p99 ${run.latency.p99.toFixed(2)} ms${failures(run)}`);
            behindRuns.push(run);
          }
          outcome.inboxBehind = { target: spec.id, runs: behindRuns };
          const historyRuns: QueryRun[] = [];
          // Pages ending at seqs spread over the deep middle of the conversation.
          const deep = Array.from({ length: 97 }, (_, i) => ({
            conversationId: history,
            before: Math.round(s.historyMessages * (0.1 + (0.8 * ((i * 37) % 97)) / 97)),
            limit: s.pageSize,
          }));
          for (let r = 0; r < ctx.settings.runs; r++) {
            const run = await ctx.load.run<QueryRun>({
              type: 'query',
              endpoint: deployment.endpoint,
              userId: fixture.focusUserId,
              path: 'messages.list',
              inputs: deep,
              expect: { kind: 'history', items: s.pageSize },
              warmup: s.warmup,
              calls: s.calls,
              budgetMs: s.budgetMs,
            });
            ctx.log(`  run ${r + 1}: messages.list (deep) p50 ${run.latency.p50.toFixed(2)} ms p99 ${run.latency.p99.toFixed(2)} ms${failures(run)}`);
            historyRuns.push(run);
          }
          outcome.history = { target: spec.id, runs: historyRuns };
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        ctx.log(`  FAILED: ${message}`);
        const failed = { target: spec.id, runs: [], error: message.slice(0, 2_000) };
        if (size === 'full') {
          outcome.inboxFull = failed;
          outcome.inboxBehind = failed;
          outcome.history = failed;
        } else outcome.inboxTenth = failed;
      }
      ctx.log(`  (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
    results.push(outcome);
  }
  return results;
}

/** The inbox scenario's database: full size (scale 1) or a fraction of it, with the long conversation for history or not. */
export function inboxDataset(s: Settings['inbox'], { scale, history }: { scale: number; history: boolean }) {
  return inboxFixture({
    users: s.users,
    conversations: Math.round(s.conversations * scale),
    messages: Math.round(s.messages * scale),
    focusConversations: s.focusConversations,
    historyMessages: history ? s.historyMessages : 0,
    seed: 42,
  });
}

/** The inbox scenario's call: a page of conversations.list for the dataset's user, which must hold a full page with unread counts. */
export function inboxListJob(s: Settings['inbox'], endpoint: Endpoint, userId: number, counts: Pick<QueryJob, 'warmup' | 'calls' | 'budgetMs'>): QueryJob {
  const { warmup, calls, budgetMs } = counts;
  return {
    type: 'query',
    endpoint,
    userId,
    path: 'conversations.list',
    inputs: [{ limit: s.pageSize }],
    expect: { kind: 'inbox', items: s.pageSize },
    warmup,
    calls,
    budgetMs,
  };
}

const empty = (spec: TargetSpec): Outcome<QueryRun> => ({ target: spec.id, runs: [], error: 'not run' });
const failures = (run: QueryRun) => (run.failed ? `, ${run.failed} failed (${run.firstError})` : '');

