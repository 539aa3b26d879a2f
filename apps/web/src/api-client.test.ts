import { describe, expect, it } from 'vitest';
import { createApiClient, createApiClientSource, type ApiClient } from './api-client.ts';
import { createSession } from './session.ts';

/** The real client factory, recording which clients were built and which were closed. */
function recordingFactory() {
  const built: ApiClient[] = [];
  const closed: (string | null)[] = [];
  const create = (token: string | null): ApiClient => {
    const client = createApiClient(token);
    built.push(client);
    const close = client.close;
    client.close = () => {
      closed.push(token);
      close();
    };
    return client;
  };
  return { create, built, closed };
}

describe('createApiClientSource', () => {
  it('gives each session its own client and closes the previous one’s socket on sign-in, sign-out and user switch', () => {
    const session = createSession(null);
    const { create, built, closed } = recordingFactory();
    const source = createApiClientSource(session, create);
    const unsubscribe = source.subscribe(() => undefined);

    // Signed out: no socket to follow.
    expect(source.getClient().token).toBeNull();
    expect(source.getClient().connection).toBeNull();

    session.signIn('alice-token');
    const alice = source.getClient();
    expect(alice.token).toBe('alice-token');
    expect(alice.connection?.getStatus()).toBe('idle');
    expect(closed).toEqual([null]);

    // Another tab signs bob in: alice's socket goes before bob's client exists.
    session.signIn('bob-token');
    expect(source.getClient().token).toBe('bob-token');
    expect(source.getClient()).not.toBe(alice);
    expect(closed).toEqual([null, 'alice-token']);

    session.end();
    expect(source.getClient().token).toBeNull();
    expect(closed).toEqual([null, 'alice-token', 'bob-token']);
    expect(built.map((client) => client.token)).toEqual([null, 'alice-token', 'bob-token', null]);
    unsubscribe();
  });

  it('keeps the same client while the token stays the same, and catches up on changes made while nobody listened', () => {
    const session = createSession(null);
    session.signIn('alice-token');
    const { create, built } = recordingFactory();
    const source = createApiClientSource(session, create);
    const first = source.subscribe(() => undefined);
    const alice = source.getClient();
    first();

    // Nobody listening (e.g. React re-mounting): the source does not follow the session...
    session.signIn('bob-token');
    expect(built).toHaveLength(1);
    // ...and catches up as soon as someone listens again.
    const notified: string[] = [];
    const second = source.subscribe(() => notified.push('changed'));
    expect(source.getClient()).not.toBe(alice);
    expect(source.getClient().token).toBe('bob-token');

    session.signIn('bob-token');
    expect(notified).toEqual([]);
    second();
  });

  it('keeps the client of a user whose token is renewed, and its calls carry the new token', () => {
    const tokenOf = (userId: number, issuedAt: number) =>
      `eyJhbGciOiJIUzI1NiJ9.${btoa(JSON.stringify({ sub: String(userId), iat: issuedAt })).replaceAll('=', '')}.signature`;
    const session = createSession(null);
    const { create, built, closed } = recordingFactory();
    const source = createApiClientSource(session, create);
    const unsubscribe = source.subscribe(() => undefined);
    session.signIn(tokenOf(7, 1));
    const alice = source.getClient();

    session.signIn(tokenOf(7, 2));
    expect(source.getClient()).toBe(alice);
    expect(alice.token).toBe(tokenOf(7, 2));

    // Someone else's token is someone else's client.
    session.signIn(tokenOf(8, 3));
    expect(source.getClient()).not.toBe(alice);
    expect(closed).toEqual([null, tokenOf(7, 1)]);
    expect(built).toHaveLength(3);
    unsubscribe();
  });
});
