import { describe, expect, it } from 'vitest';
import { describeSendError, resendOf, UNAVAILABLE_RESEND_MS } from './errors.ts';
import { TRPCClientError } from '@trpc/client';
import { apiError } from './test-fixtures.ts';

describe('describeSendError', () => {
  it('says a send refused as not found went while I was not a member, not that the conversation is missing', () => {
    const refused = apiError('Conversation not found', { code: 'NOT_FOUND', httpStatus: 404, path: 'messages.send', zodError: null, retryAfterMs: null });
    expect(describeSendError(refused)).toBe('You were not a member of this conversation when you sent it');
  });

  it('says how long to wait when sending too fast', () => {
    const limited = apiError('Too many requests, try again in 4 s', {
      code: 'TOO_MANY_REQUESTS',
      httpStatus: 429,
      path: 'messages.send',
      zodError: null,
      retryAfterMs: 3_200,
    });
    expect(describeSendError(limited)).toBe('You are sending too fast: the limit lifts in 4 s.');
  });

  it('says what was wrong with the input in words, not as the validator\'s JSON', () => {
    const issues = JSON.stringify([{ code: 'custom', path: ['body'], message: 'A message cannot contain NUL characters' }], null, 2);
    const invalid = apiError(issues, {
      code: 'BAD_REQUEST',
      httpStatus: 400,
      path: 'messages.send',
      zodError: { formErrors: [], fieldErrors: { body: ['A message cannot contain NUL characters'] } },
      retryAfterMs: null,
    });
    expect(describeSendError(invalid)).toBe('A message cannot contain NUL characters');
  });
});

describe('resendOf', () => {
  const refusal = (code: 'TOO_MANY_REQUESTS' | 'SERVICE_UNAVAILABLE' | 'BAD_REQUEST' | 'NOT_FOUND', retryAfterMs?: number) =>
    apiError('refused', { code, httpStatus: 400, path: 'messages.send', zodError: null, retryAfterMs: retryAfterMs ?? null });

  it('sends again once online what got no answer, after the named wait what was limited, and never what was refused', () => {
    expect(resendOf(TRPCClientError.from(new TypeError('Failed to fetch')))).toEqual({ when: 'when-online' });
    expect(resendOf(refusal('TOO_MANY_REQUESTS', 8_500))).toEqual({ when: 'after-wait', waitMs: 8_500 });
    expect(resendOf(refusal('SERVICE_UNAVAILABLE'))).toEqual({ when: 'after-wait', waitMs: UNAVAILABLE_RESEND_MS });
    expect(resendOf(refusal('BAD_REQUEST'))).toBeNull();
    expect(resendOf(refusal('NOT_FOUND'))).toBeNull();
  });
});
