/**
 * Interrupted (Ctrl-C), a bench still deletes what it created: a full-size scratch database
 * is hundreds of MiB in /tmp, or a PostgreSQL database. Servers and the load process go by
 * themselves when the bench does (they watch its IPC channel).
 */

/** What to delete if the bench is interrupted now. */
const toDrop = new Set<() => Promise<unknown>>();

/** Deletes `drop`'s leftovers if the bench is interrupted; returns what to call once that is no longer needed. */
export function dropOnInterrupt(drop: () => Promise<unknown>): () => void {
  if (toDrop.size === 0) process.once('SIGINT', interrupted);
  toDrop.add(drop);
  return () => {
    toDrop.delete(drop);
    if (toDrop.size === 0) process.off('SIGINT', interrupted);
  };
}

function interrupted(): void {
  console.error('interrupted: deleting the scratch databases');
  // The work under way fails as its database goes (a seeding connection is terminated): nothing of it matters now.
  process.on('uncaughtException', () => undefined);
  void Promise.allSettled([...toDrop].map((drop) => drop())).finally(() => process.exit(130));
}
