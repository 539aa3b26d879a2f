/**
 * Unsent drafts, one per signed-in user and conversation, kept in the tab's sessionStorage:
 * they survive a reload and moving between conversations, and go when the tab closes, so a
 * shared computer keeps nothing. Every storage call may throw (private modes, a full quota):
 * then drafts simply are not kept, and the composer works as before.
 */
import { keysWithPrefix, removeKeysWithPrefix } from './tab-storage.ts';

export interface DraftKey {
  userId: number;
  conversationId: number;
}

export interface DraftLimits {
  /** Longer drafts are cut to this many code points (what the server would accept at most). */
  maxLength: number;
  /** Beyond this many drafts the least recently written ones are dropped. */
  maxDrafts: number;
}

export interface DraftStore {
  /** The saved draft, or '' when there is none (or storage is unavailable). */
  read: (key: DraftKey) => string;
  /** Saves the draft; '' (or only whitespace) removes it. */
  write: (key: DraftKey, text: string) => void;
  /** Every user's drafts, as on sign-out. */
  clearAll: () => void;
}

export const DRAFT_PREFIX = 'parley.draft:';
export const DEFAULT_MAX_DRAFTS = 50;

interface StoredDraft {
  text: string;
  /** When it was last written, to find the oldest beyond the limit. */
  savedAt: number;
}

const userPrefix = (userId: number) => `${DRAFT_PREFIX}${userId}:`;
const storageKey = ({ userId, conversationId }: DraftKey) => `${userPrefix(userId)}${conversationId}`;

/** `now` is injectable so tests can order drafts without waiting between writes. */
export function createDraftStore(storage: Storage | null, limits: DraftLimits, now: () => number = Date.now): DraftStore {
  return {
    read: (key) => {
      try {
        return parse(storage?.getItem(storageKey(key)) ?? null)?.text ?? '';
      } catch {
        return '';
      }
    },
    write: (key, text) => {
      if (!storage) return;
      const id = storageKey(key);
      try {
        if (text.trim() === '') {
          storage.removeItem(id);
          return;
        }
        const isNew = storage.getItem(id) === null;
        const stored: StoredDraft = { text: cutToCodePoints(text, limits.maxLength), savedAt: now() };
        storage.setItem(id, JSON.stringify(stored));
        if (isNew) dropOldest(storage, limits.maxDrafts);
      } catch {
        // Full or blocked: at least do not bring back an older version of this draft later.
        try {
          storage.removeItem(id);
        } catch {
          // Nothing more to do: the draft lives only in the composer.
        }
      }
    },
    clearAll: () => clearDrafts(storage),
  };
}

/** Removes the drafts in `storage`: every user's (this tab signs out), or all but `keptUserId`'s. */
export function clearDrafts(storage: Storage | null, keptUserId: number | null = null): void {
  removeKeysWithPrefix(storage, DRAFT_PREFIX, (key) => keptUserId !== null && key.startsWith(userPrefix(keptUserId)));
}

function dropOldest(storage: Storage, maxDrafts: number): void {
  const ids = keysWithPrefix(storage, DRAFT_PREFIX);
  if (ids.length <= maxDrafts) return;
  // Unreadable entries count as oldest, so they go first.
  const byAge = ids.map((id) => ({ id, savedAt: parse(storage.getItem(id))?.savedAt ?? 0 })).sort((a, b) => a.savedAt - b.savedAt);
  for (const { id } of byAge.slice(0, ids.length - maxDrafts)) storage.removeItem(id);
}

function parse(raw: string | null): StoredDraft | null {
  if (raw === null) return null;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null || !('text' in value) || !('savedAt' in value)) return null;
    const { text, savedAt } = value;
    return typeof text === 'string' && typeof savedAt === 'number' ? { text, savedAt } : null;
  } catch {
    return null;
  }
}

/** Code points, as the server counts: never splits an emoji's surrogate pair. */
function cutToCodePoints(text: string, max: number): string {
  const points = [...text];
  return points.length <= max ? text : points.slice(0, max).join('');
}
