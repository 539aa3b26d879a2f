/**
 * The worker of checkpoints.ts: its own connection to the database file, checkpointing the
 * WAL every `everyMs` until told to stop. Runs as plain Node (type stripping), so only
 * erasable TypeScript here.
 */
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

/** The slice of better-sqlite3 used here (its own types are not a dependency; see direct-sql.ts). */
type SqliteDatabase = new (file: string, options: { fileMustExist: boolean }) => { pragma(sql: string): unknown; close(): void };
const Database = createRequire(import.meta.url)('better-sqlite3') as SqliteDatabase;

const { file, everyMs } = workerData as { file: string; everyMs: number };
const db = new Database(file, { fileMustExist: true });
// As the server's connection: the checkpoint syncs the WAL before and the database after.
db.pragma('synchronous = NORMAL');

const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy (another checkpoint running) or a transient error: the next turn tries again.
  }
}, everyMs);

parentPort?.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
parentPort?.postMessage('ready');
