import { describe, expect, it } from 'vitest';
import { createdParts, noticeParts, noticeUserIds } from './notices.ts';
import { notice, plainText } from './test-fixtures.ts';

const ME = 1;
const names = new Map([
  [2, 'Alice'],
  [3, 'Bob'],
  [4, 'Carol'],
]);
const nameOf = (id: number) => names.get(id) ?? 'Former member';
const text = (...args: Parameters<typeof notice>) => plainText(noticeParts(notice(...args), ME, nameOf));

describe('notices', () => {
  it('say who did what, and "you" where it was me', () => {
    expect(text(1, 'participants.added', 2, { userIds: [4] })).toBe('Alice added Carol');
    expect(text(1, 'participants.added', 2, { userIds: [3, ME, 4] })).toBe('Alice added Bob, you and Carol');
    expect(text(1, 'participants.added', ME, { userIds: [3, 4] })).toBe('You added Bob and Carol');
    expect(text(1, 'participant.removed', 2, { userId: ME })).toBe('Alice removed you');
    expect(text(1, 'participant.removed', ME, { userId: 9 })).toBe('You removed Former member');
    expect(text(1, 'participant.left', 4, { userId: 4, newOwnerId: null })).toBe('Carol left');
    expect(text(1, 'participant.left', 2, { userId: 2, newOwnerId: ME })).toBe('Alice left; you are now the owner');
    expect(text(1, 'participant.left', ME, { userId: ME, newOwnerId: 3 })).toBe('You left; Bob is now the owner');
    expect(text(1, 'participant.role_changed', 2, { userId: 3, role: 'admin' })).toBe('Alice made Bob an admin');
    expect(text(1, 'participant.role_changed', 2, { userId: ME, role: 'admin' })).toBe('Alice made you an admin');
    expect(text(1, 'participant.role_changed', ME, { userId: 4, role: 'member' })).toBe('You removed Carol’s admin role');
    expect(text(1, 'participant.role_changed', 2, { userId: ME, role: 'member' })).toBe('Alice removed your admin role');
    expect(text(1, 'conversation.renamed', 3, { title: 'Weekend trip' })).toBe('Bob renamed the group to “Weekend trip”');
  });

  it('set names and titles apart, so a right-to-left name reorders only itself', () => {
    const arabic = new Map([[7, 'محمد عبد الرحمن']]);
    const parts = noticeParts(notice(1, 'participants.added', 7, { userIds: [3, 4] }), ME, (id) => arabic.get(id) ?? nameOf(id));
    expect(parts).toEqual([{ isolate: 'محمد عبد الرحمن' }, ' added ', { isolate: 'Bob' }, ' and ', { isolate: 'Carol' }]);
    expect(noticeParts(notice(1, 'conversation.renamed', ME, { title: 'رحلة' }), ME, nameOf)).toEqual(['You', ' renamed the group to “', { isolate: 'رحلة' }, '”']);
    expect(plainText(createdParts(2, ME, nameOf))).toBe('Alice created the group');
    expect(plainText(createdParts(ME, ME, nameOf))).toBe('You created the group');
  });

  it('name everyone they mention, so their names can be looked up', () => {
    expect(noticeUserIds(notice(1, 'participants.added', 2, { userIds: [3, 4] }))).toEqual([2, 3, 4]);
    expect(noticeUserIds(notice(1, 'participant.left', 2, { userId: 2, newOwnerId: 5 }))).toEqual([2, 2, 5]);
    expect(noticeUserIds(notice(1, 'conversation.renamed', 3, { title: 'x' }))).toEqual([3]);
    expect(noticeUserIds(notice(1, 'participant.role_changed', 2, { userId: 4, role: 'admin' }))).toEqual([2, 4]);
  });
});
