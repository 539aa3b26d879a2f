/**
 * Who is online: a user is online while at least one authenticated socket of theirs is
 * open on any instance. LocalPresence counts this process's sockets; RedisPresence shares
 * the counts across instances (an instance that dies drops out when its entries expire).
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
  close(): Promise<void>;
}

export class LocalPresence implements Presence {
  readonly #sockets = new Map<number, number>();

  async connected(userId: number): Promise<boolean> {
    const count = (this.#sockets.get(userId) ?? 0) + 1;
    this.#sockets.set(userId, count);
    return count === 1;
  }

  async disconnected(userId: number): Promise<boolean> {
    const count = (this.#sockets.get(userId) ?? 0) - 1;
    if (count > 0) {
      this.#sockets.set(userId, count);
      return false;
    }
    this.#sockets.delete(userId);
    return true;
  }

  async onlineAmong(userIds: readonly number[]): Promise<Set<number>> {
    return new Set(userIds.filter((id) => this.#sockets.has(id)));
  }

  localSocketsOf(userId: number): number {
    return this.#sockets.get(userId) ?? 0;
  }

  async close(): Promise<void> {
    this.#sockets.clear();
  }
}
