/**
 * Live delivery through a real server and real tRPC WebSocket clients: a message reaches
 * the other side's conversation stream and inbox; a client that was away resumes from its
 * lastEventId with exactly what it missed (by re-subscribing, and by tRPC's own reconnect);
 * only members can listen, and a removed member's stream ends with their removal.
 */
import { describe, expect, it, vi } from 'vitest';
import { connectSocket } from '../harness.ts';
import {
  messageSeqs,
  newClientId,
  range,
  realtimeSetups,
  sendMany,
  seqsOf,
  sharedInstance,
  TcpProxy,
  WAIT,
  watchConversation,
  watchInbox,
} from './helpers.ts';

// The setups run side by side; the tests of one setup run in order, on their shared server.
describe.each(realtimeSetups())('real-time delivery ($name)', { concurrent: true }, (setup) => {
  const shared = sharedInstance(setup, ['alice', 'bob', 'carol']);
  const { users } = shared;
  /** A new group of Alice (owner) and these members, so each test has a conversation of its own. */
  const newGroup = (...memberIds: number[]) =>
    shared.t.http(users.alice.token).conversations.create.mutate({ kind: 'group', title: 'Plans', participantIds: memberIds });
  it('delivers a DM to the other user’s conversation stream and inbox, with the unread count', { concurrent: false }, async () => {
    const { t } = shared;
    const { alice, bob } = users;
    const dm = await t.http(alice.token).conversations.create.mutate({ kind: 'direct', participantIds: [bob.id] });

    await using bobSocket = t.socket(bob.token);
    using bobEvents = watchConversation(bobSocket.api, dm.id, String(dm.lastSeq));
    using bobInbox = watchInbox(bobSocket.api);
    await vi.waitFor(() => expect(bobEvents.started + bobInbox.started).toBe(2), WAIT);

    const aliceApi = t.http(alice.token);
    const first = await aliceApi.messages.send.mutate({ conversationId: dm.id, body: 'hi Bob', clientId: newClientId() });
    await vi.waitFor(() => expect(bobEvents.items).toHaveLength(1), WAIT);
    expect(bobEvents.items[0]).toEqual({
      id: String(first.seq),
      event: expect.objectContaining({
        type: 'message.created',
        seq: first.seq,
        actorId: alice.id,
        message: expect.objectContaining({ id: first.id, body: 'hi Bob', senderId: alice.id }),
      }),
    });
    await vi.waitFor(() => expect(bobInbox.items).toHaveLength(1), WAIT);
    expect(bobInbox.items[0]).toMatchObject({
      type: 'conversation.changed',
      conversation: { id: dm.id, unreadCount: 1, lastMessage: { body: 'hi Bob' } },
    });

    await aliceApi.messages.send.mutate({ conversationId: dm.id, body: 'are you there?', clientId: newClientId() });
    await vi.waitFor(() => expect(bobInbox.items).toHaveLength(2), WAIT);
    expect(bobInbox.items[1]).toMatchObject({
      type: 'conversation.changed',
      conversation: { id: dm.id, unreadCount: 2, lastMessage: { body: 'are you there?' } },
    });
    await vi.waitFor(() => expect(messageSeqs(bobEvents.items)).toEqual([1, 2]), WAIT);
    expect(bobEvents.errors).toEqual([]);
  });

  it('resumes from lastEventId with exactly the 100 missed events, in order, then live ones', { concurrent: false }, async () => {
    const { t } = shared;
    const { alice, bob } = users;
    const aliceApi = t.http(alice.token);
    const chat = await newGroup(bob.id);

    const bobSocket = t.socket(bob.token);
    const before = watchConversation(bobSocket.api, chat.id, '0');
    await vi.waitFor(() => expect(before.started).toBe(1), WAIT);
    await sendMany(aliceApi, chat.id, 3, 'before');
    await vi.waitFor(() => expect(seqsOf(before.items)).toEqual([1, 2, 3]), WAIT);
    const lastEventId = before.items.at(-1)?.id;
    before.unsubscribe();
    await bobSocket.close();

    // Bob is away: 100 messages go by.
    const missed = await sendMany(aliceApi, chat.id, 100, 'while away');
    expect(missed.map((message) => message.seq)).toEqual(range(4, 103));

    await using bobAgain = t.socket(bob.token);
    using after = watchConversation(bobAgain.api, chat.id, lastEventId);
    await vi.waitFor(() => expect(after.items).toHaveLength(100), WAIT);
    expect(seqsOf(after.items)).toEqual(range(4, 103));
    expect(after.items.map(({ event }) => event.message?.body)).toEqual(missed.map((message) => message.body));

    await sendMany(aliceApi, chat.id, 2, 'live');
    await vi.waitFor(() => expect(seqsOf(after.items)).toEqual(range(4, 105)), WAIT);
    expect(after.items.map(({ id, event }) => id === String(event.seq))).not.toContain(false);
  });

  it('resumes by itself after the connection drops: no gap, no duplicate', { concurrent: false }, async () => {
    const { t } = shared;
    const { alice, bob } = users;
    const aliceApi = t.http(alice.token);
    const chat = await newGroup(bob.id);

    await using network = await TcpProxy.start(t.server.port);
    await using bobSocket = connectSocket(network.wsUrl, bob.token);
    using bobEvents = watchConversation(bobSocket.api, chat.id, '0');
    await vi.waitFor(() => expect(bobEvents.started).toBe(1), WAIT);
    await sendMany(aliceApi, chat.id, 5, 'before');
    await vi.waitFor(() => expect(seqsOf(bobEvents.items)).toEqual(range(1, 5)), WAIT);

    // The network drops Bob's socket and keeps him out while 100 messages go by.
    network.route(null);
    network.dropAll();
    await sendMany(aliceApi, chat.id, 100, 'while down');
    network.route(t.server.port);

    // tRPC reconnects and re-subscribes with the last event id it saw.
    await vi.waitFor(() => expect(bobEvents.items).toHaveLength(105), WAIT);
    expect(bobEvents.started).toBeGreaterThanOrEqual(2);
    expect(bobSocket.closes.length).toBeGreaterThanOrEqual(1);
    await sendMany(aliceApi, chat.id, 3, 'live');
    await vi.waitFor(() => expect(bobEvents.items).toHaveLength(108), WAIT);
    expect(seqsOf(bobEvents.items)).toEqual(range(1, 108));
    expect(bobEvents.errors).toEqual([]);
  });

  it('answers NOT_FOUND to a non-member, and ends a removed member’s stream after the removal', { concurrent: false }, async () => {
    const { t } = shared;
    const { alice, bob, carol } = users;
    const aliceApi = t.http(alice.token);
    const group = await newGroup(bob.id, carol.id);
    const withoutCarol = await newGroup(bob.id);

    // Carol may not listen where she is no member, and cannot tell that conversation from one
    // that does not exist.
    await using carolSocket = t.socket(carol.token);
    using snooping = watchConversation(carolSocket.api, withoutCarol.id);
    using nowhere = watchConversation(carolSocket.api, 999_999);
    await vi.waitFor(() => expect([snooping.errorCode, nowhere.errorCode]).toEqual(['NOT_FOUND', 'NOT_FOUND']), WAIT);
    expect(snooping.errors[0]?.message).toBe(nowhere.errors[0]?.message);
    expect(snooping.items).toEqual([]);

    await using bobSocket = t.socket(bob.token);
    using bobEvents = watchConversation(bobSocket.api, group.id, '0');
    using bobInbox = watchInbox(bobSocket.api);
    using carolEvents = watchConversation(carolSocket.api, group.id, '0');
    await vi.waitFor(() => expect(bobEvents.started + bobInbox.started + carolEvents.started).toBe(3), WAIT);

    await aliceApi.messages.send.mutate({ conversationId: group.id, body: 'before', clientId: newClientId() });
    await aliceApi.conversations.removeParticipant.mutate({ id: group.id, userId: bob.id });
    await aliceApi.messages.send.mutate({ conversationId: group.id, body: 'after Bob left', clientId: newClientId() });

    await vi.waitFor(() => expect(bobEvents.completed).toBe(true), WAIT);
    expect(bobEvents.items.map(({ event }) => [event.type, event.payload?.userId ?? event.message?.body])).toEqual([
      ['message.created', 'before'],
      ['participant.removed', bob.id],
    ]);
    expect(bobEvents.errors).toEqual([]);
    await vi.waitFor(() => expect(bobInbox.items).toContainEqual({ type: 'conversation.removed', conversationId: group.id }), WAIT);

    // Carol saw the message after the removal: by then it had gone to every listener, Bob not among them.
    await vi.waitFor(() => expect(carolEvents.items.map(({ event }) => event.type)).toHaveLength(3), WAIT);
    expect(carolEvents.items[2]?.event.message?.body).toBe('after Bob left');
    expect(bobEvents.items).toHaveLength(2);
    expect(JSON.stringify(bobInbox.items)).not.toContain('after Bob left');

    // And he cannot listen again.
    using again = watchConversation(bobSocket.api, group.id, '0');
    await vi.waitFor(() => expect(again.errorCode).toBe('NOT_FOUND'), WAIT);
    expect(again.items).toEqual([]);
  });

  it('keeps the stream of a member removed or gone and added back: their old removal does not end it', { concurrent: false }, async () => {
    const { t } = shared;
    const { alice, bob, carol } = users;
    const aliceApi = t.http(alice.token);
    const group = await newGroup(bob.id, carol.id);
    await aliceApi.messages.send.mutate({ conversationId: group.id, body: 'first', clientId: newClientId() });
    await aliceApi.conversations.removeParticipant.mutate({ id: group.id, userId: bob.id });
    await aliceApi.conversations.addParticipants.mutate({ id: group.id, userIds: [bob.id] });
    await t.http(carol.token).conversations.leave.mutate({ id: group.id });
    await aliceApi.conversations.addParticipants.mutate({ id: group.id, userIds: [carol.id] });

    // Resumed from before their removal, as the web app does after its newest message: the
    // replay passes the removal and the return, and the stream stays open.
    await using bobSocket = t.socket(bob.token);
    await using carolSocket = t.socket(carol.token);
    using bobEvents = watchConversation(bobSocket.api, group.id, '1');
    using carolEvents = watchConversation(carolSocket.api, group.id, '1');
    await vi.waitFor(() => expect(bobEvents.started + carolEvents.started).toBe(2), WAIT);
    const replayed = ['participant.removed', 'participants.added', 'participant.left', 'participants.added'];
    await vi.waitFor(() => expect(bobEvents.items.map(({ event }) => event.type)).toEqual(replayed), WAIT);
    await vi.waitFor(() => expect(carolEvents.items.map(({ event }) => event.type)).toEqual(replayed), WAIT);
    const live = await aliceApi.messages.send.mutate({ conversationId: group.id, body: 'welcome back', clientId: newClientId() });
    for (const watched of [bobEvents, carolEvents]) {
      await vi.waitFor(() => expect(watched.items.at(-1)?.event.message?.body).toBe('welcome back'), WAIT);
      expect(watched.items.at(-1)?.id).toBe(String(live.seq));
      expect(watched.completed).toBe(false);
      expect(watched.errors).toEqual([]);
    }

    // Removed while listening, it ends as before.
    await aliceApi.conversations.removeParticipant.mutate({ id: group.id, userId: bob.id });
    await vi.waitFor(() => expect(bobEvents.completed).toBe(true), WAIT);
    expect(bobEvents.items.at(-1)?.event).toMatchObject({ type: 'participant.removed', payload: { userId: bob.id } });
  });
});
