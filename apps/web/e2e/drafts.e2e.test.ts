import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { launchBrowser, startApp } from './browser.ts';
import { DEMO_PASSWORD, dmWithAlice, signInElsewhere, signInToInbox } from './people.ts';

/** Opens a conversation from the inbox and waits for its thread (and so its composer). */
async function open(page: Page, conversationId: number) {
  await page.locator(`[data-conversation-id="${conversationId}"] a`).click();
  await expect.poll(() => new URL(page.url()).pathname).toBe(`/c/${conversationId}`);
  await page.getByRole('list', { name: 'Messages' }).waitFor();
}

describe('drafts, in a real browser', () => {
  it('keeps each conversation’s draft across switching and a reload, forgets it once sent, and on sign-out', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signInToInbox(page, app.url, 'alice');
    const bob = await signInElsewhere(app.url, 'bob');
    const { dm } = await dmWithAlice(bob);
    const { items } = await bob.conversations.list.query({ limit: 20 });
    const group = items.find((conversation) => conversation.kind === 'group');
    if (!group) throw new Error('the demo seed has a group with alice and bob');
    const composer = page.getByRole('textbox', { name: 'Message' });
    const messages = page.getByRole('list', { name: 'Messages' });

    // Half a message in the DM; the group's composer starts empty; back in the DM it is there.
    await open(page, dm.id);
    await composer.pressSequentially('Half a thought about the gym');
    await open(page, group.id);
    expect(await composer.inputValue()).toBe('');
    await composer.fill('A group draft');
    await open(page, dm.id);
    expect(await composer.inputValue()).toBe('Half a thought about the gym');

    // A reload keeps both, each in its own conversation.
    await page.reload();
    await messages.waitFor();
    expect(await composer.inputValue()).toBe('Half a thought about the gym');
    await open(page, group.id);
    expect(await composer.inputValue()).toBe('A group draft');

    // Sent, it is gone, also after a reload.
    await open(page, dm.id);
    await composer.press('Enter');
    await messages.getByText('Half a thought about the gym').waitFor();
    await expect.poll(() => page.getByTestId('pending-message').count()).toBe(0);
    expect(await composer.inputValue()).toBe('');
    await page.reload();
    await messages.getByText('Half a thought about the gym').waitFor();
    expect(await composer.inputValue()).toBe('');

    // Signing out clears this tab's drafts: signed in again, the group's draft is gone. And it
    // leaves the conversation's address, so whoever signs in next starts at their inbox.
    expect(new URL(page.url()).pathname).toMatch(/^\/c\/\d+$/);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Username').waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.evaluate(() => Object.keys(sessionStorage).filter((key) => key.startsWith('parley.draft:')))).toEqual([]);
    await signInToInbox(page, app.url, 'alice');
    await open(page, group.id);
    expect(await composer.inputValue()).toBe('');
    await open(page, dm.id);
    expect(await composer.inputValue()).toBe('');
  });

  it('never shows one person’s draft to another signed in later in the same tab', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const { dm } = await dmWithAlice(await signInElsewhere(app.url, 'bob'));
    await signInToInbox(page, app.url, 'alice');
    await open(page, dm.id);
    await page.getByRole('textbox', { name: 'Message' }).fill('Only for alice’s eyes');

    // The token goes as a session expiry or another tab's sign-out would take it.
    await page.evaluate(() => localStorage.removeItem('parley.token'));
    await signInToInbox(page, app.url, 'bob');
    await open(page, dm.id);
    expect(await page.getByRole('textbox', { name: 'Message' }).inputValue()).toBe('');
  });

  it('keeps a message sent as the session ends, and sends it once when alice signs in again', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const bob = await signInElsewhere(app.url, 'bob');
    const { dm } = await dmWithAlice(bob);
    await signInToInbox(page, app.url, 'alice');
    await open(page, dm.id);

    // Her send is on its way when a sign-out on another device revokes her token.
    let letSendsGo: () => void = () => undefined;
    const sendsHeld = new Promise<void>((resolve) => (letSendsGo = resolve));
    await page.route(
      (url) => url.pathname.startsWith('/trpc/') && url.pathname.slice('/trpc/'.length).split(',').includes('messages.send'),
      async (route) => {
        await sendsHeld;
        await route.continue();
      },
    );
    const composer = page.getByRole('textbox', { name: 'Message' });
    await composer.fill('Sent as my session ended');
    await composer.press('Enter');
    await page.getByTestId('pending-message').waitFor();
    await (await signInElsewhere(app.url, 'alice')).auth.logout.mutate();
    letSendsGo();

    // The sign-in form says it is kept; signing in again sends it, once, in the DM she had open.
    await expect.poll(() => page.getByText('Your unsent message goes once you do.').count(), { timeout: 15_000 }).toBe(1);
    await page.unroute('**');
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('list', { name: 'Messages' }).getByText('Sent as my session ended').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/c/${dm.id}`);
    const bodies = async () => (await bob.messages.list.query({ conversationId: dm.id, limit: 20 })).items.map((message) => message.body);
    await expect.poll(async () => (await bodies()).filter((body) => body === 'Sent as my session ended').length).toBe(1);
    await expect.poll(() => page.getByTestId('pending-message').count()).toBe(0);
  });

  it('asks before the tab is closed while a message is not sent, and not otherwise', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const bob = await signInElsewhere(app.url, 'bob');
    const { dm } = await dmWithAlice(bob);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await signInToInbox(page, app.url, 'alice');
    await open(page, dm.id);
    const asked: string[] = [];
    page.on('dialog', (dialog) => {
      asked.push(dialog.type());
      void dialog.dismiss();
    });

    // Sent and stored: closing asks nothing (a second page checks, as this one stays open).
    const composer = page.getByRole('textbox', { name: 'Message' });
    await composer.fill('This one arrives');
    await composer.press('Enter');
    await page.getByRole('list', { name: 'Messages' }).getByText('This one arrives').waitFor();
    await expect.poll(() => page.getByTestId('pending-message').count()).toBe(0);
    await page.close({ runBeforeUnload: true });
    await expect.poll(() => page.isClosed()).toBe(true);
    expect(asked).toEqual([]);

    // Not sent (Parley unreachable): closing asks, and dismissing it keeps the tab and the message.
    const second = await context.newPage();
    second.on('dialog', (dialog) => {
      asked.push(dialog.type());
      void dialog.dismiss();
    });
    await second.goto(`${app.url}/c/${dm.id}`);
    await second.route(
      (url) => url.pathname.startsWith('/trpc/') && url.pathname.slice('/trpc/'.length).split(',').includes('messages.send'),
      (route) => route.abort('connectionreset'),
    );
    const secondComposer = second.getByRole('textbox', { name: 'Message' });
    await secondComposer.fill('Stuck on its way');
    await secondComposer.press('Enter');
    await expect.poll(() => second.getByTestId('pending-message').getAttribute('data-status')).toBe('failed');
    await second.close({ runBeforeUnload: true });
    await expect.poll(() => asked).toEqual(['beforeunload']);
    expect(second.isClosed()).toBe(false);
    await second.getByTestId('pending-message').getByText('Stuck on its way').waitFor();
  });
});
