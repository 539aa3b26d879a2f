/**
 * Buffers what the bus delivers to one subscription until its generator takes it. Bounded:
 * past `limit` items the buffer is dropped and marked overflowed, and the subscription
 * repairs from the database instead (the log, not the buffer, is the source of truth).
 */
export class Mailbox<T> {
  readonly #limit: number;
  readonly #signal: AbortSignal;
  #items: T[] = [];
  #overflowed = false;
  #wake: (() => void) | null = null;
  readonly #onAbort = () => this.#wake?.();

  constructor(signal: AbortSignal, limit = 10_000) {
    this.#signal = signal;
    this.#limit = limit;
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  push(item: T): void {
    if (this.#items.length >= this.#limit) {
      this.#items = [];
      this.#overflowed = true;
    } else {
      this.#items.push(item);
    }
    this.#wake?.();
  }

  /**
   * Everything buffered, waiting until there is something (with `waitMs`, at most that long:
   * then perhaps nothing), or null once the signal aborts.
   */
  async take(waitMs?: number): Promise<{ items: T[]; overflowed: boolean } | null> {
    let timedOut = false;
    const timer =
      waitMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            this.#wake?.();
          }, waitMs);
    try {
      while (this.#items.length === 0 && !this.#overflowed && !timedOut) {
        if (this.#signal.aborted) return null;
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = null;
      }
    } finally {
      clearTimeout(timer);
    }
    if (this.#signal.aborted) return null;
    const taken = { items: this.#items, overflowed: this.#overflowed };
    this.#items = [];
    this.#overflowed = false;
    return taken;
  }

  close(): void {
    this.#signal.removeEventListener('abort', this.#onAbort);
    this.#wake?.();
  }
}
