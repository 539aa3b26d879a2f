/**
 * Database reads that repair live streams after lost signals, a few at a time per instance.
 *
 * A bus outage ends with a resync of every live stream at once, and each repairs from the
 * database (an inbox stream re-reads its most recent conversations). All at once, those
 * reads queue ahead of every other call: PostgreSQL's pool serves first come first, and on
 * SQLite the reads run back to back without letting a request in. With 300 inbox streams a
 * conversations.list made as they resynced waited for all of them (290-440 ms on
 * PostgreSQL, 150 ms on SQLite); ten thousand would stall the instance for many seconds.
 * Taken RECOVERIES_AT_ONCE at a time, with a turn of the event loop between one and the
 * next, the repairs go on in the background and other calls pass them.
 */
import type { ApiDeps } from '../context.ts';

const RECOVERIES_AT_ONCE = 2;

export class Recoveries {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  /** Runs `read` when a slot is free; null, without running it, if `signal` aborts first. */
  async run<T>(signal: AbortSignal, read: () => Promise<T>): Promise<T | null> {
    if (!(await this.#slot(signal))) return null;
    try {
      return await read();
    } finally {
      this.#pass();
    }
  }

  /** Resolves true holding a slot, or false (holding none) if `signal` aborts while waiting. */
  async #slot(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return false;
    if (this.#running < RECOVERIES_AT_ONCE) {
      this.#running += 1;
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const take = () => {
        signal.removeEventListener('abort', leave);
        // Aborted while the slot was on its way: it passes on.
        if (signal.aborted) {
          this.#pass();
          resolve(false);
        } else resolve(true);
      };
      const leave = () => {
        const index = this.#waiting.indexOf(take);
        if (index >= 0) this.#waiting.splice(index, 1);
        resolve(false);
      };
      this.#waiting.push(take);
      signal.addEventListener('abort', leave, { once: true });
    });
  }

  /** Frees the slot held, or hands it to the next waiter after a turn of the event loop (what waits for I/O goes first). */
  #pass(): void {
    const next = this.#waiting.shift();
    if (next) setImmediate(next);
    else this.#running -= 1;
  }
}

const perInstance = new WeakMap<ApiDeps, Recoveries>();

/** The recoveries of the instance these deps belong to. */
export function recoveriesOf(deps: ApiDeps): Recoveries {
  let recoveries = perInstance.get(deps);
  if (!recoveries) {
    recoveries = new Recoveries();
    perInstance.set(deps, recoveries);
  }
  return recoveries;
}
