import { describe, expect, it } from 'vitest';
import { describeSendError } from './errors.ts';
import { apiError } from './test-fixtures.ts';

describe('describeSendError', () => {
  it('says how long to wait when sending too fast', () => {
    const limited = apiError('Too many requests, try again in 4 s', {
      code: 'TOO_MANY_REQUESTS',
      httpStatus: 429,
      path: 'messages.send',
      zodError: null,
      retryAfterMs: 3_200,
    });
    expect(describeSendError(limited)).toBe('You are sending too fast, try again in 4 s');
  });

});
