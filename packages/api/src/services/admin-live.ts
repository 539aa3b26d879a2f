/** admin.onStats: every instance's live figures, now and then every report interval. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiDeps } from '../context.ts';
import type { LiveStats } from '../realtime/live-stats.ts';

/** Yields the live figures at once and then every `deps.liveStats.reportMs` until `signal` aborts. */
export async function* liveStatsStream(deps: ApiDeps, signal: AbortSignal): AsyncGenerator<LiveStats> {
  while (!signal.aborted) {
    yield await deps.liveStats.current();
    try {
      await sleep(deps.liveStats.reportMs, undefined, { signal });
    } catch {
      // Aborted: the client left.
      return;
    }
  }
}
