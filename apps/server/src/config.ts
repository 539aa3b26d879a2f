/**
 * The server's configuration: the only module that reads the environment. `loadConfig`
 * validates every variable at once and throws a ConfigError listing each bad one, so a
 * misconfigured server stops before it opens anything.
 *
 * Relative paths (DATA_DIR, a SQLite DATABASE_URL) are taken relative to the directory the
 * command was started from (`INIT_CWD`, which npm and pnpm set), not the package folder
 * pnpm switches into, so `DATABASE_URL=./my.db pnpm start` means ./my.db where you typed it.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INPUT_LIMITS } from '@parley/api';
import { parseDatabaseUrl, type DatabaseTarget } from '@parley/db';
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

/** The repository root: the default home of `data/`, whatever directory the server starts in. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const JWT_SECRET_MIN_LENGTH = 32;
export const JWT_SECRET_FILE = 'jwt-secret';
export const METRICS_TOKEN_MIN_LENGTH = 16;
const DEFAULT_TOKEN_TTL_SECONDS = 30 * 86_400;

export interface Config {
  nodeEnv: NodeEnv;
  /** Interface to listen on. Default: 127.0.0.1 in development and test, 0.0.0.0 in production. */
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  database: DatabaseTarget;
  /** Accepted and validated now; the realtime issue uses it for fan-out, presence and limits. */
  redisUrl: string | null;
  /** Namespace of every Redis key and channel, so deployments can share one Redis. */
  redisPrefix: string;
  /** Token signing key and lifetime, in the shape `ApiDeps.tokens` takes. */
  tokens: { secret: Uint8Array; ttlSeconds: number };
  /** Where the signing key came from (never the key itself): for the start-up log. */
  jwtSecretSource: 'environment' | 'generated' | 'data-dir';
  logLevel: LogLevel;
  /** Usernames (lower-case) that get the admin role when they register or sign in. */
  admins: ReadonlySet<string>;
  /**
   * Origins allowed to open the WebSocket, besides the page's own origin.
   * ALLOWED_ORIGINS unset: none, except that outside production any http://localhost,
   * 127.0.0.1 or [::1] origin is allowed too (the Vite dev server on :5173).
   */
  allowedOrigins: ReadonlySet<string>;
  allowLocalhostOrigins: boolean;
  /** Use the last X-Forwarded-For address as the client address (behind one reverse proxy). */
  trustProxy: boolean;
  /** Lets a request from anywhere read /metrics with `Authorization: Bearer <token>`; unset: loopback only. */
  metricsToken: string | null;
  /**
   * Multiplies every rate limit (sends, logins, WebSocket upgrades per address…): 1 in
   * production; load tests and benchmarks that drive thousands of clients from one address raise it.
   */
  rateLimitScale: number;
  dataDir: string;
  /** Things worth one line in the start-up log (never secret values). */
  notes: string[];
}

/** Thrown by loadConfig with one human-readable line per bad variable. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** An unset or blank variable counts as unset. */
const optional = z
  .string()
  .optional()
  .transform((value) => (value?.trim() ? value.trim() : undefined));

const commaList = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

const envSchema = z.object({
  NODE_ENV: optional.pipe(
    z.enum(NODE_ENVS, { error: (issue) => `NODE_ENV must be one of ${NODE_ENVS.join(', ')}, got "${String(issue.input)}"` }).default('development'),
  ),
  PORT: optional.transform((value, ctx) => {
    if (value === undefined) return 3000;
    const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
    if (!(port >= 0 && port <= 65_535)) {
      ctx.addIssue({ code: 'custom', message: `PORT must be a whole number from 0 to 65535, got "${value}"` });
      return z.NEVER;
    }
    return port;
  }),
  HOST: optional.pipe(
    z
      .string()
      .max(253)
      .regex(/^[A-Za-z0-9.:\-[\]%]+$/, { error: (issue) => `HOST must be an IP address or a host name, got "${String(issue.input)}"` })
      .optional(),
  ),
  DATABASE_URL: optional,
  REDIS_URL: optional.pipe(
    z
      .string()
      .regex(/^rediss?:\/\/[^\s]+$/, { error: () => 'REDIS_URL must be a redis:// or rediss:// URL' })
      .refine((value) => URL.canParse(value), { error: () => 'REDIS_URL is not a valid URL' })
      .optional(),
  ),
  REDIS_PREFIX: optional.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, { error: () => 'REDIS_PREFIX must be 1–64 characters: letters, digits, _ . : -' })
      .optional(),
  ),
  // The value is never echoed in an error: it is a secret even when it is too short.
  JWT_SECRET: optional.pipe(
    z
      .string()
      .min(JWT_SECRET_MIN_LENGTH, { error: () => `JWT_SECRET must be at least ${JWT_SECRET_MIN_LENGTH} characters long` })
      .max(4096, { error: () => 'JWT_SECRET must be at most 4096 characters long' })
      .optional(),
  ),
  RATE_LIMIT_SCALE: optional.transform((value, ctx) => {
    if (value === undefined) return 1;
    const scale = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
    if (!(scale >= 0.01 && scale <= 1_000_000)) {
      ctx.addIssue({ code: 'custom', message: `RATE_LIMIT_SCALE must be a number from 0.01 to 1000000, got "${value}"` });
      return z.NEVER;
    }
    return scale;
  }),
  TOKEN_TTL: optional.transform((value, ctx) => {
    if (value === undefined) return DEFAULT_TOKEN_TTL_SECONDS;
    const seconds = parseDuration(value);
    if (seconds === null || seconds < 60 || seconds > 366 * 86_400) {
      ctx.addIssue({
        code: 'custom',
        message: `TOKEN_TTL must be a duration from 60s to 366d such as 3600, 90m, 12h or 30d, got "${value}"`,
      });
      return z.NEVER;
    }
    return seconds;
  }),
  LOG_LEVEL: optional.pipe(
    z
      .enum(LOG_LEVELS, { error: (issue) => `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${String(issue.input)}"` })
      .default('info'),
  ),
  PARLEY_ADMINS: optional.transform((value, ctx) => {
    const names = commaList(value).map((name) => name.toLowerCase());
    const bad = names.filter((name) => !INPUT_LIMITS.usernamePattern.test(name));
    if (bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `PARLEY_ADMINS must list usernames (3–32 of a-z 0-9 _ . -) separated by commas; not usernames: ${bad.map((name) => `"${name}"`).join(', ')}`,
      });
      return z.NEVER;
    }
    return new Set(names);
  }),
  ALLOWED_ORIGINS: optional.transform((value, ctx) => {
    if (value === undefined) return null;
    const origins = new Set<string>();
    for (const item of commaList(value)) {
      const origin = originOf(item);
      if (origin === null) {
        ctx.addIssue({
          code: 'custom',
          message: `ALLOWED_ORIGINS must list origins such as https://chat.example.com separated by commas; not an origin: "${item}"`,
        });
        return z.NEVER;
      }
      origins.add(origin);
    }
    return origins;
  }),
  DATA_DIR: optional,
  TRUST_PROXY: optional.transform((value, ctx) => {
    if (value === undefined || ['0', 'false', 'no'].includes(value.toLowerCase())) return false;
    if (['1', 'true', 'yes'].includes(value.toLowerCase())) return true;
    ctx.addIssue({ code: 'custom', message: `TRUST_PROXY must be true or false, got "${value}"` });
    return z.NEVER;
  }),
  // Like JWT_SECRET, the value is never echoed in an error.
  METRICS_TOKEN: optional.pipe(
    z
      .string()
      .min(METRICS_TOKEN_MIN_LENGTH, { error: () => `METRICS_TOKEN must be at least ${METRICS_TOKEN_MIN_LENGTH} characters long` })
      .max(4096, { error: () => 'METRICS_TOKEN must be at most 4096 characters long' })
      .regex(/^[\x21-\x7e]+$/, { error: () => 'METRICS_TOKEN must be printable ASCII without spaces' })
      .optional(),
  ),
  INIT_CWD: optional,
});

/** `90`, `90s`, `15m`, `12h`, `30d` → seconds; null when it is none of those. */
export function parseDuration(text: string): number | null {
  const match = /^(\d{1,9})\s*([smhd]?)$/.exec(text.trim());
  if (!match) return null;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] ?? ''] ?? 1;
  return Number(match[1]) * unit;
}

/** `https://Chat.Example.com/` → `https://chat.example.com`; null for anything that is not an http(s) origin. */
function originOf(text: string): string | null {
  if (!URL.canParse(text)) return null;
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return null;
  return url.origin;
}

/**
 * Validates the environment and resolves defaults. Reads nothing but `env` and, when
 * JWT_SECRET is unset outside production, the generated secret under the data directory
 * (creating it the first time).
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, opts: { cwd?: string } = {}): Config {
  const parsed = envSchema.safeParse(env);
  // Every problem is reported at once, so one restart fixes them all.
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
  const isProduction = env.NODE_ENV?.trim() === 'production';
  if (isProduction && !env.JWT_SECRET?.trim()) {
    problems.push(
      `JWT_SECRET is required when NODE_ENV=production: set it to a random string of at least ${JWT_SECRET_MIN_LENGTH} characters (e.g. \`openssl rand -base64 48\`)`,
    );
  }
  const databaseUrl = env.DATABASE_URL?.trim();
  let database: DatabaseTarget | null = null;
  if (databaseUrl) {
    try {
      database = parseDatabaseUrl(databaseUrl);
    } catch (error) {
      problems.push(error instanceof Error ? error.message : 'DATABASE_URL is not valid');
    }
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);

  const vars = parsed.data;
  const notes: string[] = [];
  const baseDir = opts.cwd ?? vars.INIT_CWD ?? process.cwd();
  const fromBase = (path: string) => (isAbsolute(path) ? path : resolve(baseDir, path));
  const dataDir = vars.DATA_DIR ? fromBase(vars.DATA_DIR) : join(REPO_ROOT, 'data');
  if (database === null) database = { dialect: 'sqlite', location: join(dataDir, 'parley.db') };
  else if (database.dialect === 'sqlite' && database.location !== ':memory:') {
    database = { ...database, location: fromBase(database.location) };
  }

  let secret = vars.JWT_SECRET;
  let jwtSecretSource: Config['jwtSecretSource'] = 'environment';
  if (secret === undefined) {
    const kept = developmentSecret(dataDir);
    secret = kept.secret;
    jwtSecretSource = kept.created ? 'generated' : 'data-dir';
    notes.push(
      kept.created
        ? `JWT_SECRET is not set: generated a signing secret in ${kept.path} (mode 0600); set JWT_SECRET in production`
        : `JWT_SECRET is not set: using the signing secret kept in ${kept.path}`,
    );
  }

  return {
    nodeEnv: vars.NODE_ENV,
    host: vars.HOST ?? (isProduction ? '0.0.0.0' : '127.0.0.1'),
    port: vars.PORT,
    database,
    redisUrl: vars.REDIS_URL ?? null,
    redisPrefix: vars.REDIS_PREFIX ?? 'parley:',
    tokens: { secret: new TextEncoder().encode(secret), ttlSeconds: vars.TOKEN_TTL },
    jwtSecretSource,
    logLevel: vars.LOG_LEVEL,
    admins: vars.PARLEY_ADMINS,
    allowedOrigins: vars.ALLOWED_ORIGINS ?? new Set(),
    allowLocalhostOrigins: vars.ALLOWED_ORIGINS === null && !isProduction,
    trustProxy: vars.TRUST_PROXY,
    metricsToken: vars.METRICS_TOKEN ?? null,
    rateLimitScale: vars.RATE_LIMIT_SCALE,
    dataDir,
    notes,
  };
}

/**
 * The development signing secret: 48 random bytes generated once and kept in
 * `<dataDir>/jwt-secret` with mode 0600, so tokens survive restarts. Created with `wx`,
 * so two servers starting together agree on one secret.
 */
function developmentSecret(dataDir: string): { secret: string; path: string; created: boolean } {
  const path = join(dataDir, JWT_SECRET_FILE);
  let created = false;
  try {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path, `${randomBytes(48).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    created = true;
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ConfigError([`JWT_SECRET is not set and the signing secret ${path} cannot be created (${reason}): set JWT_SECRET or DATA_DIR`]);
    }
  }
  // Someone may have loosened the file's mode (or the umask won): a key others can read is no key.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  const secret = readFileSync(path, 'utf8').trim();
  if (secret.length < JWT_SECRET_MIN_LENGTH) {
    throw new ConfigError([`The signing secret in ${path} is shorter than ${JWT_SECRET_MIN_LENGTH} characters: delete the file to generate a new one`]);
  }
  return { secret, path, created };
}
