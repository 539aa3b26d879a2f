/**
 * The seeded demo people as the browser tests use them: signed in on a page, or "elsewhere"
 * (another device) through the real API over HTTP.
 */
import type { AppRouter } from '@parley/api';
import { createTRPCClient, httpLink } from '@trpc/client';
import type { Page } from 'playwright-core';

/** The demo password the README promises for the seeded users. */
export const DEMO_PASSWORD = 'parley-demo';

/** Someone else, on another device: the real API over HTTP with their own token. */
export async function signInElsewhere(baseUrl: string, username: string) {
  const anonymous = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${baseUrl}/trpc` })] });
  const { token } = await anonymous.auth.login.mutate({ username, password: DEMO_PASSWORD });
  return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${baseUrl}/trpc`, headers: { Authorization: `Bearer ${token}` } })] });
}

export type SignedInApi = Awaited<ReturnType<typeof signInElsewhere>>;

/** The seeded DM between alice and bob, as bob's inbox lists it. */
export async function dmWithAlice(bob: SignedInApi) {
  const { items } = await bob.conversations.list.query({ limit: 20 });
  const dm = items.find((conversation) => conversation.kind === 'direct' && conversation.participants.some((p) => p.username === 'alice'));
  const alice = dm?.participants.find((p) => p.username === 'alice');
  if (!dm || !alice) throw new Error('the demo seed has a DM between alice and bob');
  return { dm, alice };
}

/** Signs `username` in through the page's form at `url` + `path`, and waits until the app shows them. */
export async function signInOnPage(page: Page, url: string, username: string, path = '/'): Promise<void> {
  await page.goto(`${url}${path}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByTestId('current-user').waitFor();
}
