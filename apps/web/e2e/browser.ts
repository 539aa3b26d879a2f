/**
 * Browser-test plumbing: the real server (src/main.ts as its own process, on a throw-away
 * SQLite database) serving the built web app, driven by Debian's Chromium through
 * playwright-core (no browser download: see TOOLCHAIN facts in the README).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { listeningUrl, runMain, type Running } from '../../server/test/process.ts';

const WEB_DIST = fileURLToPath(new URL('../dist/index.html', import.meta.url));
export const ARTIFACTS = fileURLToPath(new URL('../test-results/', import.meta.url));
const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';

export interface RunningApp extends AsyncDisposable {
  url: string;
  /**
   * Stops the server as a deploy does (SIGTERM: it asks WebSocket clients to reconnect),
   * runs `whileDown`, then starts it again on the same port and data.
   */
  restart: (whileDown?: () => Promise<void>) => Promise<void>;
}

/**
 * Starts Parley like the quick start does (`--seed-demo`), on its own data directory;
 * `{ seedDemo: false }` starts it empty; `env` adds configuration (e.g. PARLEY_ADMINS).
 */
export async function startApp(options: { seedDemo?: boolean; env?: Record<string, string> } = {}): Promise<RunningApp> {
  const args = options.seedDemo === false ? [] : ['--seed-demo'];
  if (!existsSync(WEB_DIST)) throw new Error('apps/web/dist is missing: run `pnpm build` before the browser tests');
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-e2e-'));
  const start = async (port: string) => {
    const running = runMain({ ...options.env, PORT: port, HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' }, args);
    const url = await listeningUrl(running).catch(async (error: unknown) => {
      running.child.kill('SIGKILL');
      throw error;
    });
    return { running, url };
  };
  const stop = async (running: Running) => {
    running.child.kill('SIGTERM');
    await running.exited;
  };

  let current = await start('0');
  const { url } = current;
  return {
    url,
    async restart(whileDown) {
      await stop(current.running);
      await whileDown?.();
      current = await start(new URL(url).port);
    },
    async [Symbol.asyncDispose]() {
      await stop(current.running);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser & AsyncDisposable> {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium (or set PARLEY_CHROMIUM)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}

/** Saves a screenshot under apps/web/test-results/ (kept by CI as an artifact). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Routes the page's API sockets through a gate: while held, new ones hang in CONNECTING as on a dead network. */
export async function holdableNetwork(page: Page) {
  let open: Promise<void> = Promise.resolve();
  let release: () => void = () => undefined;
  await page.routeWebSocket((url) => url.pathname === '/trpc', async (socket) => {
    await open;
    socket.connectToServer();
  });
  return {
    hold: () => {
      open = new Promise((resolve) => (release = resolve));
    },
    release: () => release(),
  };
}
