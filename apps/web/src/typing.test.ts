import { describe, expect, it } from 'vitest';
import { typingLabel } from './typing.ts';

describe('typingLabel', () => {
  it('names one or two typists and counts more', () => {
    expect(typingLabel([])).toBe('');
    expect(typingLabel(['Bob'])).toBe('Bob is typing…');
    expect(typingLabel(['Bob', 'Carol'])).toBe('Bob and Carol are typing…');
    expect(typingLabel(['Bob', 'Carol', 'Dan'])).toBe('3 people are typing…');
  });
});
