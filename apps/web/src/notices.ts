/**
 * The lines a thread shows between messages for members added, removed or left, role
 * changes and renames ("Alice added Carol"), from the conversation's durable events.
 */
import type { TextPart } from './format.ts';
import type { ConversationEvent } from './trpc.ts';

/** Everyone a notice names: who did it and to whom. */
export function noticeUserIds(notice: ConversationEvent): number[] {
  const { payload } = notice;
  return [notice.actorId, ...(payload?.userIds ?? []), payload?.userId, payload?.newOwnerId].filter(
    (id): id is number => typeof id === 'number',
  );
}

/** The first line of a group's history: "Alice created the group", "You created the group". */
export function createdParts(createdBy: number, myId: number, nameOf: (userId: number) => string): TextPart[] {
  return [createdBy === myId ? 'You' : { isolate: nameOf(createdBy) }, ' created the group'];
}

/** "A, B and C". */
function listOf(names: readonly TextPart[]): TextPart[] {
  return names.flatMap((name, index) => [index === 0 ? '' : index === names.length - 1 ? ' and ' : ', ', name]).filter((part) => part !== '');
}

/**
 * The notice in words, from where I stand: "You added Carol", "Alice removed you", "Bob
 * left; Carol is now the owner", "Alice renamed the group to “Trip”". `nameOf` names anyone
 * but me; names and titles are set apart (TextPart).
 */
export function noticeParts(notice: ConversationEvent, myId: number, nameOf: (userId: number) => string): TextPart[] {
  const who = (userId: number, start: boolean): TextPart => (userId === myId ? (start ? 'You' : 'you') : { isolate: nameOf(userId) });
  const actor = who(notice.actorId, true);
  const payload = notice.payload ?? {};
  switch (notice.type) {
    case 'participants.added':
      return [actor, ' added ', ...listOf((payload.userIds ?? []).map((id) => who(id, false)))];
    case 'participant.removed':
      return [actor, ' removed ', payload.userId === undefined ? 'someone' : who(payload.userId, false)];
    case 'participant.left': {
      const left = [who(payload.userId ?? notice.actorId, true), ' left'];
      if (payload.newOwnerId == null) return left;
      return [...left, '; ', who(payload.newOwnerId, false), payload.newOwnerId === myId ? ' are now the owner' : ' is now the owner'];
    }
    case 'participant.role_changed': {
      const userId = payload.userId ?? notice.actorId;
      if (payload.role === 'admin') return [actor, ' made ', who(userId, false), ' an admin'];
      return [actor, ' removed ', ...(userId === myId ? ['your'] : [who(userId, false), '’s']), ' admin role'];
    }
    case 'conversation.renamed':
      return [actor, ' renamed the group to “', { isolate: payload.title ?? '' }, '”'];
    case 'message.created':
    case 'message.edited':
    case 'message.deleted':
      // Carried with their message, never as a notice.
      return [];
    default: {
      // A new kind of event stops this compiling until it is worded here.
      const unworded: never = notice.type;
      return unworded;
    }
  }
}
