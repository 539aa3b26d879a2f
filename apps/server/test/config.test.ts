import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDuration, REPO_ROOT } from '../src/config.ts';

const SECRET = 'a-real-secret-that-is-long-enough-1234';
let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'parley-config-'));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

/** The problems loadConfig reports for `env`, or [] when it accepts it. */
function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig({ DATA_DIR: dataDir, ...env });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('loadConfig', () => {
  it('starts with only a secret set: development defaults on the loopback interface', () => {
    // With JWT_SECRET set nothing is written, so the real data directory stays untouched.
    const config = loadConfig({ JWT_SECRET: SECRET }, { cwd: dataDir });
    expect(config).toMatchObject({
      nodeEnv: 'development',
      host: '127.0.0.1',
      port: 3000,
      database: { dialect: 'sqlite', location: join(REPO_ROOT, 'data', 'parley.db') },
      dataDir: join(REPO_ROOT, 'data'),
      redisUrl: null,
      logLevel: 'info',
      allowLocalhostOrigins: true,
      trustProxy: false,
      metricsToken: null,
      rateLimitScale: 1,
    });
    expect(config.tokens.ttlSeconds).toBe(30 * 86_400);
    expect(config.admins.size).toBe(0);
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        NODE_ENV: 'production',
        HOST: '0.0.0.0',
        PORT: '8080',
        DATABASE_URL: 'postgres://parley:pw@db.internal:5432/parley',
        REDIS_URL: 'redis://cache:6379/0',
        JWT_SECRET: SECRET,
        TOKEN_TTL: '12h',
        LOG_LEVEL: 'warn',
        PARLEY_ADMINS: ' Alice, bob ,',
        ALLOWED_ORIGINS: 'https://Chat.Example.com/, http://localhost:5173',
        TRUST_PROXY: 'true',
        METRICS_TOKEN: 'scrape-token-0123456789',
        RATE_LIMIT_SCALE: '2.5',
        DATA_DIR: dataDir,
      },
      { cwd: '/' },
    );
    expect(config).toMatchObject({
      nodeEnv: 'production',
      host: '0.0.0.0',
      port: 8080,
      database: { dialect: 'postgresql', location: 'postgres://parley:pw@db.internal:5432/parley' },
      redisUrl: 'redis://cache:6379/0',
      jwtSecretSource: 'environment',
      logLevel: 'warn',
      allowLocalhostOrigins: false,
      trustProxy: true,
      metricsToken: 'scrape-token-0123456789',
      rateLimitScale: 2.5,
      dataDir,
    });
    expect(config.tokens).toEqual({ secret: new TextEncoder().encode(SECRET), ttlSeconds: 12 * 3600 });
    expect([...config.admins]).toEqual(['alice', 'bob']);
    expect([...config.allowedOrigins]).toEqual(['https://chat.example.com', 'http://localhost:5173']);
    expect(config.notes).toEqual([]);
  });

  it('listens on every interface by default in production', () => {
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, DATA_DIR: dataDir }).host).toBe('0.0.0.0');
  });

  it('refuses to start in production without JWT_SECRET, and generates no secret there', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems).toEqual([expect.stringMatching(/^JWT_SECRET is required when NODE_ENV=production/)]);
    expect(() => readFileSync(join(dataDir, 'jwt-secret'))).toThrow();
  });

  it('names each bad value, all at once, without echoing a secret', () => {
    const problems = problemsOf({
      PORT: 'http',
      HOST: 'bad host!',
      JWT_SECRET: 'short-secret',
      TOKEN_TTL: 'forever',
      LOG_LEVEL: 'loud',
      NODE_ENV: 'staging',
      REDIS_URL: 'http://cache:6379',
      PARLEY_ADMINS: 'alice,no way',
      ALLOWED_ORIGINS: 'https://ok.example, https://x.example/path',
      DATABASE_URL: 'mysql://db/parley',
      TRUST_PROXY: 'maybe',
      RATE_LIMIT_SCALE: '0',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'PORT must be a whole number from 0 to 65535, got "http"',
        'HOST must be an IP address or a host name, got "bad host!"',
        'JWT_SECRET must be at least 32 characters long',
        'TOKEN_TTL must be a duration from 60s to 366d such as 3600, 90m, 12h or 30d, got "forever"',
        'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
        'NODE_ENV must be one of development, production, test, got "staging"',
        'REDIS_URL must be a redis:// or rediss:// URL',
        'PARLEY_ADMINS must list usernames (3–32 of a-z 0-9 _ . -) separated by commas; not usernames: "no way"',
        'ALLOWED_ORIGINS must list origins such as https://chat.example.com separated by commas; not an origin: "https://x.example/path"',
        'TRUST_PROXY must be true or false, got "maybe"',
        'RATE_LIMIT_SCALE must be a number from 0.01 to 1000000, got "0"',
        expect.stringContaining('DATABASE_URL must be postgres://'),
      ]),
    );
    expect(problems).toHaveLength(12);
    expect(problems.join('\n')).not.toContain('short-secret');
  });

  it('accepts a METRICS_TOKEN only when long and without spaces, and never echoes it', () => {
    expect(problemsOf({ METRICS_TOKEN: 'too-short' })).toEqual(['METRICS_TOKEN must be at least 16 characters long']);
    expect(problemsOf({ METRICS_TOKEN: 'long enough but has spaces' })).toEqual(['METRICS_TOKEN must be printable ASCII without spaces']);
    expect(problemsOf({ METRICS_TOKEN: 'x'.repeat(4097) })).toEqual(['METRICS_TOKEN must be at most 4096 characters long']);
    expect(problemsOf({ METRICS_TOKEN: '  ' })).toEqual([]);
    expect(problemsOf({ METRICS_TOKEN: 'too-short' }).join('\n')).not.toContain('too-short');
  });

  it('rejects ports out of range', () => {
    expect(problemsOf({ PORT: '70000' })).toEqual(['PORT must be a whole number from 0 to 65535, got "70000"']);
    expect(problemsOf({ PORT: '-1' })).toEqual(['PORT must be a whole number from 0 to 65535, got "-1"']);
    expect(problemsOf({ PORT: '' })).toEqual([]);
  });

  it('generates a development secret once, with mode 0600, and reuses it', () => {
    const first = loadConfig({ DATA_DIR: dataDir });
    const file = join(dataDir, 'jwt-secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.jwtSecretSource).toBe('generated');
    expect(Buffer.from(first.tokens.secret).toString().length).toBeGreaterThanOrEqual(64);

    const second = loadConfig({ DATA_DIR: dataDir });
    expect(second.jwtSecretSource).toBe('data-dir');
    expect(second.tokens.secret).toEqual(first.tokens.secret);
    expect(second.notes.join('\n')).not.toContain(Buffer.from(first.tokens.secret).toString());

    // A loosened mode is tightened again: a readable key is no key.
    chmodSync(file, 0o644);
    loadConfig({ DATA_DIR: dataDir });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a kept secret that is too short', () => {
    writeFileSync(join(dataDir, 'jwt-secret'), 'tiny\n', { mode: 0o600 });
    expect(problemsOf({})).toEqual([expect.stringContaining('is shorter than 32 characters')]);
  });

  it('prefers JWT_SECRET over a kept secret, and writes no file when it is set', () => {
    const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET: SECRET });
    expect(config.tokens.secret).toEqual(new TextEncoder().encode(SECRET));
    expect(() => statSync(join(dataDir, 'jwt-secret'))).toThrow();
  });

  it('resolves relative paths from the directory the command was started in', () => {
    const config = loadConfig({ DATA_DIR: 'state', DATABASE_URL: 'sqlite:./db/chat.db', JWT_SECRET: SECRET, INIT_CWD: dataDir });
    expect(config.dataDir).toBe(join(dataDir, 'state'));
    expect(config.database).toEqual({ dialect: 'sqlite', location: join(dataDir, 'db', 'chat.db') });
  });
});

describe('parseDuration', () => {
  it('reads seconds, minutes, hours and days', () => {
    expect([parseDuration('90'), parseDuration('90s'), parseDuration('15m'), parseDuration('12h'), parseDuration('30d')]).toEqual([
      90, 90, 900, 43_200, 2_592_000,
    ]);
    expect(parseDuration('1w')).toBeNull();
    expect(parseDuration('-5m')).toBeNull();
  });
});
