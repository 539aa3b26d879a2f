/**
 * The real entry point as its own process: what an operator sees when the configuration is
 * wrong, and what happens on SIGTERM.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase, DEMO_PASSWORD, testDialects } from '@parley/db';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { listeningUrl, logLines, runMain } from './process.ts';

describe('main.ts', () => {
  it('lists every configuration problem and exits 1 without a stack trace', async () => {
    const running = runMain({ NODE_ENV: 'production', PORT: 'eighty', LOG_LEVEL: 'chatty' });
    const { code } = await running.exited;
    expect(code).toBe(1);
    const stderr = running.stderr();
    expect(stderr).toContain('Parley cannot start. Invalid configuration:');
    expect(stderr).toContain('  - PORT must be a whole number from 0 to 65535, got "eighty"');
    expect(stderr).toContain('  - LOG_LEVEL must be one of');
    expect(stderr).toContain('  - JWT_SECRET is required when NODE_ENV=production');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(running.stdout()).toBe('');
  });
});

describe.each(testDialects())('main.ts on %s', (dialect) => {
  it('seeds the demo, serves it, and exits 0 after a graceful SIGTERM', async () => {
    const scratch = await createScratchDatabase(dialect);
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-main-'));
    const databaseUrl = dialect === 'sqlite' ? `sqlite:${scratch.target.location}` : scratch.target.location;
    const running = runMain({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: databaseUrl, LOG_LEVEL: 'info' }, [
      '--seed-demo',
    ]);
    try {
      const url = await listeningUrl(running);
      // No JWT_SECRET: one was generated for this data directory, readable by its owner only.
      expect(statSync(join(dataDir, 'jwt-secret')).mode & 0o777).toBe(0o600);

      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok', db: 'ok' });
      const login = await fetch(`${url}/trpc/auth.login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: DEMO_PASSWORD }),
      });
      expect(login.status).toBe(200);
      const { result } = (await login.json()) as { result: { data: { token: string } } };

      const socket = new WebSocket(`${url.replace('http', 'ws')}/trpc`);
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      const socketClosed = new Promise<number>((resolve) => socket.once('close', (closeCode) => resolve(closeCode)));

      running.child.kill('SIGTERM');
      expect(await running.exited).toEqual({ code: 0, signal: null });
      expect(await socketClosed).toBe(1001);
      const messages = logLines(running.stdout()).map((entry) => entry.msg);
      expect(messages).toContain('shut down cleanly');
      // Neither the token nor the generated secret ever reaches the log.
      expect(running.stdout()).not.toContain(result.data.token);
      expect(running.stdout()).not.toContain(readFileSync(join(dataDir, 'jwt-secret'), 'utf8').trim());
    } finally {
      running.child.kill('SIGKILL');
      await running.exited;
      await scratch.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
