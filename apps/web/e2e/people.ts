/**
 * The people the browser tests use: the seeded demo users or new ones, signed in on a page
 * (a browser context of their own each) or "elsewhere" (another device) through the real
 * API over HTTP.
 */
import type { AppRouter } from '@parley/api';
import { createTRPCClient, httpLink } from '@trpc/client';
import type { Browser, Page } from 'playwright-core';

/** The demo password the README promises for the seeded users. */
export const DEMO_PASSWORD = 'parley-demo';

/** The real API over HTTP, as someone holding `token`, or as nobody yet. */
function apiAt(baseUrl: string, token?: string) {
  const headers = token === undefined ? {} : { Authorization: `Bearer ${token}` };
  return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${baseUrl}/trpc`, headers })] });
}

export type SignedInApi = ReturnType<typeof apiAt>;

/** Someone else, on another device: the real API over HTTP with their own token. */
export async function signInElsewhere(baseUrl: string, username: string, password = DEMO_PASSWORD): Promise<SignedInApi> {
  const { token } = await apiAt(baseUrl).auth.login.mutate({ username, password });
  return apiAt(baseUrl, token);
}

/** A new user, signed up through the real API, with their own client as signInElsewhere's. */
export async function registerElsewhere(baseUrl: string, account: { username: string; password: string; displayName?: string }) {
  const { token, user } = await apiAt(baseUrl).auth.register.mutate(account);
  return { api: apiAt(baseUrl, token), user };
}

/** The seeded DM between alice and bob, as bob's inbox lists it. */
export async function dmWithAlice(bob: SignedInApi) {
  const { items } = await bob.conversations.list.query({ limit: 20 });
  const dm = items.find((conversation) => conversation.kind === 'direct' && conversation.participants.some((p) => p.username === 'alice'));
  const alice = dm?.participants.find((p) => p.username === 'alice');
  if (!dm || !alice) throw new Error('the demo seed has a DM between alice and bob');
  return { dm, alice };
}

export interface SignInOptions {
  /** Where the page opens (default `/`, the inbox). */
  path?: string;
  /** Default: the demo password. */
  password?: string;
}

/** Signs `username` in through the page's form at `url` + `path`, and waits until the app shows them. */
export async function signInOnPage(page: Page, url: string, username: string, { path = '/', password = DEMO_PASSWORD }: SignInOptions = {}): Promise<void> {
  await page.goto(`${url}${path}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByTestId('current-user').waitFor();
}

/** The same, and waits for the inbox's list. */
export async function signInToInbox(page: Page, url: string, username: string, options: SignInOptions = {}): Promise<void> {
  await signInOnPage(page, url, username, options);
  await page.getByRole('list', { name: 'Conversations' }).waitFor();
}

/** A page in a browser context of its own (its own localStorage, so its own session), signed in through the form. */
export async function signedInPage(
  browser: Browser,
  url: string,
  username: string,
  { viewport = { width: 1280, height: 800 }, ...options }: SignInOptions & { viewport?: { width: number; height: number } } = {},
): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage();
  await signInOnPage(page, url, username, options);
  return page;
}

/**
 * Resolves when the page's first subscription is running on the server (its "started"
 * frame arrives). Call it before the page opens its socket.
 */
export function streamStarted(page: Page): Promise<void> {
  return new Promise((resolve) => {
    page.on('websocket', (socket) =>
      socket.on('framereceived', ({ payload }) => {
        if (typeof payload === 'string' && payload.includes('"type":"started"')) resolve();
      }),
    );
  });
}
