/**
 * Demo data for the quick start: alice, bob, carol and an admin (password `parley-demo`),
 * a DM, a group, notes to self and a few hundred messages over the last two weeks, the
 * newest of them unread.
 * Written through the same log primitives as the API, so seqs, events and counters hold.
 */
import { postMessage } from './conversation-log.ts';
import {
  ConversationSchema,
  directKeyOf,
  ParticipantSchema,
  selfKeyOf,
  UserSchema,
  type Conversation,
  type ConversationKind,
  type User,
} from './entities.ts';
import type { EntityManager } from './orm.ts';
import { hashPassword } from './passwords.ts';

export const DEMO_PASSWORD = 'parley-demo';

const LINES = [
  'Morning! Did you see the release notes?',
  'Yes — the new inbox is so much faster.',
  'Can we move the sync to 3pm?',
  'Works for me.',
  'I pushed the fix, CI is green.',
  'Nice, thanks for jumping on it 🙌',
  'Lunch?',
  'Give me ten minutes.',
  'Who is bringing snacks on Saturday?',
  'I can bring fruit and coffee.',
  'The train leaves at 9:40, platform 4.',
  'Reminder: passports!',
  'Does anyone have the cabin door code?',
  'It is 4-8-1-5, same as last year.',
  'Sending the photos tonight.',
  'That sunset though 🌅',
];

export async function seedDemoData(em: EntityManager): Promise<string> {
  if ((await em.count(UserSchema, {})) > 0) return 'seed skipped: the database already has users';

  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const days = 14;
  const start = new Date(Date.now() - days * 86_400_000);

  return em.transactional(async (tx) => {
    const user = (username: string, displayName: string, role: User['role'] = 'user') =>
      tx.create(UserSchema, { username, displayName, passwordHash, role, createdAt: start });
    const alice = user('alice', 'Alice Liddell');
    const bob = user('bob', 'Bob Marley');
    const carol = user('carol', 'Carol Danvers');
    const admin = user('admin', 'Parley Admin', 'admin');
    await tx.flush();

    const conversation = (kind: ConversationKind, members: User[], directKey: string | null, title: string | null) => {
      const [owner] = members;
      if (!owner) throw new Error('a conversation needs a member');
      const created = tx.create(ConversationSchema, { kind, title, directKey, createdBy: owner, createdAt: start, updatedAt: start, lastMessageAt: start });
      members.forEach((member, i) =>
        tx.create(ParticipantSchema, { conversation: created, user: member, role: i === 0 && kind === 'group' ? 'owner' : 'member', joinedAt: start }),
      );
      return created;
    };
    const dm = conversation('direct', [alice, bob], directKeyOf(alice.id, bob.id), null);
    const group = conversation('group', [alice, bob, carol], null, 'Weekend trip');
    const notes = conversation('self', [alice], selfKeyOf(alice.id), null);
    const adminDm = conversation('direct', [admin, alice], directKeyOf(admin.id, alice.id), null);
    await tx.flush();

    let posted = 0;
    const post = (target: Conversation, senders: User[], count: number) => {
      for (let i = 0; i < count; i++) {
        const sender = senders[i % senders.length] ?? alice;
        const at = new Date(start.getTime() + ((i + 1) / (count + 1)) * days * 86_400_000);
        postMessage(tx, target, { senderId: sender.id, body: LINES[(i + posted) % LINES.length] ?? '…', clientId: `seed-${target.id}-${i}`, at });
      }
      posted += count;
    };
    post(dm, [alice, bob], 180);
    post(group, [carol, alice, bob], 150);
    post(notes, [alice], 12);
    post(adminDm, [admin, alice], 4);

    // Everyone has read the history; the last half hour, mostly by others, is unread, so the
    // inbox shows badges (alice: 3 from bob, 3 in the group, 1 from the admin, none in her
    // notes). A sender's own message moves their marker (the database's trigger).
    await tx.flush();
    const members = await tx.find(ParticipantSchema, {}, { populate: ['conversation'], refresh: true });
    for (const member of members) member.lastReadSeq = member.conversation.getEntity().lastSeq;
    // Written before the new messages, whose trigger moves their senders' markers past these.
    await tx.flush();
    const recent: [Conversation, User, string][] = [
      [notes, alice, 'Trip: board games, hiking map, rain jacket'],
      [adminDm, admin, 'Welcome to Parley! Ask me anything about your account.'],
      [group, carol, 'Cabin is confirmed for Friday and Saturday!'],
      [group, bob, "I'll drive, three seats free."],
      [group, carol, 'Alice, could you make the grocery list?'],
      [dm, bob, 'Are you still up for the climbing gym tomorrow?'],
      [dm, bob, 'I can pick you up at 6.'],
      [dm, bob, 'Bring the chalk bag if you find it.'],
    ];
    recent.forEach(([target, sender, body], i) => {
      const at = new Date(Date.now() - (recent.length - i) * 4 * 60_000);
      postMessage(tx, target, { senderId: sender.id, body, clientId: `seed-recent-${i}`, at });
    });
    posted += recent.length;
    return `seeded 4 users (password "${DEMO_PASSWORD}"), 4 conversations, ${posted} messages`;
  });
}
