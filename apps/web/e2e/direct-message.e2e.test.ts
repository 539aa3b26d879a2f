import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, startApp } from './browser.ts';
import { registerElsewhere, signInOnPage, streamStarted } from './people.ts';

const PASSWORD = 'correct horse battery';

/** A browser context of its own (its own localStorage: its own session), signed in, its inbox stream running. */
async function signedIn(browser: Browser, url: string, username: string, width: number) {
  const page = await (await browser.newContext({ viewport: { width, height: 760 } })).newPage();
  const streaming = streamStarted(page);
  await signInOnPage(page, url, username, { password: PASSWORD });
  await page.getByRole('heading', { name: 'Conversations' }).waitFor();
  await streaming;
  return page;
}

const pathOf = (page: Page) => new URL(page.url()).pathname;

describe('two people in two browsers', () => {
  it('bob starts a DM from the UI, alice sees it live with an unread badge, they talk both ways, bob sees alice typing', async () => {
    await using app = await startApp({ seedDemo: false });
    await using browser = await launchBrowser();
    await registerElsewhere(app.url, { username: 'alice', password: PASSWORD, displayName: 'Alice' });
    await registerElsewhere(app.url, { username: 'bob', password: PASSWORD, displayName: 'Bob' });
    const alice = await signedIn(browser, app.url, 'alice', 1280);
    const bob = await signedIn(browser, app.url, 'bob', 375);
    await alice.getByTestId('inbox-empty').waitFor();

    // Bob: New → direct message → search "ali" → Alice. The conversation opens.
    await bob.getByRole('button', { name: 'New conversation' }).click();
    await bob.getByLabel('Who do you want to message?').fill('ali');
    await bob.getByRole('button', { name: 'Message Alice' }).waitFor();
    await screenshot(bob, 'new-conversation-375');
    // Nothing sticks out sideways at 375 px.
    expect(Number(await bob.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(375);
    await bob.getByRole('button', { name: 'Message Alice' }).click();
    await expect.poll(() => pathOf(bob)).toMatch(/^\/c\/\d+$/);
    const dmPath = pathOf(bob);
    const bobComposer = bob.getByRole('textbox', { name: 'Message' });
    await bobComposer.fill('Hi Alice, got a minute?');
    await bobComposer.press('Enter');

    // Until alice reads it, bob's message says "Sent".
    const bobsLatest = bob.getByRole('list', { name: 'Messages' }).getByTestId('message').last();
    await expect.poll(() => bobsLatest.innerText()).toContain('Sent');

    // Alice: the DM appears without a reload, with one unread message.
    const row = alice.getByRole('listitem', { name: 'Bob' });
    await row.waitFor();
    await expect.poll(() => row.getByTestId('unread-badge').locator('[aria-hidden="true"]').innerText()).toBe('1');
    await expect.poll(() => row.getByTestId('conversation-preview').innerText()).toBe('Hi Alice, got a minute?');
    // Bob is signed in, so his DM row shows him online.
    await row.getByTestId('online-dot').waitFor();
    await screenshot(alice, 'dm-inbox');

    // She opens it: bob's message is there, and reading it clears the badge.
    await row.getByRole('link').click();
    const aliceMessages = alice.getByRole('list', { name: 'Messages' });
    await aliceMessages.getByText('Hi Alice, got a minute?').waitFor();
    await expect.poll(() => row.getByTestId('unread-badge').count()).toBe(0);
    // …and bob's side shows it, live: a read receipt.
    await expect.poll(() => bobsLatest.innerText()).toContain('Seen');

    // Alice types: bob sees it; she sends: bob gets the message and the indicator clears.
    const aliceComposer = alice.getByRole('textbox', { name: 'Message' });
    await aliceComposer.pressSequentially('Sure, what');
    const bobTyping = bob.getByTestId('typing-indicator');
    await expect.poll(() => bobTyping.innerText()).toBe('Alice is typing…');
    await aliceComposer.pressSequentially('’s up?');
    await aliceComposer.press('Enter');
    const bobMessages = bob.getByRole('list', { name: 'Messages' });
    await bobMessages.getByText('Sure, what’s up?').waitFor();
    await expect.poll(() => bobTyping.innerText()).toBe('');
    await screenshot(bob, 'dm-thread-375');
    expect(Number(await bob.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(375);

    // Alice edits her message in place, then deletes it: bob sees "edited", then the tombstone.
    const aliceMessage = aliceMessages.getByTestId('message').filter({ hasText: 'Sure, what’s up?' });
    await aliceMessage.getByRole('button', { name: /^Edit message/ }).click();
    const editor = alice.getByRole('textbox', { name: 'Edit message' });
    await editor.fill('Sure, what is up?');
    await editor.press('Enter');
    const onBobsSide = bobMessages.getByTestId('message').last();
    await expect.poll(() => onBobsSide.innerText()).toContain('Sure, what is up?');
    expect(await onBobsSide.innerText()).toContain('edited');
    await aliceMessages.getByTestId('message').last().getByRole('button', { name: /^Delete message/ }).click();
    await alice.getByRole('group', { name: 'Delete this message?' }).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => onBobsSide.innerText()).toContain('Message deleted');
    expect(await onBobsSide.innerText()).not.toContain('Sure, what is up?');

    // Starting a DM with alice again opens the same conversation instead of a second one.
    await bob.getByRole('link', { name: 'Back to conversations' }).click();
    await bob.getByRole('button', { name: 'New conversation' }).click();
    await bob.getByLabel('Who do you want to message?').fill('alice');
    await bob.getByRole('button', { name: 'Message Alice' }).click();
    await expect.poll(() => pathOf(bob)).toBe(dmPath);
    await bobMessages.getByText('Hi Alice, got a minute?').waitFor();
    // (The inbox is hidden behind the thread at 375 px: count its rows, not what is visible.)
    expect(await bob.getByTestId('conversation-item').count()).toBe(1);
  });
});
