import { TypingTracker } from './live-metrics.ts';

/**
 * Who is online: a user is online while at least one authenticated socket of theirs is
 * open on any instance; and who is typing where, for someone who opens a conversation while
 * another is typing. LocalPresence keeps both in this process; RedisPresence shares them
 * across instances (an instance that dies drops out when its entries expire).
 */
export interface Presence {
  /** Counts an authenticated socket of `userId` on this instance; true when the user just came online. */
  connected(userId: number): Promise<boolean>;
  /** Uncounts one; true when the user's last socket anywhere closed. */
  disconnected(userId: number): Promise<boolean>;
  /** The users among `userIds` who are online now. */
  onlineAmong(userIds: readonly number[]): Promise<Set<number>>;
  /** Sockets of `userId` open on this instance (for the per-user socket cap). */
  localSocketsOf(userId: number): number;
  /** Distinct users with a socket on this instance. */
  localUserCount(): number;
  /** Distinct users online on any instance (a user on two instances counts once). */
  onlineCount(): Promise<number>;
  /** Distinct users whose typing signal went through this instance and has not ended or expired (a live figure). */
  localTypingUsers(): number;
  /**
   * Remembers that `userId` is typing in `conversationId` for `ttlMs` more (or stopped), so
   * that whoever opens the conversation later sees them at once (typingIn). Those already
   * watching hear of it on the bus. Never rejects: typing is worth no failed call.
   */
  setTyping(userId: number, conversationId: number, typing: boolean, ttlMs: number): Promise<void>;
  /** Who is typing in `conversationId` now, each with the milliseconds their signal has left. */
  typingIn(conversationId: number): Promise<Map<number, number>>;
  close(): Promise<void>;
}

/** This instance's authenticated sockets per user: the part of presence every backend keeps locally. */
export class SocketCounts {
  readonly #counts = new Map<number, number>();

  /** Counts a socket; true when it is the user's first here. */
  add(userId: number): boolean {
    const count = (this.#counts.get(userId) ?? 0) + 1;
    this.#counts.set(userId, count);
    return count === 1;
  }

  /** Uncounts a socket; true when it was the user's last here. */
  remove(userId: number): boolean {
    const count = (this.#counts.get(userId) ?? 0) - 1;
    if (count > 0) {
      this.#counts.set(userId, count);
      return false;
    }
    this.#counts.delete(userId);
    return true;
  }

  of(userId: number): number {
    return this.#counts.get(userId) ?? 0;
  }

  has(userId: number): boolean {
    return this.#counts.has(userId);
  }

  users(): number[] {
    return [...this.#counts.keys()];
  }

  get size(): number {
    return this.#counts.size;
  }

  clear(): void {
    this.#counts.clear();
  }
}

/** Presence of one process: online = a socket open here. */
export class LocalPresence implements Presence {
  readonly #sockets = new SocketCounts();
  readonly #typing = new TypingTracker();

  async connected(userId: number): Promise<boolean> {
    return this.#sockets.add(userId);
  }

  async disconnected(userId: number): Promise<boolean> {
    return this.#sockets.remove(userId);
  }

  async onlineAmong(userIds: readonly number[]): Promise<Set<number>> {
    return new Set(userIds.filter((id) => this.#sockets.has(id)));
  }

  localSocketsOf(userId: number): number {
    return this.#sockets.of(userId);
  }

  localUserCount(): number {
    return this.#sockets.size;
  }

  async onlineCount(): Promise<number> {
    return this.#sockets.size;
  }

  localTypingUsers(): number {
    return this.#typing.users();
  }

  async setTyping(userId: number, conversationId: number, typing: boolean, ttlMs: number): Promise<void> {
    this.#typing.set(userId, conversationId, typing, ttlMs);
  }

  async typingIn(conversationId: number): Promise<Map<number, number>> {
    return this.#typing.in(conversationId);
  }

  async close(): Promise<void> {
    this.#sockets.clear();
    this.#typing.clear();
  }
}
