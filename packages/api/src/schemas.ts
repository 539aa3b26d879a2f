/** Zod schemas shared by several routers. Every string and list has an explicit bound. */
import { z } from 'zod';
import { INPUT_LIMITS } from './limits.ts';

export const id = z.number().int().positive().max(2 ** 31 - 1);
export const seq = z.number().int().min(0).max(2 ** 31 - 1);

export const username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(INPUT_LIMITS.usernamePattern, '3–32 characters: letters, digits, _ . -');

export const password = z
  .string()
  .min(INPUT_LIMITS.passwordMin, `At least ${INPUT_LIMITS.passwordMin} characters`)
  .max(INPUT_LIMITS.passwordMax, `At most ${INPUT_LIMITS.passwordMax} characters`);

/**
 * For free text that reaches SQL: MikroORM inlines parameters into the statement, and a NUL
 * character breaks it on both dialects (a server error instead of a clear BAD_REQUEST).
 */
export const hasNoNul = (text: string) => !text.includes('\u0000');
export const NO_NUL_MESSAGE = 'Text cannot contain NUL characters';

export const displayName = z.string().trim().min(1).max(INPUT_LIMITS.displayNameMax).refine(hasNoNul, NO_NUL_MESSAGE);

export const title = z.string().trim().min(1).max(INPUT_LIMITS.titleMax).refine(hasNoNul, NO_NUL_MESSAGE);

/** Search text, matched with LIKE. */
export const searchText = z.string().trim().max(INPUT_LIMITS.searchMax).refine(hasNoNul, NO_NUL_MESSAGE);

/** Characters as people count them in a length limit: code points, so an emoji is one. */
export const characterCount = (text: string) => [...text].length;

/** A message body: 1–4000 characters after trimming, no NUL characters. */
export const messageBody = z
  .string()
  .max(INPUT_LIMITS.bodyMax * 4)
  .transform((body) => body.trim())
  .pipe(
    z
      .string()
      .min(1, 'A message cannot be empty')
      .refine(
        (body) => characterCount(body) <= INPUT_LIMITS.bodyMax,
        `A message can have at most ${INPUT_LIMITS.bodyMax} characters`,
      )
      .refine((body) => !body.includes('\u0000'), 'A message cannot contain NUL characters'),
  );

/** The sender's idempotency key for a send. */
export const clientId = z
  .string()
  .min(1)
  .max(INPUT_LIMITS.clientIdMax)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only');

export const pageLimit = z.number().int().min(1).max(INPUT_LIMITS.pageMax);
