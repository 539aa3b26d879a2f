/** Accounts and sessions. */
import { hashPassword, raw, UserSchema, verifyPassword, type EntityManager, type User, type UserRow } from '@parley/db';
import { UniqueConstraintViolationException } from '@parley/db';
import { TRPCError } from '@trpc/server';
import { signToken, type TokenConfig } from '../auth/tokens.ts';
import type { Actor } from '../context.ts';
import { sessionsTopic } from '../realtime/topics.ts';
import { meView, type MeView } from '../views.ts';

export interface Session {
  token: string;
  user: MeView;
}

// Compared against when the username is unknown, so both failures take the same time.
// Made on first use: hashing costs ~0.1–0.4 s, and most processes never need it.
let unknownUserHash: Promise<string> | undefined;
const hashForUnknownUser = () => (unknownUserHash ??= hashPassword('parley: no such user'));

const INVALID_CREDENTIALS = 'Invalid username or password';

async function sessionFor(tokens: TokenConfig, user: User | UserRow): Promise<Session> {
  return { token: await signToken(tokens, { userId: user.id, tokenVersion: user.tokenVersion }), user: meView(user) };
}

export async function register(
  em: EntityManager,
  tokens: TokenConfig,
  admins: ReadonlySet<string>,
  input: { username: string; password: string; displayName?: string | undefined },
): Promise<Session> {
  const user = em.create(UserSchema, {
    username: input.username,
    displayName: input.displayName ?? input.username,
    passwordHash: await hashPassword(input.password),
    role: admins.has(input.username) ? 'admin' : 'user',
  });
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw new TRPCError({ code: 'CONFLICT', message: 'That username is taken' });
    }
    throw error;
  }
  return sessionFor(tokens, user);
}

export async function login(
  em: EntityManager,
  tokens: TokenConfig,
  admins: ReadonlySet<string>,
  input: { username: string; password: string },
): Promise<Session> {
  const user = await em.findOne(UserSchema, { username: input.username }, { populate: ['passwordHash'] });
  const valid = await verifyPassword(input.password, user?.passwordHash ?? (await hashForUnknownUser()));
  if (!user || !valid) throw new TRPCError({ code: 'UNAUTHORIZED', message: INVALID_CREDENTIALS });
  if (admins.has(user.username) && user.role !== 'admin') user.role = 'admin';
  user.lastSeenAt = new Date();
  await em.flush();
  return sessionFor(tokens, user);
}

/**
 * A fresh token for the signed-in user, so a session in use does not end mid-use: the same
 * tokenVersion, so a logout revokes it with the rest.
 */
export function renewSession(actor: Actor): Promise<Session> {
  return sessionFor(actor.deps.tokens, actor.user);
}

/** Revokes every token of the user: each carries the old tokenVersion. Open sockets are closed. */
export async function logout(actor: Actor): Promise<void> {
  // In the database, not from the version read at the call's start: two logouts at once both revoke.
  await actor.em.nativeUpdate(UserSchema, { id: actor.user.id }, { tokenVersion: raw('token_version + 1') });
  await actor.deps.bus.publish(sessionsTopic, { userId: actor.user.id }).catch(() => undefined);
}
