import { beforeEach, describe, expect, it } from 'vitest';
import { clearDrafts, createDraftStore, DRAFT_PREFIX } from './drafts.ts';
import { createSession, TOKEN_KEY } from './session.ts';

const limits = { maxLength: 20, maxDrafts: 3 };
const alice = (conversationId: number) => ({ userId: 1, conversationId });
const bob = (conversationId: number) => ({ userId: 2, conversationId });

/** A clock that moves one tick per write, so "oldest" is the order of the writes. */
function ticking() {
  let now = 0;
  return () => ++now;
}

/** A storage as private modes make it: reading works (nothing there), writing throws. */
class FullStorage implements Storage {
  private readonly items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(): void {
    throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  clear() {
    this.items.clear();
  }
  /** Puts an item in as an earlier, roomier moment would have. */
  seed(key: string, value: string) {
    this.items.set(key, value);
  }
}

describe('drafts', () => {
  beforeEach(() => sessionStorage.clear());

  it('keeps one draft per user and conversation, and never shows it for another', () => {
    const drafts = createDraftStore(sessionStorage, limits, ticking());
    drafts.write(alice(7), 'half a thought');
    drafts.write(alice(8), 'another');

    expect(drafts.read(alice(7))).toBe('half a thought');
    expect(drafts.read(alice(8))).toBe('another');
    expect(drafts.read(alice(9))).toBe('');
    expect(drafts.read(bob(7))).toBe('');
    // What a reload sees: a new store over the same storage.
    expect(createDraftStore(sessionStorage, limits).read(alice(7))).toBe('half a thought');
  });

  it('forgets a draft that is emptied (as after sending), and all of them on clearAll', () => {
    const drafts = createDraftStore(sessionStorage, limits, ticking());
    drafts.write(alice(7), 'sent soon');
    drafts.write(bob(7), 'bob too');
    drafts.write(alice(7), '');
    expect(drafts.read(alice(7))).toBe('');
    expect(sessionStorage.getItem(`${DRAFT_PREFIX}1:7`)).toBeNull();
    drafts.write(alice(8), '  \n ');
    expect(drafts.read(alice(8))).toBe('');

    sessionStorage.setItem('unrelated', 'stays');
    drafts.clearAll();
    expect(drafts.read(bob(7))).toBe('');
    expect(sessionStorage.length).toBe(1);
    expect(sessionStorage.getItem('unrelated')).toBe('stays');
  });

  it('keeps at most maxDrafts, dropping the least recently written', () => {
    const drafts = createDraftStore(sessionStorage, limits, ticking());
    drafts.write(alice(1), 'one');
    drafts.write(alice(2), 'two');
    drafts.write(alice(3), 'three');
    // Writing the first again makes it the newest: the second is now the oldest.
    drafts.write(alice(1), 'one, again');
    drafts.write(bob(4), 'four');

    expect(drafts.read(alice(2))).toBe('');
    expect([drafts.read(alice(1)), drafts.read(alice(3)), drafts.read(bob(4))]).toEqual(['one, again', 'three', 'four']);
    expect(sessionStorage.length).toBe(limits.maxDrafts);
  });

  it('keeps at most maxLength code points of a draft, never half an emoji', () => {
    const drafts = createDraftStore(sessionStorage, limits, ticking());
    drafts.write(alice(1), `${'a'.repeat(19)}😀😀`);
    expect(drafts.read(alice(1))).toBe(`${'a'.repeat(19)}😀`);
  });

  it('ignores what it cannot read', () => {
    const drafts = createDraftStore(sessionStorage, limits, ticking());
    sessionStorage.setItem(`${DRAFT_PREFIX}1:1`, 'not json');
    sessionStorage.setItem(`${DRAFT_PREFIX}1:2`, JSON.stringify({ text: 3, savedAt: 1 }));
    expect(drafts.read(alice(1))).toBe('');
    expect(drafts.read(alice(2))).toBe('');
  });

  it('works without keeping anything when storage is missing, full or blocked', () => {
    const none = createDraftStore(null, limits);
    none.write(alice(1), 'kept nowhere');
    expect(none.read(alice(1))).toBe('');
    none.clearAll();

    const full = new FullStorage();
    // An older version from before the storage filled up must not come back instead.
    full.seed(`${DRAFT_PREFIX}1:1`, JSON.stringify({ text: 'older', savedAt: 1 }));
    const drafts = createDraftStore(full, limits);
    expect(() => drafts.write(alice(1), 'newer')).not.toThrow();
    expect(drafts.read(alice(1))).toBe('');

    const blocked = new Proxy(full, {
      get: () => {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    });
    const blockedDrafts = createDraftStore(blocked, limits);
    expect(() => blockedDrafts.write(alice(1), 'x')).not.toThrow();
    expect(blockedDrafts.read(alice(1))).toBe('');
    expect(() => blockedDrafts.clearAll()).not.toThrow();
    expect(() => clearDrafts(blocked)).not.toThrow();
  });

  it('are all cleared when the session ends, here or in another tab', () => {
    localStorage.clear();
    const drafts = createDraftStore(sessionStorage, limits, ticking());
    const session = createSession(localStorage);
    session.signIn('token-1');
    drafts.write(alice(7), 'not for the next person');
    session.end();
    expect(drafts.read(alice(7))).toBe('');

    session.signIn('token-2');
    drafts.write(alice(7), 'still not');
    const unsubscribe = session.subscribe(() => undefined);
    localStorage.removeItem(TOKEN_KEY);
    window.dispatchEvent(new StorageEvent('storage', { key: TOKEN_KEY, newValue: null }));
    expect(drafts.read(alice(7))).toBe('');
    unsubscribe();
  });
});
