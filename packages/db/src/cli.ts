/**
 * Database commands (run with `pnpm db <command>`):
 *   migration:create [name]  generate a migration per dialect from the entity changes
 *   migration:check          fail when entities and committed migrations drift apart
 *   migration:up             apply pending migrations to DATABASE_URL
 *   seed                     load the demo data into DATABASE_URL (when it is empty)
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIALECTS, migrationsPath, openDatabase, parseDatabaseUrl, type Dialect } from './orm.ts';
import { createScratchDatabase } from './scratch.ts';
import { pendingSchemaChanges } from './drift.ts';
import { seedDemoData } from './seed.ts';

const [command, ...args] = process.argv.slice(2);

async function onScratch<T>(dialect: Dialect, work: (orm: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>) {
  const scratch = await createScratchDatabase(dialect);
  const orm = await openDatabase(scratch.target);
  try {
    return await work(orm);
  } finally {
    await orm.close();
    await scratch.drop();
  }
}

switch (command) {
  case 'migration:create': {
    // One name for every dialect (migrations.test checks it), though each is stamped when it is generated.
    let name: string | undefined;
    for (const dialect of DIALECTS) {
      const result = await onScratch(dialect, (orm) => orm.migrator.create(undefined, false, false, args[0]));
      if (!result.fileName) {
        console.log(`${dialect}: no changes`);
        continue;
      }
      const generated = result.fileName.replace(/\.ts$/, '');
      name ??= generated;
      if (generated !== name) {
        const source = readFileSync(join(migrationsPath(dialect), result.fileName), 'utf8');
        writeFileSync(join(migrationsPath(dialect), `${name}.ts`), source.replaceAll(generated, name));
        unlinkSync(join(migrationsPath(dialect), result.fileName));
      }
      console.log(`${dialect}: created ${name}.ts`);
    }
    break;
  }
  case 'migration:check': {
    let drift = false;
    for (const dialect of DIALECTS) {
      const sql = await onScratch(dialect, pendingSchemaChanges);
      if (sql) {
        drift = true;
        console.error(`${dialect}: entities differ from the migrations; run \`pnpm db migration:create\`:\n${sql}`);
      } else console.log(`${dialect}: migrations match the entities`);
    }
    process.exitCode = drift ? 1 : 0;
    break;
  }
  case 'migration:up': {
    const orm = await openDatabase(parseDatabaseUrl(process.env.DATABASE_URL));
    await orm.close();
    console.log('migrations applied');
    break;
  }
  case 'seed': {
    const orm = await openDatabase(parseDatabaseUrl(process.env.DATABASE_URL));
    console.log(await seedDemoData(orm.em.fork()));
    await orm.close();
    break;
  }
  default:
    console.error('usage: pnpm db migration:create [name] | migration:check | migration:up | seed');
    process.exitCode = 2;
}
