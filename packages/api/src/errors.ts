/** Errors services raise, with the codes of the design's error table. */
import { ConnectionException } from '@parley/db';
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

/** SERVICE_UNAVAILABLE for a database that cannot serve right now. */
export function databaseUnavailable(cause: unknown): TRPCError {
  return new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'The database is unavailable, try again shortly', cause });
}

/** Errors that mean "the database cannot serve right now", not "this request is wrong". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  // PostgreSQL: shutting down, starting up, too many connections, database gone.
  '57P01', '57P02', '57P03', '53300', '3D000',
  // SQLite: still locked after the busy timeout, disk I/O failure, disk full.
  'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR', 'SQLITE_FULL',
]);

/** What node-postgres says, without an error code, when a connection dies or cannot be had. */
const UNAVAILABLE_MESSAGES = /Connection terminated|not queryable|timeout exceeded when trying to connect|Connection ended/i;

/** Whether `error` means the database is unreachable or overloaded (a lost connection, a refused one, a busy file). */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof ConnectionException) return true;
  // The driver's error may be wrapped (MikroORM keeps it as `cause`): look a few levels down.
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 4; depth++) {
    const code = 'code' in current ? String(current.code) : '';
    // PostgreSQL class 08 is "connection exception".
    if (UNAVAILABLE_CODES.has(code) || code.startsWith('08')) return true;
    if (current instanceof Error && UNAVAILABLE_MESSAGES.test(current.message)) return true;
    current = 'cause' in current ? current.cause : undefined;
  }
  return false;
}
