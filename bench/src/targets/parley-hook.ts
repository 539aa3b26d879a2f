/**
 * Loaded with `node --expose-gc --import` into a server the bench did not write (Parley's
 * own apps/server/src/main.ts), so the bench can ask it, over the IPC channel of fork():
 *  - for its memory after a full garbage collection;
 *  - to record a CPU profile of a chosen window (the inspector, in process), so the
 *    profile shows the workload and not the start-up, with the time of each plain-SQL
 *    statement in that window (the `parley:sql` diagnostics channel of packages/db), or
 *    an allocation profile (V8's sampling heap profiler, every object allocated, those
 *    collected since included: where the garbage comes from);
 *  - to stop, as an operator would: SIGTERM, and a second SIGTERM after a while, which
 *    makes main.ts exit without waiting.
 */
import type { StatementTiming } from '@parley/db';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import type { HeapProfiler } from 'node:inspector';
import { Session } from 'node:inspector/promises';
import { memoryAfterGc, type FromTarget, type ProfileKind, type StatementTotal, type ToTarget } from './control.ts';

/** packages/db's statementTimings, by name: the hook loads none of the server's modules (its types only). */
const SQL_CHANNEL = 'parley:sql';

const SECOND_SIGNAL_AFTER_MS = 10_000;
/** Sampling interval of the CPU profiler, in microseconds. */
const PROFILE_INTERVAL_US = 500;
/**
 * The allocation profile: a sample every 64 KiB allocated on average, kept when its object
 * is collected (flags of V8's protocol newer than Node's typings), so it counts what was
 * allocated, not what is still alive. It costs CPU time of its own: recorded in a window
 * of its own, never with a CPU profile.
 */
const ALLOCATION_SAMPLING: HeapProfiler.StartSamplingParameterType & {
  includeObjectsCollectedByMajorGC: boolean;
  includeObjectsCollectedByMinorGC: boolean;
} = { samplingInterval: 64 * 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true };

const reply = (message: FromTarget) => process.send?.(message);
/** The profile being recorded, if any. */
let recording: { session: Session; kind: ProfileKind } | null = null;
const statements = new Map<string, StatementTotal>();

function onStatement(message: unknown): void {
  const { sql, ms } = message as StatementTiming;
  const total = statements.get(sql);
  if (total) {
    total.calls += 1;
    total.ms += ms;
  } else statements.set(sql, { sql, calls: 1, ms });
}

async function startProfile(kind: ProfileKind): Promise<void> {
  if (recording) throw new Error('a profile is already being recorded');
  const session = new Session();
  session.connect();
  if (kind === 'cpu') {
    statements.clear();
    subscribe(SQL_CHANNEL, onStatement);
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: PROFILE_INTERVAL_US });
    await session.post('Profiler.start');
  } else {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', ALLOCATION_SAMPLING);
  }
  recording = { session, kind };
  reply({ type: 'profiling' });
}

async function stopProfile(path: string): Promise<void> {
  if (!recording) throw new Error('no profile is being recorded');
  const { session, kind } = recording;
  recording = null;
  if (kind === 'cpu') {
    const { profile } = await session.post('Profiler.stop');
    unsubscribe(SQL_CHANNEL, onStatement);
    writeFileSync(path, JSON.stringify(profile));
  } else {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(path, JSON.stringify(profile));
  }
  session.disconnect();
  reply({ type: 'profiled', path, statements: kind === 'cpu' ? [...statements.values()] : [] });
}

process.on('message', (message: ToTarget) => {
  if (message.type === 'memory') {
    reply(memoryAfterGc());
  } else if (message.type === 'profile-start') {
    startProfile(message.kind).catch((error: unknown) => console.error('bench: could not start the profiler', error));
  } else if (message.type === 'profile-stop') {
    stopProfile(message.path).catch((error: unknown) => console.error('bench: could not write the profile', error));
  } else if (message.type === 'stop') {
    stop();
  }
});
// Orphaned (the bench died or was interrupted): go too.
process.on('disconnect', stop);

function stop(): void {
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => process.kill(process.pid, 'SIGTERM'), SECOND_SIGNAL_AFTER_MS).unref();
}
