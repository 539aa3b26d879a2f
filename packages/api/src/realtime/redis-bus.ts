/**
 * The event bus over Redis pub/sub, shared by every server instance. One connection
 * publishes; one subscribes, to a Redis channel per topic that has local listeners (the
 * first listener SUBSCRIBEs, the last one UNSUBSCRIBEs). Messages travel as JSON, and an
 * instance hears its own messages through Redis like everyone else's, so all instances see
 * one order per channel.
 *
 * Pub/sub is lossy by design: a message published while a subscriber is disconnected is
 * gone. So after the subscriber reconnects, it subscribes again and then tells every
 * onResync listener to repair from the database; and an instance whose publishes failed
 * during an outage broadcasts a resync once it is back, for instances that never noticed.
 */
import type { Redis } from 'ioredis';
import { addListener, countListeners, deliver, type EventBus, type Topic, type Unsubscribe } from './bus.ts';
import {
  closeRedis,
  connectRedis,
  RedisHealth,
  type RealtimeLogger,
  type RedisConnectionOptions,
} from './redis-connection.ts';

/** publish() failed because Redis is unreachable (already logged once by the bus; nothing is lost). */
export class BusUnavailableError extends Error {
  override readonly name = 'BusUnavailableError';
}

export interface RedisEventBusOptions extends RedisConnectionOptions {
  url: string;
  logger: RealtimeLogger;
  /**
   * Prepended to every Redis channel (ioredis' keyPrefix does not apply to pub/sub), so
   * deployments or test files sharing one Redis do not hear each other.
   */
  channelPrefix?: string;
  /** Names the connections in Redis' CLIENT LIST (e.g. the instance id). */
  connectionName?: string;
  /** Shared with the instance's other Redis connections, so an outage is logged once in all. */
  health?: RedisHealth;
}

type Listener = (message: unknown) => void;

export class RedisEventBus implements EventBus {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #logger: RealtimeLogger;
  readonly #health: RedisHealth;
  readonly #topicPrefix: string;
  readonly #resyncChannel: string;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #resyncListeners = new Set<() => void>();
  /** SUBSCRIBEs in flight, for ready(). They never reject (failures are handled where sent). */
  readonly #pending = new Set<Promise<void>>();
  #publishFailed = false;
  #closed = false;

  /** Connects both connections; rejects with a clear error when Redis is unreachable. */
  static async connect(options: RedisEventBusOptions): Promise<RedisEventBus> {
    const health = options.health ?? new RedisHealth(options.logger);
    const name = options.connectionName ?? 'parley';
    const publisher = await connectRedis(options.url, `${name}:publisher`, health, options);
    try {
      const subscriber = await connectRedis(options.url, `${name}:subscriber`, health, options);
      return new RedisEventBus(publisher, subscriber, health, options);
    } catch (error) {
      await closeRedis(publisher);
      throw error;
    }
  }

  private constructor(publisher: Redis, subscriber: Redis, health: RedisHealth, options: RedisEventBusOptions) {
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#health = health;
    this.#logger = options.logger;
    const prefix = options.channelPrefix ?? 'parley:';
    this.#topicPrefix = `${prefix}topic:`;
    // Outside the topic namespace, so no topic name can collide with it.
    this.#resyncChannel = `${prefix}bus:resync`;

    subscriber.on('message', (channel: string, text: string) => this.#onMessage(channel, text));
    // Every 'ready' after the first (which connect() awaited) ends an outage.
    subscriber.on('ready', () => this.#resubscribeAndResync());
    publisher.on('ready', () => this.#announceResyncIfPublishesFailed());
  }

  async publish<T>(topic: Topic<T>, message: T): Promise<void> {
    if (this.#closed) throw new BusUnavailableError('the event bus is closed');
    const text = JSON.stringify(message);
    try {
      await this.#publisher.publish(this.#topicChannel(topic.name), text);
      this.#announceResyncIfPublishesFailed();
    } catch (error) {
      this.#publishFailed = true;
      this.#health.commandFailed('publish', error);
      const reason = error instanceof Error ? error.message : String(error);
      throw new BusUnavailableError(`Redis publish to "${topic.name}" failed: ${reason}`, { cause: error });
    }
  }

  subscribe<T>(topic: Topic<T>, listener: (message: T) => void): Unsubscribe {
    const channel = this.#topicChannel(topic.name);
    return addListener(
      this.#listeners,
      topic.name,
      listener as Listener,
      () => this.#redisSubscribe(channel),
      () => this.#redisUnsubscribe(channel),
    );
  }

  async ready(): Promise<void> {
    await Promise.all(this.#pending);
  }

  onResync(listener: () => void): Unsubscribe {
    // Wrapped so the same function can register twice and unregister each once.
    const entry = () => listener();
    if (this.#resyncListeners.size === 0) this.#redisSubscribe(this.#resyncChannel);
    this.#resyncListeners.add(entry);
    return () => {
      if (!this.#resyncListeners.delete(entry)) return;
      if (this.#resyncListeners.size === 0) this.#redisUnsubscribe(this.#resyncChannel);
    };
  }

  listenerCount(): number {
    return countListeners(this.#listeners) + this.#resyncListeners.size;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    this.#resyncListeners.clear();
    await Promise.all([closeRedis(this.#publisher), closeRedis(this.#subscriber)]);
  }

  #topicChannel(name: string): string {
    return `${this.#topicPrefix}${name}`;
  }

  #onMessage(channel: string, text: string): void {
    if (channel === this.#resyncChannel) {
      this.#fireResync();
      return;
    }
    if (!channel.startsWith(this.#topicPrefix)) return;
    const listeners = this.#listeners.get(channel.slice(this.#topicPrefix.length));
    if (!listeners) return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (error) {
      this.#logger.error({ channel, error }, 'Malformed message on the event bus dropped');
      return;
    }
    deliver(listeners, message, (error) => this.#logger.error({ channel, error }, 'An event bus listener threw'));
  }

  /**
   * Our failed publishes may have been missed by instances whose own connections stayed up
   * (a partition, a timeout): once publishing works again (a reconnect, or a publish that
   * succeeds), tell every instance, this one included, to repair from the database.
   */
  #announceResyncIfPublishesFailed(): void {
    if (!this.#publishFailed || this.#closed) return;
    this.#publishFailed = false;
    this.#publisher.publish(this.#resyncChannel, '{}').catch(() => {
      this.#publishFailed = true;
    });
  }

  #fireResync(): void {
    for (const listener of [...this.#resyncListeners]) {
      try {
        listener();
      } catch (error) {
        this.#logger.error({ error }, 'An event bus resync listener threw');
      }
    }
  }

  /** While disconnected nothing is sent: #resubscribeAndResync restores every live channel. */
  #redisSubscribe(channel: string): void {
    if (this.#closed || this.#subscriber.status !== 'ready') return;
    this.#track(this.#subscriber.subscribe(channel));
  }

  #redisUnsubscribe(channel: string): void {
    if (this.#closed || this.#subscriber.status !== 'ready') return;
    // A failure means the connection dropped: the next one starts with no subscriptions.
    this.#subscriber.unsubscribe(channel).catch(() => undefined);
  }

  #resubscribeAndResync(): void {
    if (this.#closed) return;
    const channels = [...this.#listeners.keys()].map((name) => this.#topicChannel(name));
    if (this.#resyncListeners.size > 0) channels.push(this.#resyncChannel);
    const resubscribed = channels.length > 0 ? this.#subscriber.subscribe(...channels) : Promise.resolve();
    // Only once the subscriptions are back can a repair from the database leave no gap.
    this.#track(resubscribed.then(() => this.#fireResync()));
  }

  /**
   * Remembers a SUBSCRIBE until it settles (for ready()). If it fails while the connection
   * still looks up (a timeout), reconnecting is the way back to a known set of subscriptions:
   * the next 'ready' subscribes to every live channel again and triggers a resync.
   */
  #track(subscribed: Promise<unknown>): void {
    const settled = subscribed.then(
      () => undefined,
      (error: unknown) => {
        if (this.#closed || this.#subscriber.status !== 'ready') return;
        this.#logger.warn({ error }, 'Redis SUBSCRIBE failed: reconnecting the subscriber');
        this.#subscriber.disconnect(true);
      },
    );
    this.#pending.add(settled);
    void settled.then(() => this.#pending.delete(settled));
  }
}
