import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { launchBrowser, startApp } from './browser.ts';
import { signInOnPage } from './people.ts';

async function signIn(browser: Browser, url: string, username: string, path = '/') {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await signInOnPage(page, url, username, path);
  return page;
}

describe('the admin entry', () => {
  it('is offered to admins only; a non-admin who types its address is told it is not allowed', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();

    const alice = await signIn(browser, app.url, 'alice', '/admin');
    await alice.getByTestId('admin-not-allowed').waitFor();
    expect(await alice.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await alice.getByRole('link', { name: 'Back to conversations' }).click();
    await alice.getByRole('list', { name: 'Conversations' }).waitFor();

    const admin = await signIn(browser, app.url, 'admin');
    await admin.getByRole('link', { name: 'Admin' }).click();
    await admin.getByRole('heading', { name: 'Admin' }).waitFor();
    expect(new URL(admin.url()).pathname).toBe('/admin');
  });
});
