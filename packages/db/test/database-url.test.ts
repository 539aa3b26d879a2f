import { describe, expect, it } from 'vitest';
import { DEFAULT_SQLITE_PATH, parseDatabaseUrl } from '../src/index.ts';

describe('parseDatabaseUrl', () => {
  it('defaults to the SQLite file under ./data when DATABASE_URL is unset or empty', () => {
    expect(parseDatabaseUrl(undefined)).toEqual({ dialect: 'sqlite', location: DEFAULT_SQLITE_PATH });
    expect(parseDatabaseUrl('')).toEqual({ dialect: 'sqlite', location: DEFAULT_SQLITE_PATH });
  });

  it.each([
    'postgres://parley:secret@db.internal:5432/parley',
    'postgresql://parley@127.0.0.1/parley?sslmode=disable',
  ])('selects PostgreSQL for %s and keeps the URL whole', (url) => {
    expect(parseDatabaseUrl(url)).toEqual({ dialect: 'postgresql', location: url });
  });

  it.each([
    ['sqlite:./data/chat.db', './data/chat.db'],
    ['sqlite://./data/chat.db', './data/chat.db'],
    ['sqlite:///var/lib/parley/parley.db', '/var/lib/parley/parley.db'],
    ['file:/var/lib/parley/parley.db', '/var/lib/parley/parley.db'],
    ['./relative/parley.db', './relative/parley.db'],
    ['/absolute/parley.db', '/absolute/parley.db'],
    ['sqlite::memory:', ':memory:'],
  ])('reads %s as the SQLite file %s', (url, location) => {
    expect(parseDatabaseUrl(url)).toEqual({ dialect: 'sqlite', location });
  });

  it.each(['mysql://root@localhost/parley', 'redis://127.0.0.1:6379', 'sqlite:', 'file://'])(
    'rejects %s with a message that says what is accepted',
    (url) => {
      expect(() => parseDatabaseUrl(url)).toThrow(/postgres:\/\/… or a SQLite path/);
    },
  );
});
