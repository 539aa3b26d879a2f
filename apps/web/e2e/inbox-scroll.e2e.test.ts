import { describe, expect, it } from 'vitest';
import { launchBrowser, startApp } from './browser.ts';
import { registerElsewhere, signInOnPage } from './people.ts';

const PASSWORD = 'correct horse battery';
const register = (baseUrl: string, username: string) => registerElsewhere(baseUrl, { username, password: PASSWORD });

describe('a long inbox in a real browser', () => {
  it('loads the next page as the reader scrolls to the end, without a click', async () => {
    await using app = await startApp({ seedDemo: false });
    await using browser = await launchBrowser();
    const alice = await register(app.url, 'alice');
    // Two friends start 25 groups with alice (within each one's hourly limit): more than the
    // inbox's first page of 20.
    const friends = [await register(app.url, 'friend1'), await register(app.url, 'friend2')];
    for (let i = 1; i <= 25; i++) {
      const friend = friends[i % 2] ?? friends[0];
      await friend?.api.conversations.create.mutate({ kind: 'group', title: `Group ${i}`, participantIds: [alice.user.id] });
    }

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signInOnPage(page, app.url, 'alice', { password: PASSWORD });
    const rows = page.getByRole('list', { name: 'Conversations' }).getByTestId('conversation-item');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(20);

    await rows.first().hover();
    await page.mouse.wheel(0, 100_000);
    await expect.poll(() => rows.count()).toBe(25);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
  });
});
