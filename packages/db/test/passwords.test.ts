import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../src/index.ts';

describe('passwords', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('stores a salted scrypt hash, never the password', async () => {
    const [first, second] = await Promise.all([hashPassword('pässwörd 🔑'), hashPassword('pässwörd 🔑')]);
    expect(first).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(first).not.toContain('pässwörd');
    expect(first).not.toBe(second);
    expect(await verifyPassword('pässwörd 🔑', second ?? '')).toBe(true);
  });

  it('keeps verifying hashes made with other parameters, so they can be raised later', async () => {
    const cheap = await hashPassword('old password', { N: 2 ** 14, r: 8, p: 1 });
    expect(cheap).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('old password', cheap)).toBe(true);
    expect(await verifyPassword('new password', cheap)).toBe(false);
  });

  it.each(['', 'plaintext', 'bcrypt$10$abc', 'scrypt$16384$8$1$$', 'scrypt$abc$8$1$c2FsdA==$aGFzaA==', 'scrypt$3$8$1$c2FsdA==$aGFzaA=='])('refuses an unusable stored value %j', async (stored) => {
    expect(await verifyPassword('anything', stored)).toBe(false);
  });
});
