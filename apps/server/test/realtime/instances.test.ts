/**
 * Scale-out: two server instances sharing one PostgreSQL and one Redis, as behind a load
 * balancer with no sticky sessions. Clients on different instances converse, a client moved
 * to the other instance resumes where it was, a pub/sub message that never arrives is
 * repaired from the database, and signing out on one instance closes sockets on the other.
 */
import { lockConversation, openDatabase, postMessage } from '@parley/db';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectSocket } from '../harness.ts';
import {
  newClientId,
  range,
  scaleOutAvailable,
  sendMany,
  seqsOf,
  startDeployment,
  TcpProxy,
  WAIT,
  watchConversation,
  watchInbox,
  type Instance,
  type RealtimeSetup,
  type SignedUp,
} from './helpers.ts';

if (!scaleOutAvailable() && process.env.CI) {
  throw new Error('CI must run the scale-out tests: set PARLEY_TEST_POSTGRES_URL and PARLEY_TEST_REDIS_URL');
}

const setup: RealtimeSetup = { name: 'PostgreSQL, Redis', dialect: 'postgresql', bus: 'redis' };

describe.runIf(scaleOutAvailable())('two instances sharing PostgreSQL and Redis', () => {
  let deployment: Awaited<ReturnType<typeof startDeployment>> | undefined;
  let a: Instance;
  let b: Instance;
  const users = {} as Record<'alice' | 'bob' | 'carol' | 'erin', SignedUp>;

  beforeAll(async () => {
    deployment = await startDeployment(setup, 2);
    const [first, second] = deployment.instances;
    if (!first || !second) throw new Error('two instances expected');
    [a, b] = [first, second];
    // Accounts made on one instance are everyone's: they live in the shared database.
    const [alice, bob, carol, erin] = await Promise.all([a.signUp('alice'), b.signUp('bob'), a.signUp('carol'), b.signUp('erin')]);
    if (!alice || !bob || !carol || !erin) throw new Error('sign-up failed');
    Object.assign(users, { alice, bob, carol, erin });
  });
  afterAll(async () => {
    await deployment?.[Symbol.asyncDispose]();
  });

  it('lets clients on different instances converse with no loss, presence and inbox included', async () => {
    const { alice, bob } = users;
    const dm = await a.http(alice.token).conversations.create.mutate({ kind: 'direct', participantIds: [bob.id] });
    await using aliceTab = a.socket(alice.token);
    using aliceInbox = watchInbox(aliceTab.api);
    using aliceEvents = watchConversation(aliceTab.api, dm.id, '0');
    await vi.waitFor(() => expect([aliceInbox.started, aliceEvents.started]).toEqual([1, 1]), WAIT);

    // Bob connects to the other instance: Alice sees him come online.
    await using bobTab = b.socket(bob.token);
    using bobInbox = watchInbox(bobTab.api);
    using bobEvents = watchConversation(bobTab.api, dm.id, '0');
    await vi.waitFor(() => expect([bobInbox.started, bobEvents.started]).toEqual([1, 1]), WAIT);
    await vi.waitFor(() => expect(aliceInbox.items).toContainEqual({ type: 'presence', userId: bob.id, online: true }), WAIT);

    // Both talk at once, each through their own instance.
    const say = (tab: typeof aliceTab, who: string) =>
      (async () => {
        for (let n = 0; n < 25; n++) await tab.api.messages.send.mutate({ conversationId: dm.id, body: `${who} ${n}`, clientId: newClientId() });
      })();
    await Promise.all([say(aliceTab, 'alice'), say(bobTab, 'bob')]);

    await vi.waitFor(() => expect([aliceEvents.items.length, bobEvents.items.length]).toEqual([50, 50]), WAIT);
    expect(seqsOf(aliceEvents.items)).toEqual(range(1, 50));
    expect(bobEvents.items).toEqual(aliceEvents.items);
    const stored = await b.http(bob.token).messages.list.query({ conversationId: dm.id, limit: 100 });
    expect(aliceEvents.items.map(({ event }) => event.message)).toEqual(stored.items);
    // Each inbox heard of the conversation's last message, whichever instance it was sent on.
    for (const inbox of [aliceInbox, bobInbox]) {
      await vi.waitFor(() => expect(inbox.items.at(-1)).toMatchObject({ type: 'conversation.changed', conversation: { id: dm.id, lastSeq: 50 } }), WAIT);
    }
  });

  it('resumes a client moved from one instance to the other from its lastEventId, with no gap', async () => {
    const { alice, carol } = users;
    const aliceOnA = a.http(alice.token);
    const aliceOnB = b.http(alice.token);
    const group = await aliceOnA.conversations.create.mutate({ kind: 'group', title: 'Moving', participantIds: [carol.id] });

    await using balancer = await TcpProxy.start(a.server.port);
    await using carolTab = connectSocket(balancer.wsUrl, carol.token);
    using carolEvents = watchConversation(carolTab.api, group.id, '0');
    await vi.waitFor(() => expect(carolEvents.started).toBe(1), WAIT);
    await sendMany(aliceOnA, group.id, 10, 'on A');
    await vi.waitFor(() => expect(seqsOf(carolEvents.items)).toEqual(range(1, 10)), WAIT);

    // Instance A goes out of rotation: Carol's connection drops, and the conversation goes on
    // on both instances until she is back, on B.
    balancer.route(null);
    balancer.dropAll();
    await sendMany(aliceOnA, group.id, 20, 'on A while away');
    await sendMany(aliceOnB, group.id, 20, 'on B while away');
    balancer.route(b.server.port);

    await vi.waitFor(() => expect(carolEvents.items).toHaveLength(50), WAIT);
    expect(carolEvents.started).toBe(2);
    await sendMany(aliceOnA, group.id, 5, 'live on A');
    await vi.waitFor(() => expect(carolEvents.items).toHaveLength(55), WAIT);
    expect(seqsOf(carolEvents.items)).toEqual(range(1, 55));
    expect(carolEvents.errors).toEqual([]);
  });

  it('hands the clients of an instance that shuts down gracefully (SIGTERM) to another, with no gap', async () => {
    // Its own deployment: this test takes an instance down for good.
    await using deploy = await startDeployment(setup, 2);
    const [leaving, staying] = deploy.instances;
    if (!leaving || !staying) throw new Error('two instances expected');
    const [alice, carol] = await Promise.all([staying.signUp('deploy_alice'), staying.signUp('deploy_carol')]);
    const aliceApi = staying.http(alice.token);
    const group = await aliceApi.conversations.create.mutate({ kind: 'group', title: 'Deploy', participantIds: [carol.id] });

    await using balancer = await TcpProxy.start(leaving.server.port);
    await using carolTab = connectSocket(balancer.wsUrl, carol.token);
    using carolEvents = watchConversation(carolTab.api, group.id, '0');
    await vi.waitFor(() => expect(carolEvents.started).toBe(1), WAIT);
    await sendMany(aliceApi, group.id, 10, 'before the deploy');
    await vi.waitFor(() => expect(seqsOf(carolEvents.items)).toEqual(range(1, 10)), WAIT);

    // The deploy: new connections go to the other instance, then this one shuts down the
    // way SIGTERM does it (reconnect notice, drain, close) while the conversation goes on.
    balancer.route(staying.server.port);
    const shutdown = leaving.server.close();
    await sendMany(aliceApi, group.id, 10, 'during the deploy');
    await shutdown;
    await sendMany(aliceApi, group.id, 10, 'after the deploy');

    await vi.waitFor(() => expect(seqsOf(carolEvents.items)).toEqual(range(1, 30)), WAIT);
    // She moved (at least once more: on a loaded machine the 2 s drain can end before her
    // client has left, and the old socket is then cut, which costs a reconnect and no event).
    expect(carolEvents.started).toBeGreaterThanOrEqual(2);
    expect(carolEvents.errors).toEqual([]);
  });

  it('repairs a pub/sub message that never arrived from the database, before the next event', async () => {
    const { alice, bob } = users;
    const aliceOnA = a.http(alice.token);
    const group = await aliceOnA.conversations.create.mutate({ kind: 'group', title: 'Lossy', participantIds: [bob.id] });
    await using bobTab = b.socket(bob.token);
    using bobEvents = watchConversation(bobTab.api, group.id, '0');
    await vi.waitFor(() => expect(bobEvents.started).toBe(1), WAIT);
    await aliceOnA.messages.send.mutate({ conversationId: group.id, body: 'first', clientId: newClientId() });
    await vi.waitFor(() => expect(seqsOf(bobEvents.items)).toEqual([1]), WAIT);

    // A message committed exactly as the API commits one, whose publish is lost on the way.
    const database = deployment?.database;
    if (!database) throw new Error('no deployment');
    const db = await openDatabase(database.target);
    try {
      await db.em.fork().transactional(async (tx) => {
        const conversation = await lockConversation(tx, group.id);
        if (!conversation) throw new Error('conversation not found');
        postMessage(tx, conversation, { senderId: alice.id, body: 'published into the void', clientId: newClientId() });
      });
    } finally {
      await db.close(true);
    }

    await aliceOnA.messages.send.mutate({ conversationId: group.id, body: 'next', clientId: newClientId() });
    await vi.waitFor(() => expect(bobEvents.items).toHaveLength(3), WAIT);
    expect(bobEvents.items.map(({ event }) => [event.seq, event.message?.body])).toEqual([
      [1, 'first'],
      [2, 'published into the void'],
      [3, 'next'],
    ]);
  });

  it('keeps a user online while a tab is open on either instance, and signing out on one closes tabs on both', async () => {
    const { alice, erin } = users;
    await a.http(alice.token).conversations.create.mutate({ kind: 'direct', participantIds: [erin.id] });
    await using aliceTab = a.socket(alice.token);
    using aliceInbox = watchInbox(aliceTab.api);
    await vi.waitFor(() => expect(aliceInbox.started).toBe(1), WAIT);
    const erinPresence = () =>
      aliceInbox.items.flatMap((event) => (event.type === 'presence' && event.userId === erin.id ? [event.online] : []));
    const erinOnline = async () => (await a.http(alice.token).users.search.query({ query: 'erin' }))[0]?.online;

    await using onA = a.socket(erin.token);
    await using onB = b.socket(erin.token);
    await Promise.all([onA.api.auth.me.query(), onB.api.auth.me.query()]);
    await vi.waitFor(() => expect(erinPresence()).toEqual([true]), WAIT);
    expect(await erinOnline()).toBe(true);

    using streamOnB = watchInbox(onB.api);
    await vi.waitFor(() => expect(streamOnB.started).toBe(1), WAIT);
    await a.http(erin.token).auth.logout.mutate();
    await vi.waitFor(() => expect([onA.closes, onB.closes]).toEqual([[1008], [1008]]), WAIT);
    await vi.waitFor(() => expect(streamOnB.errorCode).toBe('UNAUTHORIZED'), WAIT);
    // Her reconnected sockets are anonymous: she is offline everywhere.
    await vi.waitFor(() => expect(erinPresence()).toEqual([true, false]), WAIT);
    expect(await erinOnline()).toBe(false);
  });
});
