import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { launchBrowser, startApp } from './browser.ts';
import { dmWithAlice, signInElsewhere, signInToInbox, streamStarted } from './people.ts';

/** The shortest token life the server takes (TOKEN_TTL=60): the tab renews at half of it. */
const TOKEN_TTL_MS = 60_000;

describe('a session, in a real browser', () => {
  it('keeps a tab left open signed in past its first token’s expiry: renewed in place, streams and all', { timeout: 150_000 }, async () => {
    await using app = await startApp({ env: { TOKEN_TTL: String(TOKEN_TTL_MS / 1000) } });
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    let sockets = 0;
    page.on('websocket', () => sockets++);
    const streaming = streamStarted(page);
    await signInToInbox(page, app.url, 'alice');
    const signedInAt = Date.now();
    await streaming;
    let loads = 0;
    page.on('load', () => loads++);
    const storedToken = () => page.evaluate(() => localStorage.getItem('parley.token'));
    const firstToken = await storedToken();

    let bob = await signInElsewhere(app.url, 'bob');
    const { dm, alice } = await dmWithAlice(bob);
    const group = await bob.conversations.create.mutate({ kind: 'group', participantIds: [alice.id], title: 'Later' });
    await page.locator(`[data-conversation-id="${dm.id}"]`).getByRole('link').click();
    const messages = page.getByRole('list', { name: 'Messages' }).getByTestId('message');
    await messages.first().waitFor();

    // At half its life the tab swaps the token for a fresh one, and its socket reconnects with
    // it, without saying "Reconnecting…" for a reconnect nobody needs to hear of.
    await page.evaluate(`new MutationObserver(() => {
      if (document.querySelector('[data-testid="reconnecting-banner"]')) window.sawReconnecting = true;
    }).observe(document.body, { childList: true, subtree: true })`);
    await expect.poll(storedToken, { timeout: TOKEN_TTL_MS * 0.75 }).not.toBe(firstToken);
    await expect.poll(() => sockets).toBe(2);

    // Past the first token's expiry, nothing asks alice to sign in again: bob's message arrives
    // live on the resumed stream, and a conversation she opens now starts a stream of its own.
    await sleep(Math.max(0, signedInAt + TOKEN_TTL_MS + 2_000 - Date.now()));
    bob = await signInElsewhere(app.url, 'bob'); // his token expired too
    await bob.messages.send.mutate({ conversationId: dm.id, body: 'Still there?', clientId: randomUUID() });
    await messages.filter({ hasText: 'Still there?' }).waitFor();
    await bob.messages.send.mutate({ conversationId: group.id, body: 'Welcome back', clientId: randomUUID() });
    await page.locator(`[data-conversation-id="${group.id}"]`).getByRole('link').click();
    await messages.filter({ hasText: 'Welcome back' }).waitFor();
    await bob.messages.send.mutate({ conversationId: group.id, body: 'Live too', clientId: randomUUID() });
    await messages.filter({ hasText: 'Live too' }).waitFor();

    expect(await page.evaluate('window.sawReconnecting === true')).toBe(false);
    expect(await page.getByLabel('Password').count()).toBe(0);
    expect(loads).toBe(0);
  });

  it('signs out at once while the browser is offline, and says the other devices are still signed in', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signInToInbox(page, app.url, 'alice');
    const phone = await signInElsewhere(app.url, 'alice');
    await page.context().setOffline(true);
    await page.getByRole('button', { name: 'Sign out' }).click();
    // Not held until the network is back: the sign-in form, with why the phone is still in.
    await page.getByLabel('Password').waitFor({ timeout: 5_000 });
    await page.getByText('Parley could not be reached to end your session on other devices', { exact: false }).waitFor();
    expect((await phone.conversations.list.query({ limit: 1 })).items.length).toBeGreaterThan(0);
  });

  it('asks before signing out when another tab still has messages on their way, which it would lose too', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const { dm } = await dmWithAlice(await signInElsewhere(app.url, 'bob'));
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const here = await context.newPage();
    await signInToInbox(here, app.url, 'alice');
    // A second tab of the same browser (signed in by the first), whose sends get no answer.
    const otherTab = await context.newPage();
    await otherTab.route('**/trpc/messages.send*', () => undefined);
    await otherTab.goto(`${app.url}/c/${dm.id}`);
    const composer = otherTab.getByRole('textbox', { name: 'Message' });
    for (const text of ['Running late', 'Start without me']) {
      await composer.fill(text);
      await composer.press('Enter');
    }
    await expect.poll(() => otherTab.getByTestId('pending-message').count()).toBe(2);

    await here.getByRole('button', { name: 'Sign out' }).click();
    const question = here.getByRole('group', { name: 'Sign out anyway?' });
    await question.waitFor();
    expect(await question.textContent()).toMatch(/^2 unsent messages will be lost \(in your other tabs\)\. Sign out anyway\?/);
    await question.getByRole('button', { name: 'Cancel' }).click();
    // Nobody was signed out: both tabs still hold their session, the other its messages.
    await here.getByRole('list', { name: 'Conversations' }).waitFor();
    expect(await otherTab.getByTestId('pending-message').count()).toBe(2);
    expect(await here.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
  });
});
