import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createScratchDatabase, migrationsPath, openDatabase, pendingSchemaChanges, testDialects } from '../src/index.ts';
import { openTestDatabase } from './helpers.ts';

describe.each(testDialects())('migrations on %s', (dialect) => {
  // The drift check: an entity changed without `pnpm db migration:create` fails here (and in
  // `pnpm db:check`), because the migrated schema no longer matches what the entities describe.
  it('bring a new database exactly to the schema the entities describe', async () => {
    await using db = await openTestDatabase(dialect);
    expect(await pendingSchemaChanges(db.orm)).toBe('');
  });

  it('are all applied on open, and opening again (a server restart) applies nothing', async () => {
    await using db = await openTestDatabase(dialect);
    const committed = readdirSync(migrationsPath(dialect)).filter((file) => file.endsWith('.ts'));
    expect(committed.length).toBeGreaterThan(0);
    expect(await db.orm.migrator.getPending()).toEqual([]);
    expect(await db.orm.migrator.getExecuted()).toHaveLength(committed.length);

    const reopened = await openDatabase(db.target);
    try {
      expect(await reopened.migrator.getExecuted()).toHaveLength(committed.length);
    } finally {
      await reopened.close();
    }
  });
});

it('every dialect has the same migrations', () => {
  const names = (dialect: 'sqlite' | 'postgresql') =>
    readdirSync(migrationsPath(dialect)).filter((file) => file.endsWith('.ts')).sort();
  expect(names('postgresql')).toEqual(names('sqlite'));
});

describe.each(testDialects().filter((dialect) => dialect === 'postgresql'))('concurrent starts on %s', (dialect) => {
  it('let three instances open one new database at once: migrations are applied exactly once', async () => {
    const scratch = await createScratchDatabase(dialect);
    try {
      const orms = await Promise.all([openDatabase(scratch.target), openDatabase(scratch.target), openDatabase(scratch.target)]);
      const [first] = orms;
      if (!first) throw new Error('no database opened');
      const applied = await first.em.getConnection().execute('select name from mikro_orm_migrations');
      expect(applied).toHaveLength(readdirSync(migrationsPath(dialect)).filter((file) => file.endsWith('.ts')).length);
      await Promise.all(orms.map((orm) => orm.close()));
    } finally {
      await scratch.drop();
    }
  });
});

describe.each(testDialects().filter((dialect) => dialect === 'postgresql'))('hot rows on %s', (dialect) => {
  it('have conversations and participants vacuumed after 1,000 dead rows, whatever the size of the table', async () => {
    await using db = await openTestDatabase(dialect);
    const rows = await db.orm.em
      .getConnection()
      .execute<{ relname: string; reloptions: string[] }[]>(
        `select relname, reloptions from pg_class where relname in ('conversations', 'participants') and relkind = 'r' order by relname`,
      );
    const vacuumAfter = ['autovacuum_vacuum_scale_factor=0', 'autovacuum_vacuum_threshold=1000'];
    expect(rows).toEqual([
      { relname: 'conversations', reloptions: vacuumAfter },
      { relname: 'participants', reloptions: vacuumAfter },
    ]);
  });
});
