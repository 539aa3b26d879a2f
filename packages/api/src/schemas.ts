/** Zod schemas shared by several routers. Every string and list has an explicit bound. */
import { z } from 'zod';
import { INPUT_LIMITS } from './limits.ts';

export const id = z.number().int().positive().max(2 ** 31 - 1);
export const seq = z.number().int().min(0).max(2 ** 31 - 1);
/** A tracked event id, as tRPC hands it back on reconnect: the seq as a string. */
export const eventId = z.string().regex(/^\d{1,10}$/, 'An event id is a seq');

export const username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(INPUT_LIMITS.usernamePattern, '3–32 characters: letters, digits, _ . -');

export const password = z
  .string()
  .min(INPUT_LIMITS.passwordMin, `At least ${INPUT_LIMITS.passwordMin} characters`)
  .max(INPUT_LIMITS.passwordMax, `At most ${INPUT_LIMITS.passwordMax} characters`);

/** Characters as people count them in a length limit: code points, so an emoji is one. */
export const characterCount = (value: string) => [...value].length;

/**
 * No NUL: MikroORM inlines parameters into the statement, and a NUL breaks it on both
 * dialects (a server error instead of a clear BAD_REQUEST).
 */
export const hasNoNul = (value: string) => !value.includes('\u0000');

/**
 * Free text as people type it: trimmed, 1..max characters (code points), well-formed
 * Unicode (a lone surrogate would be stored as U+FFFD and come back different), no NUL.
 */
export function text(label: string, max: number, { allowEmpty = false } = {}) {
  return (
    z
      .string()
      // Bounds the work of trimming and counting before the real limit is applied.
      .max(max * 4 + 256, `${label} can have at most ${max} characters`)
      .transform((value) => value.trim())
      .refine((value) => allowEmpty || value.length > 0, `${label} cannot be empty`)
      .refine((value) => characterCount(value) <= max, `${label} can have at most ${max} characters`)
      .refine((value) => value.isWellFormed(), `${label} is not valid Unicode text`)
      .refine(hasNoNul, `${label} cannot contain NUL characters`)
  );
}

export const displayName = text('A display name', INPUT_LIMITS.displayNameMax);

export const title = text('A title', INPUT_LIMITS.titleMax);

/** Search text, matched with LIKE; blank means no filter. */
export const searchText = text('Search text', INPUT_LIMITS.searchMax, { allowEmpty: true });

/** A message body: 1–4000 characters after trimming. */
export const messageBody = text('A message', INPUT_LIMITS.bodyMax);

/** The sender's idempotency key for a send. */
export const clientId = z
  .string()
  .min(1)
  .max(INPUT_LIMITS.clientIdMax)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only');

export const pageLimit = z.number().int().min(1).max(INPUT_LIMITS.pageMax);
