/**
 * Entry point: `node src/main.ts [--seed-demo]`. Reads the configuration, starts the
 * server, and shuts it down gracefully on SIGTERM/SIGINT (a second signal forces the exit).
 */
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createLogger } from './logger.ts';
import { startServer, type RunningServer } from './server.ts';

let config: Config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A person fixes these: a plain list, no stack trace.
  process.stderr.write(`Parley cannot start. ${error.message}\n`);
  process.exit(1);
}

const logger = createLogger(config.logLevel);

process.on('unhandledRejection', (reason) => {
  logger.fatal({ err: reason }, 'unhandled promise rejection');
  process.exit(1);
});
process.on('uncaughtException', (error) => {
  logger.fatal({ err: error }, 'uncaught exception');
  process.exit(1);
});

let server: RunningServer;
try {
  server = await startServer(config, { seedDemo: process.argv.includes('--seed-demo'), logger });
} catch (error) {
  logger.fatal({ err: error }, error instanceof Error ? `Parley could not start: ${error.message}` : 'Parley could not start');
  process.exit(1);
}

let stopping = false;
function stop(signal: NodeJS.Signals): void {
  if (stopping) {
    logger.warn({ signal }, 'second signal: exiting without waiting');
    process.exit(1);
  }
  stopping = true;
  logger.info({ signal }, 'stopping');
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
