/**
 * What a group member may do, as the server decides it (services/membership.ts), so the UI
 * never offers what would only be refused.
 */
import type { ConversationDetail } from './trpc.ts';

type Role = ConversationDetail['myRole'];

/** Rename, add and remove members: the owner and admins. */
export function canManage(myRole: Role): boolean {
  return myRole === 'owner' || myRole === 'admin';
}

/** Only the owner makes a member an admin or an admin a member again; the owner's own role stays. */
export function canSetRole(myRole: Role, targetRole: Role): boolean {
  return myRole === 'owner' && targetRole !== 'owner';
}

/** Admins remove members; only the owner removes admins; nobody removes the owner; I leave instead. */
export function canRemove(myRole: Role, targetRole: Role, isMe: boolean): boolean {
  if (isMe || targetRole === 'owner') return false;
  if (targetRole === 'admin') return myRole === 'owner';
  return canManage(myRole);
}

/** My own messages anywhere; in a group, the owner and admins delete anyone's (moderation). */
export function canDeleteMessage(kind: ConversationDetail['kind'], myRole: Role, mine: boolean): boolean {
  return mine || (kind === 'group' && canManage(myRole));
}

/**
 * Who becomes the owner when the owner leaves, as the server picks (leaveConversation): the
 * longest-standing admin, or else member. `members` in the order they joined, as
 * conversations.get lists them; null when nobody else is left.
 */
export function heirOf<Member extends { id: number; role: Role }>(members: readonly Member[], ownerId: number): Member | null {
  const rest = members.filter((member) => member.id !== ownerId);
  return rest.find((member) => member.role === 'admin') ?? rest[0] ?? null;
}
