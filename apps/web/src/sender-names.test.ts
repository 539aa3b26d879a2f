import { describe, expect, it } from 'vitest';
import { lookupBatches, USER_LOOKUP_MAX } from './sender-names.ts';

describe('lookupBatches', () => {
  it('asks for each id once, sorted, so the same senders are the same request', () => {
    expect(lookupBatches([7, 3, 7, 12, 3])).toEqual([[3, 7, 12]]);
    expect(lookupBatches([])).toEqual([]);
  });

  it('splits more ids than one call takes into calls the API accepts', () => {
    const ids = Array.from({ length: 2 * USER_LOOKUP_MAX + 1 }, (_, index) => index + 1);
    expect(lookupBatches(ids.reverse()).map((batch) => [batch.length, batch[0]])).toEqual([
      [USER_LOOKUP_MAX, 1],
      [USER_LOOKUP_MAX, USER_LOOKUP_MAX + 1],
      [1, 2 * USER_LOOKUP_MAX + 1],
    ]);
  });
});
