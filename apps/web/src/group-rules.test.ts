import { describe, expect, it } from 'vitest';
import { canManage, canRemove, canSetRole, heirOf } from './group-rules.ts';

describe('group rules', () => {
  it('lets owners and admins manage, not members', () => {
    expect([canManage('owner'), canManage('admin'), canManage('member')]).toEqual([true, true, false]);
  });

  it('offers Remove only where the server allows it', () => {
    expect(canRemove('owner', 'admin', false)).toBe(true);
    expect(canRemove('admin', 'member', false)).toBe(true);
    expect(canRemove('admin', 'admin', false)).toBe(false);
    expect(canRemove('admin', 'owner', false)).toBe(false);
    expect(canRemove('member', 'member', false)).toBe(false);
    expect(canRemove('owner', 'owner', true)).toBe(false);
  });

  it('offers roles to the owner only, for anyone but the owner', () => {
    expect([canSetRole('owner', 'member'), canSetRole('owner', 'admin'), canSetRole('owner', 'owner')]).toEqual([true, true, false]);
    expect([canSetRole('admin', 'member'), canSetRole('member', 'member')]).toEqual([false, false]);
  });
});

describe('heirOf', () => {
  it('picks the longest-standing admin, or else member, as the server does, and nobody when I am alone', () => {
    const owner = { id: 1, role: 'owner' as const };
    const [bob, carol, dan] = [{ id: 2, role: 'member' as const }, { id: 3, role: 'admin' as const }, { id: 4, role: 'admin' as const }];
    expect(heirOf([owner, bob, carol, dan], owner.id)).toBe(carol);
    expect(heirOf([owner, bob], owner.id)).toBe(bob);
    expect(heirOf([owner], owner.id)).toBeNull();
  });
});
