import { openDatabase, inboxPage, membersOf, directSql, type DatabaseTarget } from '../src/index.ts';
const target: DatabaseTarget = process.argv[2]!.startsWith('postgres') ? { dialect: 'postgresql', location: process.argv[2]! } : { dialect: 'sqlite', location: process.argv[2]! };
const db = await openDatabase(target);
const em = () => db.em.fork();
const time = async (label: string, f: () => Promise<unknown>) => {
  for (let i = 0; i < 20; i++) await f();
  const t: number[] = [];
  for (let i = 0; i < 200; i++) { const s = performance.now(); await f(); t.push(performance.now() - s); }
  t.sort((a, b) => a - b);
  console.log(label, 'p50', t[100]!.toFixed(3), 'p99', t[198]!.toFixed(3));
};
const page = await inboxPage(em(), { userId: 1, limit: 51, firstMembers: 5 });
const pairs = page.slice(0, 50).flatMap((r) => r.namedMembers.map((m) => ({ conversationId: r.conversation.id, userId: m.userId })));
console.log('pairs', pairs.length);
await time('inboxPage', () => inboxPage(em(), { userId: 1, limit: 51, firstMembers: 5 }));
await time('membersOf', () => membersOf(em(), pairs));
if (target.dialect === 'postgresql') {
  const direct = await directSql(em());
  const spy = direct.query.bind(direct);
  let captured: [string, unknown[]] | undefined;
  (direct as any).query = async (sql: string, params: unknown[]) => { captured = [sql, params]; return spy(sql, params); };
  for (const [label, run] of [['inboxPage', () => inboxPage(em(), { userId: 1, limit: 51, firstMembers: 5 })], ['membersOf', () => membersOf(em(), pairs)]] as const) {
    await run();
    const [sql, params] = captured!;
    let i = 0;
    const text = sql.replace(/\?/g, () => `$${++i}`);
    const plan = await db.em.getConnection().execute(`explain (analyze, buffers) ${sql}`, params as any[]);
    console.log(label, '\n' + (plan as any[]).map((r) => r['QUERY PLAN']).join('\n'));
  }
}
await db.close();
