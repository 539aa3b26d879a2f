/**
 * Loaded with `node --expose-gc --import` into a server the bench did not write (Parley's
 * own apps/server/src/main.ts), so the bench can ask it, over the IPC channel of fork():
 *  - for its memory after a full garbage collection;
 *  - to record a CPU profile of a chosen window (the inspector, in process), so the
 *    profile shows the workload and not the start-up, with the time of each plain-SQL
 *    statement in that window (the `parley:sql` diagnostics channel of packages/db);
 *  - to stop, as an operator would: SIGTERM, and a second SIGTERM after a while, which
 *    makes main.ts exit without waiting.
 */
import type { StatementTiming } from '@parley/db';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { memoryAfterGc, type FromTarget, type StatementTotal, type ToTarget } from './control.ts';

/** packages/db's statementTimings, by name: the hook loads none of the server's modules (its types only). */
const SQL_CHANNEL = 'parley:sql';

const SECOND_SIGNAL_AFTER_MS = 10_000;
/** Sampling interval of the CPU profiler, in microseconds. */
const PROFILE_INTERVAL_US = 500;

const reply = (message: FromTarget) => process.send?.(message);
let session: Session | null = null;
const statements = new Map<string, StatementTotal>();

function onStatement(message: unknown): void {
  const { sql, ms } = message as StatementTiming;
  const total = statements.get(sql);
  if (total) {
    total.calls += 1;
    total.ms += ms;
  } else statements.set(sql, { sql, calls: 1, ms });
}

async function startProfile(): Promise<void> {
  statements.clear();
  subscribe(SQL_CHANNEL, onStatement);
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: PROFILE_INTERVAL_US });
  await session.post('Profiler.start');
  reply({ type: 'profiling' });
}

async function stopProfile(path: string): Promise<void> {
  if (!session) throw new Error('no profile is being recorded');
  const { profile } = await session.post('Profiler.stop');
  unsubscribe(SQL_CHANNEL, onStatement);
  session.disconnect();
  session = null;
  writeFileSync(path, JSON.stringify(profile));
  reply({ type: 'profiled', path, statements: [...statements.values()] });
}

process.on('message', (message: ToTarget) => {
  if (message.type === 'memory') {
    reply(memoryAfterGc());
  } else if (message.type === 'profile-start') {
    startProfile().catch((error: unknown) => console.error('bench: could not start the profiler', error));
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
