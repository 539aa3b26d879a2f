/**
 * Throw-away databases for tests and migration tooling: a temporary SQLite file, or a
 * fresh PostgreSQL database created next to PARLEY_TEST_POSTGRES_URL and dropped after.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseTarget, Dialect } from './orm.ts';

export interface ScratchDatabase {
  target: DatabaseTarget;
  drop(): Promise<void>;
}

/** The PostgreSQL server tests may use, or undefined when none is configured. */
export function testPostgresUrl(): string | undefined {
  return process.env.PARLEY_TEST_POSTGRES_URL || undefined;
}

export async function createScratchDatabase(dialect: Dialect): Promise<ScratchDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'parley-'));
    return {
      target: { dialect, location: join(dir, 'parley.db') },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }

  const adminUrl = testPostgresUrl();
  if (!adminUrl) throw new Error('PARLEY_TEST_POSTGRES_URL is not set (run scripts/test-services.sh)');
  const name = `parley_test_${randomBytes(6).toString('hex')}`;
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    target: { dialect, location: url.toString() },
    drop: () => withAdminClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
}

async function withAdminClient(url: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

let warnedNoPostgres = false;

/**
 * The dialects database tests run on: SQLite always, PostgreSQL when
 * PARLEY_TEST_POSTGRES_URL is set. In CI a missing PostgreSQL is an error, not a skip.
 */
export function testDialects(): Dialect[] {
  if (testPostgresUrl()) return ['sqlite', 'postgresql'];
  if (process.env.CI) throw new Error('CI must run the PostgreSQL tests: PARLEY_TEST_POSTGRES_URL is not set');
  if (!warnedNoPostgres) {
    warnedNoPostgres = true;
    console.warn('PostgreSQL tests NOT RUN: set PARLEY_TEST_POSTGRES_URL (eval "$(scripts/test-services.sh)")');
  }
  return ['sqlite'];
}
