/**
 * The authorization matrix: every procedure of the router, called by every kind of caller,
 * answers with exactly the code the design names. The table must list every procedure the
 * router has, so a new procedure cannot ship without its row.
 */
import { testDialects } from '@parley/db';
import { beforeAll, describe, expect, it } from 'vitest';
import { appRouter, type RouterInputs } from '../src/index.ts';
import type { Caller, TestApi, TestUser } from './harness.ts';
import { freshSession, MISSING_ID, rejectionOf, useTestApi } from './helpers.ts';

/** Who calls. `missing` is the group's owner naming a conversation or message that does not exist. */
type Actor = 'anonymous' | 'revoked' | 'outsider' | 'siteAdmin' | 'sender' | 'member' | 'groupAdmin' | 'owner' | 'missing';
type Outcome = 'ok' | 'UNAUTHORIZED' | 'NOT_FOUND' | 'FORBIDDEN';

const denied = { anonymous: 'UNAUTHORIZED', revoked: 'UNAUTHORIZED' } as const;
// Not a member, a site admin who is not a member, and a conversation that does not exist: one answer.
const hidden = { outsider: 'NOT_FOUND', siteAdmin: 'NOT_FOUND', missing: 'NOT_FOUND' } as const;

const ACCESS = {
  public: { anonymous: 'ok' },
  signedIn: { ...denied, outsider: 'ok', siteAdmin: 'ok', member: 'ok' },
  member: { ...denied, ...hidden, sender: 'ok', member: 'ok', groupAdmin: 'ok', owner: 'ok' },
  groupManager: { ...denied, ...hidden, sender: 'FORBIDDEN', member: 'FORBIDDEN', groupAdmin: 'ok', owner: 'ok' },
  groupOwner: { ...denied, ...hidden, sender: 'FORBIDDEN', member: 'FORBIDDEN', groupAdmin: 'FORBIDDEN', owner: 'ok' },
  messageSender: { ...denied, ...hidden, sender: 'ok', member: 'FORBIDDEN', groupAdmin: 'FORBIDDEN', owner: 'FORBIDDEN' },
  siteAdmin: { ...denied, outsider: 'FORBIDDEN', member: 'FORBIDDEN', siteAdmin: 'ok' },
  senderOrGroupManager: { ...denied, ...hidden, sender: 'ok', member: 'FORBIDDEN', groupAdmin: 'ok', owner: 'ok' },
} satisfies Record<string, Partial<Record<Actor, Outcome>>>;

/** A group (owner, groupAdmin, sender, member) with one message by `sender`. */
interface Target {
  conversationId: number;
  messageId: number;
  memberId: number;
  outsiderId: number;
}

interface ProcedureRow {
  access: keyof typeof ACCESS;
  call: (caller: Caller, target: Target) => Promise<unknown>;
}

type ProcedurePath = { [R in keyof RouterInputs]: `${R & string}.${keyof RouterInputs[R] & string}` }[keyof RouterInputs];

/** Opens a subscription (its checks run) and closes it again; resolves to true when it opened. */
async function opened(subscription: Promise<AsyncIterable<unknown>>): Promise<true> {
  const iterator = (await subscription)[Symbol.asyncIterator]();
  await iterator.return?.();
  return true;
}

const PASSWORD = 'matrix password';
let serial = 0;
const unique = (prefix: string) => `${prefix}${(serial += 1)}`;

const PROCEDURES = {
  'auth.register': { access: 'public', call: (c) => c.auth.register({ username: unique('matrix_new'), password: PASSWORD }) },
  'auth.login': { access: 'public', call: (c) => c.auth.login({ username: 'matrix_login', password: PASSWORD }) },
  'auth.me': { access: 'signedIn', call: (c) => c.auth.me() },
  'auth.renew': { access: 'signedIn', call: (c) => c.auth.renew() },
  'auth.logout': { access: 'signedIn', call: (c) => c.auth.logout() },
  'users.search': { access: 'signedIn', call: (c) => c.users.search({ query: 'm' }) },
  'users.byIds': { access: 'signedIn', call: (c, t) => c.users.byIds({ ids: [t.memberId] }) },
  'conversations.create': { access: 'signedIn', call: (c) => c.conversations.create({ kind: 'self' }) },
  'conversations.list': { access: 'signedIn', call: (c) => c.conversations.list({}) },
  'conversations.unreadBeyond': { access: 'signedIn', call: (c) => c.conversations.unreadBeyond({ cursor: `${Date.now()}_1` }) },
  'conversations.get': { access: 'member', call: (c, t) => c.conversations.get({ id: t.conversationId }) },
  'conversations.update': {
    access: 'groupManager',
    call: (c, t) => c.conversations.update({ id: t.conversationId, title: 'Renamed' }),
  },
  'conversations.addParticipants': {
    access: 'groupManager',
    call: (c, t) => c.conversations.addParticipants({ id: t.conversationId, userIds: [t.outsiderId] }),
  },
  'conversations.removeParticipant': {
    access: 'groupManager',
    call: (c, t) => c.conversations.removeParticipant({ id: t.conversationId, userId: t.memberId }),
  },
  'conversations.setRole': {
    access: 'groupOwner',
    call: (c, t) => c.conversations.setRole({ id: t.conversationId, userId: t.memberId, role: 'admin' }),
  },
  'conversations.leave': { access: 'member', call: (c, t) => c.conversations.leave({ id: t.conversationId }) },
  'conversations.markRead': { access: 'member', call: (c, t) => c.conversations.markRead({ id: t.conversationId, seq: 1 }) },
  'conversations.setMuted': { access: 'member', call: (c, t) => c.conversations.setMuted({ id: t.conversationId, muted: true }) },
  'conversations.setTyping': {
    access: 'member',
    call: (c, t) => c.conversations.setTyping({ id: t.conversationId, typing: false }),
  },
  'conversations.onEvent': {
    access: 'member',
    call: (c, t) => opened(c.conversations.onEvent({ conversationId: t.conversationId })),
  },
  'conversations.onTyping': {
    access: 'member',
    call: (c, t) => opened(c.conversations.onTyping({ conversationId: t.conversationId })),
  },
  'conversations.onReadReceipts': {
    access: 'member',
    call: (c, t) => opened(c.conversations.onReadReceipts({ conversationId: t.conversationId })),
  },
  'inbox.onEvent': { access: 'signedIn', call: (c) => opened(c.inbox.onEvent()) },
  'admin.stats': { access: 'siteAdmin', call: (c) => c.admin.stats() },
  'admin.onStats': { access: 'siteAdmin', call: (c) => opened(c.admin.onStats()) },
  'messages.list': { access: 'member', call: (c, t) => c.messages.list({ conversationId: t.conversationId }) },
  'messages.send': {
    access: 'member',
    call: (c, t) => c.messages.send({ conversationId: t.conversationId, body: 'hello', clientId: unique('matrix-') }),
  },
  'messages.edit': { access: 'messageSender', call: (c, t) => c.messages.edit({ id: t.messageId, body: 'edited' }) },
  'messages.delete': { access: 'senderOrGroupManager', call: (c, t) => c.messages.delete({ id: t.messageId }) },
} satisfies Record<ProcedurePath, ProcedureRow>;

// tRPC types `_def.procedures` as the nested router record; at run time it is flat, keyed by path.
const routerProcedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>;

const typedEntries = <K extends string, V>(record: Partial<Record<K, V>>) => Object.entries(record) as [K, V][];

const cases = typedEntries<ProcedurePath, (typeof PROCEDURES)[ProcedurePath]>(PROCEDURES).flatMap(([path, row]) =>
  typedEntries<Actor, Outcome>(ACCESS[row.access]).map(([actor, outcome]) => ({ path, actor, outcome })),
);

describe.each(testDialects())('authorization on %s', (dialect) => {
  const getApi = useTestApi(dialect);
  let users: Record<'owner' | 'groupAdmin' | 'sender' | 'member' | 'outsider' | 'siteAdmin', TestUser>;
  let revoked: TestUser;
  let shared: Target;

  /** A fresh group for a call that changes it, so the cases stay independent. */
  async function makeGroup(api: TestApi): Promise<Target> {
    const owner = await freshSession(api, users.owner.id);
    const group = await owner.conversations.create({
      kind: 'group',
      title: 'Matrix',
      participantIds: [users.groupAdmin.id, users.sender.id, users.member.id],
    });
    await owner.conversations.setRole({ id: group.id, userId: users.groupAdmin.id, role: 'admin' });
    const sender = await freshSession(api, users.sender.id);
    const message = await sender.messages.send({ conversationId: group.id, body: 'first', clientId: unique('fixture-') });
    return { conversationId: group.id, messageId: message.id, memberId: users.member.id, outsiderId: users.outsider.id };
  }

  beforeAll(async () => {
    const api = getApi();
    users = {
      owner: await api.seedUser('matrix_owner'),
      groupAdmin: await api.seedUser('matrix_gadmin'),
      sender: await api.seedUser('matrix_sender'),
      member: await api.seedUser('matrix_member'),
      outsider: await api.seedUser('matrix_outsider'),
      siteAdmin: await api.seedUser('matrix_admin', { role: 'admin' }),
    };
    await api.signUp('matrix_login', { password: PASSWORD });
    revoked = await api.seedUser('matrix_revoked');
    await revoked.api.auth.logout();
    shared = await makeGroup(api);
  });

  it('has a row for every procedure of the router', () => {
    expect(Object.keys(PROCEDURES).sort()).toEqual(Object.keys(routerProcedures).sort());
  });

  it('calls as a site admin who really is one', async () => {
    await expect((await freshSession(getApi(), users.siteAdmin.id)).auth.me()).resolves.toMatchObject({ role: 'admin' });
  });

  it.each(cases)('$path called by $actor → $outcome', async ({ path, actor, outcome }) => {
    const api = getApi();
    const changes = outcome === 'ok' && routerProcedures[path]?._def.type === 'mutation';
    const target = changes ? await makeGroup(api) : shared;
    let caller: Caller;
    let callTarget = target;
    if (actor === 'anonymous') caller = api.anonymous;
    else if (actor === 'revoked') caller = revoked.api;
    else if (actor === 'missing') {
      caller = await freshSession(api, users.owner.id);
      callTarget = { ...target, conversationId: MISSING_ID, messageId: MISSING_ID };
    } else caller = await freshSession(api, users[actor].id);

    const call = PROCEDURES[path].call(caller, callTarget);
    if (outcome === 'ok') await expect(call).resolves.toBeDefined();
    else expect((await rejectionOf(call)).code).toBe(outcome);
  });

  it('answers a non-member exactly as if the conversation or message did not exist', async () => {
    const api = getApi();
    const outsider = await freshSession(api, users.outsider.id);
    // Each pair: the existing conversation (or message) and one that does not exist.
    const pairs: [() => Promise<unknown>, () => Promise<unknown>][] = [
      [() => outsider.conversations.get({ id: shared.conversationId }), () => outsider.conversations.get({ id: MISSING_ID })],
      [
        () => outsider.messages.list({ conversationId: shared.conversationId }),
        () => outsider.messages.list({ conversationId: MISSING_ID }),
      ],
      [
        () => outsider.messages.send({ conversationId: shared.conversationId, body: 'x', clientId: 'probe-1' }),
        () => outsider.messages.send({ conversationId: MISSING_ID, body: 'x', clientId: 'probe-2' }),
      ],
      [
        () => outsider.messages.edit({ id: shared.messageId, body: 'x' }),
        () => outsider.messages.edit({ id: MISSING_ID, body: 'x' }),
      ],
      [() => outsider.messages.delete({ id: shared.messageId }), () => outsider.messages.delete({ id: MISSING_ID })],
    ];
    for (const [existing, missing] of pairs) {
      const a = await rejectionOf(existing());
      const b = await rejectionOf(missing());
      expect({ code: a.code, message: a.message }).toEqual({ code: 'NOT_FOUND', message: b.message });
    }
  });
});
