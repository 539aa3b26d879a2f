import { describe, expect, it } from 'vitest';
import { othersReadUpTo } from './read-receipts.ts';

describe('othersReadUpTo', () => {
  it("takes each other member's later marker, from the details or the live receipts, and only current members'", () => {
    const members = [
      { id: 1, lastReadSeq: 9 },
      { id: 2, lastReadSeq: 4 },
      { id: 3, lastReadSeq: 7 },
    ];
    // Me (1) left out; bob's receipt moved past the details; carol's is older than them; dave left.
    const live = new Map([
      [2, 8],
      [3, 5],
      [4, 20],
    ]);
    expect(othersReadUpTo(members, 1, live)).toEqual([8, 7]);
    expect(othersReadUpTo([{ id: 1, lastReadSeq: 3 }], 1, live)).toEqual([]);
  });
});
