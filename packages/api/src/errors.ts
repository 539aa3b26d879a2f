/** Errors services raise, with the codes of the design's error table. */
import { TRPCError } from '@trpc/server';

/** A validation failure found by a service rather than by a schema (e.g. an unknown user id). */
export class FieldError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/** BAD_REQUEST with a field error, reported like a schema's field errors. */
export function badInput(field: string, message: string): TRPCError {
  return new TRPCError({ code: 'BAD_REQUEST', message, cause: new FieldError(field, message) });
}

/** NOT_FOUND for a conversation that does not exist or that the caller is not in: the same answer. */
export function conversationNotFound(): TRPCError {
  return new TRPCError({ code: 'NOT_FOUND', message: 'Conversation not found' });
}
