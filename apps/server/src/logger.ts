/**
 * Structured JSON logs (pino). Tokens, passwords and secrets never reach a log line: the
 * code never logs them, and these redactions catch any that slip into a logged object.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.ts';

export type { Logger };

const REDACTED_PATHS = [
  'token',
  'password',
  'secret',
  'authorization',
  'connectionParams',
  '*.token',
  '*.password',
  '*.secret',
  '*.authorization',
  '*.connectionParams',
  'req.headers.authorization',
  'req.headers.cookie',
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'parley' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
