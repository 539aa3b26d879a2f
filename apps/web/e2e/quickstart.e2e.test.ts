import { describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, startApp } from './browser.ts';
import { DEMO_PASSWORD } from './people.ts';


describe('the quick start in a real browser', () => {
  it('lets alice sign in and see her seeded conversations, and keeps her signed in across a reload', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // How the app's own scripts and styles came over the wire (the build compresses them).
    const assetEncodings = new Map<string, string | undefined>();
    page.on('response', (response) => {
      const { pathname } = new URL(response.url());
      if (pathname.startsWith('/assets/')) assetEncodings.set(pathname, response.headers()['content-encoding']);
    });

    await page.goto(app.url);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('not her password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => page.getByText('Invalid username or password').count()).toBe(1);

    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const inbox = page.getByRole('list', { name: 'Conversations' });
    await inbox.waitFor();
    const names = async () => (await inbox.getByTestId('conversation-item').allInnerTexts()).join('\n');
    await expect.poll(names).toContain('Weekend trip');
    for (const name of ['Bob Marley', 'Notes to self', 'Parley Admin']) expect(await names()).toContain(name);
    // The seed leaves the newest messages unread, so the inbox shows badges.
    expect(await inbox.getByTestId('unread-badge').count()).toBeGreaterThan(0);
    // The tab says so too: 3 + 3 + 1 unread (the seed's counts for alice).
    await expect.poll(() => page.title()).toBe('(7) Parley');
    expect(await page.getByTestId('current-user').innerText()).toContain('Alice Liddell');
    await screenshot(page, 'quickstart-inbox');
    // The first load came compressed: Chromium accepts Brotli, and every script and style has a copy.
    const firstLoad = [...assetEncodings].filter(([pathname]) => /\.(js|css)$/.test(pathname));
    expect(firstLoad.length).toBeGreaterThan(0);
    expect(firstLoad.filter(([, encoding]) => encoding !== 'br')).toEqual([]);

    await page.reload();
    await inbox.waitFor();
    expect(await names()).toContain('Weekend trip');
  });
});
