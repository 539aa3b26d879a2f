import { describe, expect, it } from 'vitest';
import { deliveryOf, othersReading } from './read-receipts.ts';

describe('othersReading', () => {
  it("takes each other member's later marker, from the details or the live receipts, and only current members'", () => {
    const members = [
      { id: 1, displayName: 'Alice', lastReadSeq: 9 },
      { id: 2, displayName: 'Bob', lastReadSeq: 4 },
      { id: 3, displayName: 'Carol', lastReadSeq: 7 },
    ];
    // Me (1) left out; bob's receipt moved past the details; carol's is older than them; dave left.
    const live = new Map([
      [2, 8],
      [3, 5],
      [4, 20],
    ]);
    expect(othersReading(members, 1, live)).toEqual([
      { name: 'Bob', readUpTo: 8 },
      { name: 'Carol', readUpTo: 7 },
    ]);
    expect(othersReading([{ id: 1, displayName: 'Alice', lastReadSeq: 3 }], 1, live)).toEqual([]);
  });
});

describe('deliveryOf', () => {
  const reader = (name: string, readUpTo: number) => ({ name, readUpTo });

  it('names who has seen my message in a group, for a tooltip; a DM and notes need no names', () => {
    expect(deliveryOf(5, [reader('Bob', 4)])).toEqual({ label: 'Sent', detail: null });
    expect(deliveryOf(5, [reader('Bob', 5)])).toEqual({ label: 'Seen', detail: null });
    expect(deliveryOf(5, [])).toEqual({ label: 'Sent', detail: null });
    const group = [reader('Bob', 5), reader('Carol', 2), reader('Dave', 9)];
    expect(deliveryOf(5, group)).toEqual({ label: 'Seen by 2', detail: 'Seen by Bob, Dave' });
    expect(deliveryOf(2, group)).toEqual({ label: 'Seen by everyone', detail: 'Seen by Bob, Carol, Dave' });
    expect(deliveryOf(10, group)).toEqual({ label: 'Sent', detail: null });
  });

  it('lists ten names at most, and how many more', () => {
    const many = Array.from({ length: 14 }, (_, index) => reader(`R${index + 1}`, 3));
    expect(deliveryOf(3, many).detail).toBe('Seen by R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 and 4 more');
  });
});
