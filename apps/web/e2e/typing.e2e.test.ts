import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { launchBrowser, startApp } from './browser.ts';
import { dmWithAlice, signedInPage, signInElsewhere } from './people.ts';

/** A browser context of its own (its own session), signed in with the DM open. */
async function inTheDm(browser: Browser, url: string, username: string, dmId: number): Promise<Page> {
  const page = await signedInPage(browser, url, username, { path: `/c/${dmId}` });
  await page.getByRole('list', { name: 'Messages' }).waitFor();
  return page;
}

describe('typing, in a real browser', () => {
  it('shows "is typing…" for the message alice starts right after sending one, with no typing signal refused', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const { dm } = await dmWithAlice(await signInElsewhere(app.url, 'bob'));
    const bob = await inTheDm(browser, app.url, 'bob', dm.id);
    const alice = await inTheDm(browser, app.url, 'alice', dm.id);
    // Typing signals go over the socket: a refusal would come back on it.
    const refused: string[] = [];
    alice.on('websocket', (socket) => socket.on('framereceived', ({ payload }) => {
      if (String(payload).includes('TOO_MANY_REQUESTS')) refused.push(String(payload));
    }));
    const composer = alice.getByRole('textbox', { name: 'Message' });
    const bobSees = bob.getByTestId('typing-indicator');

    await composer.pressSequentially('ok', { delay: 80 });
    await expect.poll(() => bobSees.innerText()).toBe('Alice Liddell is typing…');
    await composer.press('Enter');
    // At once, at a normal pace: the send cleared "typing" on the server, so it must come back.
    await composer.pressSequentially('sounds good', { delay: 80 });
    await expect.poll(() => bobSees.innerText()).toBe('Alice Liddell is typing…');
    await composer.press('Enter');
    await bob.getByRole('list', { name: 'Messages' }).getByText('sounds good').waitFor();
    await expect.poll(() => bobSees.innerText()).toBe('');

    await composer.pressSequentially('see you', { delay: 80 });
    await expect.poll(() => bobSees.innerText()).toBe('Alice Liddell is typing…');
    await composer.press('Enter');
    await bob.getByRole('list', { name: 'Messages' }).getByText('see you').waitFor();
    expect(refused).toEqual([]);
  });

  it('ends "is typing…" as soon as the typist closes their tab, not when the server would forget it', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const { dm } = await dmWithAlice(await signInElsewhere(app.url, 'bob'));
    const bob = await inTheDm(browser, app.url, 'bob', dm.id);
    const alice = await inTheDm(browser, app.url, 'alice', dm.id);
    const bobSees = bob.getByTestId('typing-indicator');
    await alice.getByRole('textbox', { name: 'Message' }).pressSequentially('half a thou', { delay: 80 });
    await expect.poll(() => bobSees.innerText()).toBe('Alice Liddell is typing…');

    const closedAt = Date.now();
    await alice.context().close();
    // The server forgets a typist 6 s after their last signal; her socket's close ends it long before.
    await expect.poll(() => bobSees.innerText(), { timeout: 3_000 }).toBe('');
    expect(Date.now() - closedAt).toBeLessThan(3_000);
  });
});
