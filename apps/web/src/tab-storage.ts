/**
 * What this tab keeps for its signed-in user in sessionStorage (drafts.ts, outbox.ts): it
 * survives a reload and goes when the tab closes. Every call may throw (privacy settings,
 * a full quota); callers then keep nothing.
 */

/** The tab's sessionStorage, or null where touching it throws (some privacy settings). */
export function tabSessionStorage(): Storage | null {
  try {
    return typeof window === 'undefined' ? null : window.sessionStorage;
  } catch {
    return null;
  }
}

/** The browser's localStorage, shared by the origin's tabs, or null where touching it throws. */
export function browserLocalStorage(): Storage | null {
  try {
    return typeof window === 'undefined' ? null : window.localStorage;
  } catch {
    return null;
  }
}

/** The keys of `storage` that start with `prefix`. */
export function keysWithPrefix(storage: Storage, prefix: string): string[] {
  // Collected first: removing while walking by index would skip keys.
  const keys: string[] = [];
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i);
    if (key?.startsWith(prefix)) keys.push(key);
  }
  return keys;
}

/** Removes every entry whose key starts with `prefix` (all users', as on sign-out), but those `kept` (one user's). */
export function removeKeysWithPrefix(storage: Storage | null, prefix: string, kept: (key: string) => boolean = () => false): void {
  if (!storage) return;
  try {
    for (const key of keysWithPrefix(storage, prefix)) if (!kept(key)) storage.removeItem(key);
  } catch {
    // Storage blocked: nothing was kept.
  }
}
