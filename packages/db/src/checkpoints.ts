/**
 * SQLite's WAL checkpoints on a thread of their own (docs/ARCHITECTURE.md, "Performance").
 *
 * Every commit appends pages to the WAL; a checkpoint copies them into the database file and
 * syncs both files. By default the connection that commits runs one whenever the WAL passes
 * 1,000 pages: at 3,000 sends/s that is ~18 times a second, each 1.5–7 ms here, all of it
 * on the server's event loop, where it stalls every call and every delivery. Instead a
 * second connection in a worker thread checkpoints a few times a second. PASSIVE: it never
 * waits for the writer or blocks it, and it changes no row, so the ORM's read-then-write
 * transactions cannot conflict with it (a second *writing* connection would make them fail
 * with SQLITE_BUSY_SNAPSHOT). The server's connection keeps a checkpoint threshold of its
 * own, ten times higher, in case the worker falls behind.
 */
import { Worker } from 'node:worker_threads';
import { dialectOf, type Database } from './orm.ts';

/** How often the worker checkpoints. */
const CHECKPOINT_EVERY_MS = 100;
/** The committing connection's own threshold while the worker runs (pages; SQLite's default is 1,000). */
const BACKSTOP_PAGES = 10_000;
const DEFAULT_PAGES = 1_000;

export interface Checkpoints {
  /** Ends the worker (after the checkpoint it may be running) and gives the checkpoints back to the server's connection. */
  stop(): Promise<void>;
}

/** Starts checkpointing a SQLite database file in a worker thread; a no-op for PostgreSQL and in-memory SQLite. */
export async function startCheckpoints(db: Database, everyMs = CHECKPOINT_EVERY_MS): Promise<Checkpoints> {
  const em = db.em.fork();
  const file = db.config.get('dbName');
  if (dialectOf(em) !== 'sqlite' || !file || file === ':memory:') return { stop: async () => undefined };
  const worker = new Worker(new URL('./checkpoint-worker.ts', import.meta.url), { workerData: { file, everyMs } });
  // A server that forgets to stop it still exits.
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  await em.getConnection().execute(`pragma wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  let stopping: Promise<void> | null = null;
  return {
    stop: () =>
      (stopping ??= (async () => {
        // Held again while it stops: otherwise a process with nothing else left to do exits here.
        worker.ref();
        worker.postMessage('stop');
        await exited;
        await em.getConnection().execute(`pragma wal_autocheckpoint = ${DEFAULT_PAGES}`);
      })()),
  };
}
