import Database from '/work/main/node_modules/.pnpm/better-sqlite3@13.0.3/node_modules/better-sqlite3/lib/index.js';
import { openDatabase, directSql, inboxPage } from '../src/index.ts';
const db = await openDatabase({ dialect: 'sqlite', location: '/tmp/inbox-full.db' });
const direct: any = await directSql(db.em.fork());
let captured: any;
const orig = direct.query;
direct.query = async (sql: string, params: unknown[]) => { captured = [sql, params]; return orig(sql, params); };
await inboxPage(db.em.fork(), { userId: 1, limit: 51, firstMembers: 5 });
direct.query = orig;
const [sql, params] = captured;
const ormNative: any = await (db.em.getConnection() as any).getNativeClient();
const raw = new Database('/tmp/inbox-full.db');
for (const round of [1, 2]) for (const [label, conn] of [['orm', ormNative], ['raw', raw]] as const) {
  const st = conn.prepare(sql);
  const ps = params.map((p: any) => (p instanceof Date ? p.getTime() : p));
  for (let i = 0; i < 100; i++) st.all(ps);
  const t = performance.now();
  for (let i = 0; i < 1000; i++) st.all(ps);
  console.log(round, label, ((performance.now() - t)).toFixed(0), 'µs per page statement');
}
raw.pragma('cache_size = -16000');
{ const st = raw.prepare(sql); const ps = params; for (let i = 0; i < 100; i++) st.all(ps); const t = performance.now(); for (let i = 0; i < 1000; i++) st.all(ps); console.log('raw 16MB', ((performance.now() - t)).toFixed(0)); }
await db.close();
