/**
 * Who is online: a user is online while at least one authenticated socket of theirs is
 * open. In-process here; the Redis-backed variant shares it across instances.
 */
export interface Presence {
  isOnline(userId: number): boolean;
}

export class LocalPresence implements Presence {
  readonly #sockets = new Map<number, number>();

  /** Counts an authenticated socket of `userId`; returns true when the user just came online. */
  connected(userId: number): boolean {
    const count = (this.#sockets.get(userId) ?? 0) + 1;
    this.#sockets.set(userId, count);
    return count === 1;
  }

  /** Returns true when the user's last socket closed. */
  disconnected(userId: number): boolean {
    const count = (this.#sockets.get(userId) ?? 0) - 1;
    if (count > 0) this.#sockets.set(userId, count);
    else this.#sockets.delete(userId);
    return count <= 0;
  }

  socketsOf(userId: number): number {
    return this.#sockets.get(userId) ?? 0;
  }

  isOnline(userId: number): boolean {
    return this.#sockets.has(userId);
  }
}
