import { randomUUID } from 'node:crypto';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { holdableNetwork, launchBrowser, screenshot, startApp } from './browser.ts';
import { dmWithAlice, signInElsewhere, signInOnPage, streamStarted } from './people.ts';

async function signInAsAlice(page: Page, url: string) {
  await signInOnPage(page, url, 'alice');
  const inbox = page.getByRole('list', { name: 'Conversations' });
  await inbox.waitFor();
  // Any page load from here on would be a reload.
  let loads = 0;
  page.on('load', () => loads++);
  return {
    rows: inbox.getByTestId('conversation-item'),
    row: (conversationId: number) => inbox.locator(`[data-conversation-id="${conversationId}"]`),
    firstRowId: () => inbox.getByTestId('conversation-item').first().getAttribute('data-conversation-id'),
    notReloaded: () => loads === 0,
  };
}

/** The number on a row's unread badge (0 without one). */
async function unreadOf(row: Locator): Promise<number> {
  const badge = row.getByTestId('unread-badge');
  if ((await badge.count()) === 0) return 0;
  return Number((await badge.locator('[aria-hidden="true"]').innerText()).replace('+', ''));
}

describe('the inbox, live in a real browser', () => {
  it('shows a group bob just started and moves his new message to the top, without a reload', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const streaming = streamStarted(page);
    const inbox = await signInAsAlice(page, app.url);
    await streaming;

    const bob = await signInElsewhere(app.url, 'bob');
    const { dm, alice } = await dmWithAlice(bob);
    const unreadBefore = await unreadOf(inbox.row(dm.id));

    // A new group with alice in it appears at the top of her inbox.
    const group = await bob.conversations.create.mutate({ kind: 'group', participantIds: [alice.id], title: 'Surprise party' });
    await expect.poll(inbox.firstRowId).toBe(String(group.id));
    expect(await inbox.rows.first().innerText()).toContain('Surprise party');

    // A message in their DM moves it above the group, with its preview and one more unread.
    await bob.messages.send.mutate({ conversationId: dm.id, body: 'Are you coming tonight?', clientId: randomUUID() });
    await expect.poll(inbox.firstRowId).toBe(String(dm.id));
    await expect.poll(() => inbox.row(dm.id).getByTestId('conversation-preview').innerText()).toBe('Are you coming tonight?');
    expect(await unreadOf(inbox.row(dm.id))).toBe(unreadBefore + 1);
    expect(await inbox.rows.nth(1).getAttribute('data-conversation-id')).toBe(String(group.id));

    expect(inbox.notReloaded()).toBe(true);
    await screenshot(page, 'live-inbox');

    // A search stays true while things change: bob's next message shows in the found row, a
    // conversation the search does not match stays out, and a rename away from it drops it.
    await page.getByLabel('Search conversations').fill('surprise');
    await expect.poll(() => inbox.rows.count()).toBe(1);
    await bob.messages.send.mutate({ conversationId: group.id, body: 'Bring a cake', clientId: randomUUID() });
    await bob.messages.send.mutate({ conversationId: dm.id, body: 'Or a pie', clientId: randomUUID() });
    await expect.poll(() => inbox.row(group.id).getByTestId('conversation-preview').innerText()).toBe('Bob Marley: Bring a cake');
    expect(await inbox.rows.count()).toBe(1);
    await bob.conversations.update.mutate({ id: group.id, title: 'Birthday' });
    await page.getByText('No conversations match “surprise”.').waitFor();
  });

  it('counts the unread of conversations past the loaded rows in the title, and points to them', async () => {
    // Conversations to create past the hourly limit of one person.
    await using app = await startApp({ env: { RATE_LIMIT_SCALE: '10' } });
    const aliceElsewhere = await signInElsewhere(app.url, 'alice');
    const bob = await signInElsewhere(app.url, 'bob');
    const { alice } = await dmWithAlice(bob);
    const bobId = (await bob.auth.me.query()).id;
    const far = await bob.conversations.create.mutate({ kind: 'group', title: 'Far down', participantIds: [alice.id] });
    for (const body of ['Are you coming?', 'Answer when you can']) await bob.messages.send.mutate({ conversationId: far.id, body, clientId: randomUUID() });
    // Then alice is busy in 21 groups of her own: "Far down" and the demo's unread go past the first 20 rows.
    for (let index = 0; index < 21; index += 1) {
      const group = await aliceElsewhere.conversations.create.mutate({ kind: 'group', title: `Busy ${index}`, participantIds: [bobId] });
      await aliceElsewhere.messages.send.mutate({ conversationId: group.id, body: 'mine', clientId: randomUUID() });
    }
    const first = await aliceElsewhere.conversations.list.query({ limit: 20 });
    const rest = await aliceElsewhere.conversations.list.query({ limit: 100, cursor: first.nextCursor });
    expect(first.items.every((item) => item.unreadCount === 0)).toBe(true);
    const waiting = rest.items.filter((item) => item.unreadCount > 0);
    const unread = waiting.reduce((sum, item) => sum + item.unreadCount, 0);
    expect(waiting.map((item) => item.id)).toContain(far.id);

    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const inbox = await signInAsAlice(page, app.url);
    await expect.poll(() => page.title()).toBe(`(${unread}) Parley`);
    const below = page.getByRole('button', { name: `${waiting.length} unread conversations further down: show them` });
    await expect.poll(() => below.textContent()).toBe(`${waiting.length} more unread ↓`);
    expect(await below.isVisible()).toBe(true);

    await below.click();
    await inbox.row(far.id).waitFor();
    // The keyboard is on the first of them, which is in view.
    const focusedRow = () => page.evaluate("document.activeElement?.closest('[data-conversation-id]')?.getAttribute('data-conversation-id')");
    await expect.poll(focusedRow).toBe(String(waiting[0]?.id));
    expect(await inbox.row(waiting[0]?.id ?? 0).isVisible()).toBe(true);
    expect(await unreadOf(inbox.row(far.id))).toBe(2);
    await expect.poll(() => below.count()).toBe(0);
    expect(await page.title()).toBe(`(${unread}) Parley`);
  });

  it('says it is reconnecting while the server restarts, then shows what was sent while it was away', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Alice's network, made controllable: while held, her new sockets hang as on a dead network.
    const network = await holdableNetwork(page);
    const streaming = streamStarted(page);
    const inbox = await signInAsAlice(page, app.url);
    await streaming;
    const reconnecting = page.getByRole('status').filter({ hasText: 'Reconnecting…' });
    expect(await reconnecting.count()).toBe(0);

    // A deploy: the server restarts while alice's network is down; bob writes before she is back.
    network.hold();
    await app.restart(async () => {
      await expect.poll(() => reconnecting.count()).toBe(1);
    });
    const bob = await signInElsewhere(app.url, 'bob');
    const { dm } = await dmWithAlice(bob);
    await bob.messages.send.mutate({ conversationId: dm.id, body: 'Did you get this?', clientId: randomUUID() });
    await screenshot(page, 'live-inbox-reconnecting');
    expect(await reconnecting.count()).toBe(1);
    // (Not asserted: that the row lacks it now. A list fetch the outage failed is retried over
    // HTTP, which is not held, and may bring it early: a full-suite run did, once.)

    // Back online: the banner goes and the inbox catches up, though the stream itself has no replay.
    network.release();
    await expect.poll(() => reconnecting.count(), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => inbox.row(dm.id).getByTestId('conversation-preview').innerText()).toBe('Did you get this?');
    expect(await inbox.firstRowId()).toBe(String(dm.id));
    expect(inbox.notReloaded()).toBe(true);
  });

  it('says it is reconnecting when the network dies under an open socket, and catches up once it is back', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const streaming = streamStarted(page);
    const inbox = await signInAsAlice(page, app.url);
    await streaming;
    const reconnecting = page.getByRole('status').filter({ hasText: 'Reconnecting…' });

    // No close from anyone: the socket just goes silent, and the browser cannot finish closing
    // it. The keep-alive (a ping after 10 s, 5 s for its pong, 1 s to close) has to notice.
    await page.context().setOffline(true);
    await expect.poll(() => reconnecting.count(), { timeout: 20_000 }).toBe(1);
    const bob = await signInElsewhere(app.url, 'bob');
    const { dm } = await dmWithAlice(bob);
    await bob.messages.send.mutate({ conversationId: dm.id, body: 'Still there?', clientId: randomUUID() });

    await page.context().setOffline(false);
    // Reconnect attempts back off while the network is down: up to 16 s after this long.
    await expect.poll(() => reconnecting.count(), { timeout: 35_000 }).toBe(0);
    await expect.poll(() => inbox.row(dm.id).getByTestId('conversation-preview').innerText()).toBe('Still there?');
    expect(inbox.notReloaded()).toBe(true);
  });

  it('signs alice out here as soon as she signs out on another device', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const streaming = streamStarted(page);
    await signInAsAlice(page, app.url);
    await streaming;

    const aliceElsewhere = await signInElsewhere(app.url, 'alice');
    await aliceElsewhere.auth.logout.mutate();

    // No click and no reload: the server closes her socket, and on the socket she reconnects
    // with, her dead token makes the inbox stream answer UNAUTHORIZED.
    await expect.poll(() => page.getByTestId('session-notice').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByTestId('session-notice').innerText()).toContain('Your session has ended');
    expect(await page.getByRole('list', { name: 'Conversations' }).count()).toBe(0);
  });
});
