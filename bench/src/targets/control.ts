/**
 * How the bench drives a server under test from outside: each target runs as its own
 * process (forked with an IPC channel), says where it listens, and on request reports its
 * memory after a full garbage collection (started with --expose-gc) or shuts down.
 */
import { getHeapStatistics } from 'node:v8';

/** What a profile records: where the CPU time goes, or what is allocated (see parley-hook.ts). */
export type ProfileKind = 'cpu' | 'allocations';
export type ToTarget = { type: 'memory' } | { type: 'stop' } | { type: 'profile-start'; kind: ProfileKind } | { type: 'profile-stop'; path: string };
export type FromTarget =
  | { type: 'ready'; url: string }
  | { type: 'memory'; rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number; v8Malloced: number }
  | { type: 'profiling' }
  | { type: 'profiled'; path: string; statements: StatementTotal[] };

/** One SQL text's plain-SQL statements while a profile was recorded (packages/db's statementTimings). */
export interface StatementTotal {
  sql: string;
  calls: number;
  ms: number;
}

const STOP_DEADLINE_MS = 10_000;

declare const gc: (() => void) | undefined;

/** This process's memory after a full garbage collection (when started with --expose-gc). */
export function memoryAfterGc(): Extract<FromTarget, { type: 'memory' }> {
  // Twice: the first pass can leave finalizers whose objects only the second frees.
  if (typeof gc === 'function') {
    gc();
    gc();
  }
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  return { type: 'memory', rss, heapUsed, heapTotal, external, arrayBuffers, v8Malloced: getHeapStatistics().malloced_memory };
}

export function serveControl(url: string, close: () => Promise<void>): void {
  const send = (message: FromTarget) => process.send?.(message);
  process.on('message', (message: ToTarget) => {
    if (message.type === 'memory') {
      send(memoryAfterGc());
    } else if (message.type === 'stop') {
      // A server that is still working off an overload gets a while to close cleanly, then
      // exits anyway (a normal exit, so --cpu-prof still writes its profile).
      const deadline = setTimeout(() => process.exit(0), STOP_DEADLINE_MS);
      close().then(
        () => process.exit(0),
        (error: unknown) => {
          clearTimeout(deadline);
          console.error(error);
          process.exit(1);
        },
      );
    }
  });
  // Orphaned (the bench died): go too.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', url });
}
