/** The server's real pino logger, writing its JSON lines to memory so tests can read them. */
import type { LogLevel } from '../src/config.ts';
import { createLogger, type Logger } from '../src/logger.ts';

export interface CapturedLogs {
  logger: Logger;
  /** Every line written so far, as written. */
  lines: string[];
  /** The lines at `error` level or above (pino: 50 and up). */
  errors(): { msg?: string; err?: unknown }[];
}

export function captureLogs(level: LogLevel = 'debug'): CapturedLogs {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (line: string) => void lines.push(line) });
  return {
    logger,
    lines,
    errors: () =>
      lines
        .map((line) => JSON.parse(line) as { level: number; msg?: string; err?: unknown })
        .filter((entry) => entry.level >= 50),
  };
}
