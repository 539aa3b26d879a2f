import { openDatabase, directSql } from '../src/index.ts';
const db = await openDatabase({ dialect: 'sqlite', location: '/tmp/inbox-full.db' });
const conn = db.em.getConnection();
for (const p of ['journal_mode', 'synchronous', 'cache_size', 'foreign_keys', 'mmap_size', 'temp_store', 'locking_mode', 'page_size', 'cache_spill', 'query_only', 'automatic_index', 'recursive_triggers', 'case_sensitive_like']) {
  console.log(p, JSON.stringify(await conn.execute(`pragma ${p}`)));
}
const native: any = await (conn as any).getNativeClient();
console.log('native keys', Object.keys(native), native.constructor?.name, native.memory, native.readonly);
await db.close();
