/**
 * The event bus: live fan-out between the code that commits a change and every
 * subscription that must hear of it, on this instance or another. Pub/sub is allowed to be
 * lossy; delivery is not: subscribers repair gaps from the database (docs/ARCHITECTURE.md).
 *
 * Two implementations behind one interface: LocalEventBus (in process, the default) and
 * RedisEventBus (REDIS_URL, shared by every instance).
 */

/** A named channel whose messages have type T (the type exists only for the compiler). */
export interface Topic<T> {
  readonly name: string;
  /** Phantom field: never set, only carries T. */
  readonly __message?: T;
}

export const topic = <T>(name: string): Topic<T> => ({ name });

export type Unsubscribe = () => void;

export interface EventBus {
  /** Delivers `message` to every subscriber of `topic` on every instance, at most once. */
  publish<T>(topic: Topic<T>, message: T): Promise<void>;
  /** Calls `listener` for each message published to `topic` from now on. */
  subscribe<T>(topic: Topic<T>, listener: (message: T) => void): Unsubscribe;
  /**
   * Resolves once every subscribe() made so far receives messages (Redis confirmed the
   * SUBSCRIBE; at once in process). A subscription awaits it before reading the database,
   * so nothing published in between is missed. Never hangs: bounded by a command timeout.
   */
  ready(): Promise<void>;
  /**
   * Calls `listener` when messages may have been lost (the connection to Redis came back
   * after an outage), so subscribers can repair from the database.
   */
  onResync(listener: () => void): Unsubscribe;
  /** Local listeners across all topics, plus resync listeners: zero when nothing leaks. */
  listenerCount(): number;
  close(): Promise<void>;
}

/** In-process bus: synchronous fan-out to the listeners of one process. */
export class LocalEventBus implements EventBus {
  readonly #listeners = new Map<string, Set<(message: unknown) => void>>();
  readonly #resyncListeners = new Set<() => void>();
  readonly #onListenerError: ((error: unknown) => void) | undefined;

  /** `onListenerError` receives what a listener throws (e.g. to log it); by default it is rethrown later. */
  constructor(opts: { onListenerError?: (error: unknown) => void } = {}) {
    this.#onListenerError = opts.onListenerError;
  }

  async publish<T>(topic: Topic<T>, message: T): Promise<void> {
    deliver(this.#listeners.get(topic.name), message, this.#onListenerError);
  }

  subscribe<T>(topic: Topic<T>, listener: (message: T) => void): Unsubscribe {
    return addListener(this.#listeners, topic.name, listener as (message: unknown) => void);
  }

  async ready(): Promise<void> {}

  onResync(listener: () => void): Unsubscribe {
    this.#resyncListeners.add(listener);
    return () => this.#resyncListeners.delete(listener);
  }

  listenerCount(): number {
    return countListeners(this.#listeners) + this.#resyncListeners.size;
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    this.#resyncListeners.clear();
  }
}

/** Adds a listener to a topic's set; the returned function removes it (and the set when empty). */
export function addListener(
  listeners: Map<string, Set<(message: unknown) => void>>,
  name: string,
  listener: (message: unknown) => void,
  onFirst?: () => void,
  onLast?: () => void,
): Unsubscribe {
  let set = listeners.get(name);
  if (!set) {
    set = new Set();
    listeners.set(name, set);
    onFirst?.();
  }
  // Wrapped so the same function can subscribe twice and unsubscribe each once.
  const entry = (message: unknown) => listener(message);
  set.add(entry);
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    set.delete(entry);
    if (set.size === 0 && listeners.get(name) === set) {
      listeners.delete(name);
      onLast?.();
    }
  };
}

/** Calls each listener; one that throws does not stop the others (its error goes to `onError`). */
export function deliver(
  listeners: Set<(message: unknown) => void> | undefined,
  message: unknown,
  onError: (error: unknown) => void = rethrowLater,
): void {
  if (!listeners) return;
  for (const listener of [...listeners]) {
    try {
      listener(message);
    } catch (error) {
      onError(error);
    }
  }
}

function rethrowLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

export function countListeners(listeners: Map<string, Set<unknown>>): number {
  let count = 0;
  for (const set of listeners.values()) count += set.size;
  return count;
}
