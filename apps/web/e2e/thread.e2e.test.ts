import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { holdableNetwork, launchBrowser, screenshot, startApp } from './browser.ts';
import { dmWithAlice, signedInPage, signInElsewhere, signInToInbox } from './people.ts';

/** Requests that call `procedure`, alone or batched with others (`/trpc/a,b?batch=1`). */
const callsTo = (procedure: string) => (url: URL) => url.pathname.startsWith('/trpc/') && url.pathname.slice('/trpc/'.length).split(',').includes(procedure);

/** Alice signed in on `page`, her seeded DM with bob open; bob signed in elsewhere (the API over HTTP). */
async function openDmWithBob(page: Page, url: string) {
  await signInToInbox(page, url, 'alice');
  const bob = await signInElsewhere(url, 'bob');
  const { dm } = await dmWithAlice(bob);
  await page.locator(`[data-conversation-id="${dm.id}"] a`).click();
  await page.getByRole('list', { name: 'Messages' }).waitFor();
  return { bob, dm };
}

/** The same in a browser context of its own (to take it offline). */
async function openDmWithBobInContext(browser: Browser, url: string) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  return { context, page, ...(await openDmWithBob(page, url)) };
}

/** How far the history's view is above its end, in px (-1 while there is no history). */
const distanceFromEnd = (page: Page): Promise<number> =>
  page.evaluate(`(() => { const box = document.querySelector('.message-scroller'); return box ? box.scrollHeight - box.scrollTop - box.clientHeight : -1; })()`);

/** What each message shown says, top to bottom ("Message deleted" for a deleted one). */
const bodiesOn = (page: Page): Promise<string[]> =>
  page.evaluate(`[...document.querySelectorAll('[data-testid="message"] .bubble')].map((bubble) => bubble.textContent)`);

/** The "New messages" line, once shown: how far below the top of the history's view, and the text of what follows it. */
async function unreadLine(page: Page) {
  const divider = page.getByTestId('unread-divider');
  await divider.waitFor();
  const history = await page.getByLabel('Message history').boundingBox();
  const line = await divider.boundingBox();
  if (!history || !line) throw new Error('history or line not on screen');
  const next = await page.evaluate<string>(`document.querySelector('[data-testid="unread-divider"]').nextElementSibling.textContent`);
  return { divider, belowTop: line.y - history.y, next };
}

describe('a conversation, in a real browser', () => {
  it('opens from the inbox, sends, and shows bob’s new, edited and deleted messages live; at 375 px one pane at a time', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 375, height: 740 } });
    await signInToInbox(page, app.url, 'alice');

    const bob = await signInElsewhere(app.url, 'bob');
    const { dm } = await dmWithAlice(bob);

    // Opening the DM replaces the inbox on a phone-sized screen; its history is there.
    await page.locator(`[data-conversation-id="${dm.id}"] a`).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/c/${dm.id}`);
    const messages = page.getByRole('list', { name: 'Messages' });
    await messages.waitFor();
    expect(await page.getByRole('list', { name: 'Conversations' }).isVisible()).toBe(false);
    expect(await page.getByRole('heading', { level: 2 }).innerText()).toBe(dm.participants.find((p) => p.username === 'bob')?.displayName);
    const history = await bob.messages.list.query({ conversationId: dm.id, limit: 50 });
    if (history.items.length > 0) expect(await messages.getByTestId('message').count()).toBe(history.items.length);

    // The keyboard is in the composer (a mouse here: no on-screen keyboard to raise).
    await expect.poll(() => page.evaluate("document.activeElement?.classList.contains('composer-input')")).toBe(true);

    // Alice writes (Enter sends); it lands in the database once and shows as sent.
    const composer = page.getByRole('textbox', { name: 'Message' });
    await composer.fill('Hello from the browser');
    await composer.press('Enter');
    await expect.poll(async () => (await bob.messages.list.query({ conversationId: dm.id, limit: 5 })).items.at(-1)?.body).toBe('Hello from the browser');
    await expect.poll(() => page.getByTestId('pending-message').count()).toBe(0);
    await messages.getByText('Hello from the browser').waitFor();

    // Editing it, the editor stays inside the history: nothing sticks out or scrolls sideways.
    await messages.getByTestId('message').filter({ hasText: 'Hello from the browser' }).getByRole('button', { name: /^Edit message/ }).click();
    const editorBox = await page.locator('.message-editor textarea').boundingBox();
    const historyBox = await page.getByLabel('Message history').boundingBox();
    if (!editorBox || !historyBox) throw new Error('editor or history not on screen');
    expect(editorBox.x + editorBox.width).toBeLessThanOrEqual(historyBox.x + historyBox.width);
    expect(await page.evaluate("(() => { const s = document.querySelector('.message-scroller'); return s.scrollWidth - s.clientWidth; })()")).toBe(0);
    await page.keyboard.press('Escape');

    // Bob typing shows under the thread, and his message clears it.
    const typing = page.getByTestId('typing-indicator');
    await bob.conversations.setTyping.mutate({ id: dm.id, typing: true });
    await expect.poll(() => typing.innerText()).toBe('Bob Marley is typing…');

    // Bob's reply appears live, then his edit, then his delete.
    const reply = await bob.messages.send.mutate({ conversationId: dm.id, body: 'Got it', clientId: crypto.randomUUID() });
    await messages.getByText('Got it').waitFor();
    await expect.poll(() => typing.innerText()).toBe('');
    await bob.messages.edit.mutate({ id: reply.id, body: 'Got it, thanks' });
    const replyItem = messages.locator(`[data-message-id="${reply.id}"]`);
    await expect.poll(() => replyItem.innerText()).toContain('Got it, thanks');
    expect(await replyItem.innerText()).toContain('edited');
    await screenshot(page, 'thread');
    await bob.messages.delete.mutate({ id: reply.id });
    await expect.poll(() => replyItem.innerText()).toContain('Message deleted');

    // Read while open: bob's messages count as read for alice.
    await expect.poll(async () => {
      const detail = await bob.conversations.get.query({ id: dm.id });
      return detail.participants.find((p) => p.username === 'alice')?.lastReadSeq;
    }).toBeGreaterThanOrEqual(reply.seq);

    // Back goes to the inbox, the keyboard on the row of the conversation it came from.
    await page.getByRole('link', { name: 'Back to conversations' }).click();
    await page.getByRole('list', { name: 'Conversations' }).waitFor({ state: 'visible' });
    expect(new URL(page.url()).pathname).toBe('/');
    await expect.poll(() => page.evaluate(`document.activeElement?.closest('[data-conversation-id]')?.getAttribute('data-conversation-id')`)).toBe(String(dm.id));
  });

  it('catches up after a server restart with no lost or repeated message, and keeps history across a reload', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Alice's network, made controllable: while held, her new sockets hang as on a dead network.
    const network = await holdableNetwork(page);
    await signInToInbox(page, app.url, 'alice');
    const bob = await signInElsewhere(app.url, 'bob');
    const { dm } = await dmWithAlice(bob);
    await page.locator(`[data-conversation-id="${dm.id}"] a`).click();
    const messages = page.getByRole('list', { name: 'Messages' });
    await messages.waitFor();
    await bob.messages.send.mutate({ conversationId: dm.id, body: 'Before the restart', clientId: crypto.randomUUID() });
    await messages.getByText('Before the restart').waitFor();
    const composer = page.getByRole('textbox', { name: 'Message' });
    await composer.fill('Mine, to delete while away');
    await composer.press('Enter');
    const written = messages.getByTestId('message').filter({ hasText: 'Mine, to delete while away' });
    await written.getByText(/Sent/).waitFor();
    // By id: once deleted, its text is gone.
    const mine = messages.locator(`[data-message-id="${await written.getAttribute('data-message-id')}"]`);

    // The server restarts while alice is offline; she tries to delete her message meanwhile,
    // and bob writes twice before she is back.
    const reconnecting = page.getByRole('status').filter({ hasText: 'Reconnecting…' });
    network.hold();
    await app.restart(async () => {
      await expect.poll(() => reconnecting.count()).toBe(1);
      await mine.getByRole('button', { name: /Delete message/ }).click();
      await mine.getByRole('button', { name: 'Delete', exact: true }).click();
      await mine.getByRole('alert').waitFor();
    });
    const bobAgain = await signInElsewhere(app.url, 'bob');
    await bobAgain.messages.send.mutate({ conversationId: dm.id, body: 'While you were away 1', clientId: crypto.randomUUID() });
    await bobAgain.messages.send.mutate({ conversationId: dm.id, body: 'While you were away 2', clientId: crypto.randomUUID() });
    network.release();
    await expect.poll(() => reconnecting.count(), { timeout: 10_000 }).toBe(0);
    await messages.getByText('While you were away 2').waitFor();
    // Back: the failure that came of being away is no longer shown, and the message can go now.
    expect(await mine.getByRole('alert').count()).toBe(0);
    await mine.getByRole('button', { name: /Delete message/ }).click();
    await mine.getByRole('button', { name: 'Delete', exact: true }).click();
    await mine.getByText('Message deleted').waitFor();

    // Exactly what the server has, in its order: nothing lost, nothing twice.
    const stored = await bobAgain.messages.list.query({ conversationId: dm.id, limit: 50 });
    const shown = async () => Promise.all((await messages.getByTestId('message').all()).map((item) => item.getAttribute('data-seq')));
    const afterRestart = await shown();
    expect(new Set(afterRestart).size).toBe(afterRestart.length);
    expect(afterRestart.slice(-stored.items.length)).toEqual(stored.items.map((message) => String(message.seq)));

    // A live message after the reconnect still arrives, and a reload shows the same history.
    await bobAgain.messages.send.mutate({ conversationId: dm.id, body: 'Welcome back', clientId: crypto.randomUUID() });
    await messages.getByText('Welcome back').waitFor();
    await page.reload();
    await messages.getByText('Welcome back').waitFor();
    const afterReload = await bobAgain.messages.list.query({ conversationId: dm.id, limit: 50 });
    // The newest page again (the older ones load on scrolling up).
    expect(await shown()).toEqual(afterReload.items.map((message) => String(message.seq)));
  });

  it('shows a failed send as not sent; Retry sends the same clientId, and the message is stored and shown once', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const { bob, dm } = await openDmWithBob(page, app.url);

    // The first attempt never reaches the server; the retry reaches it but its answer is
    // lost (the live event confirms it instead).
    const clientIds: string[] = [];
    await page.route(callsTo('messages.send'), async (route) => {
      clientIds.push(/"clientId":"([^"]+)"/.exec(route.request().postData() ?? '')?.[1] ?? 'none');
      if (clientIds.length === 1) return route.abort('connectionreset');
      await route.fetch();
      await route.abort('connectionreset');
    });
    const composer = page.getByRole('textbox', { name: 'Message' });
    await composer.fill('Only once, please');
    await composer.press('Enter');
    const pending = page.getByTestId('pending-message');
    await expect.poll(() => pending.getAttribute('data-status')).toBe('failed');
    expect(await pending.innerText()).toContain('Not sent');

    await pending.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => pending.count()).toBe(0);
    const messages = page.getByRole('list', { name: 'Messages' });
    await messages.getByText('Only once, please').waitFor();
    expect(await messages.getByText('Only once, please').count()).toBe(1);
    const stored = await bob.messages.list.query({ conversationId: dm.id, limit: 10 });
    expect(stored.items.filter((message) => message.body === 'Only once, please').map((message) => message.clientId)).toEqual([clientIds[0]]);
    expect(clientIds).toHaveLength(2);
    expect(clientIds[1]).toBe(clientIds[0]);
  });

  it('stores and shows messages typed in quick succession in the order they were typed, even when one is slow to go', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const { bob, dm } = await openDmWithBob(page, app.url);

    // The first send's request is held a moment on its way, as a slow connection would.
    let sends = 0;
    await page.route(callsTo('messages.send'), async (route) => {
      if (++sends === 1) await new Promise((resolve) => setTimeout(resolve, 500));
      await route.continue();
    });
    const composer = page.getByRole('textbox', { name: 'Message' });
    const typed = ['one', 'two', 'three', 'four', 'five'].map((word) => `in order: ${word}`);
    for (const body of typed) {
      await composer.fill(body);
      await composer.press('Enter');
    }
    await expect.poll(() => page.getByTestId('pending-message').count()).toBe(0);

    const stored = await bob.messages.list.query({ conversationId: dm.id, limit: 10 });
    expect(stored.items.map((message) => message.body).filter((body) => body.startsWith('in order: '))).toEqual(typed);
    const shown = await page.getByRole('list', { name: 'Messages' }).getByTestId('message').allInnerTexts();
    expect(shown.flatMap((text) => typed.filter((body) => text.includes(body)))).toEqual(typed);
  });

  it('says at once that the browser went offline, and sends by itself, in order and once, what was written offline when it is back', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const { context, page, bob, dm } = await openDmWithBobInContext(browser, app.url);

    await context.setOffline(true);
    // Said at once (the browser knows), not when the keep-alive would notice, ~15 s on.
    await page.getByTestId('reconnecting-banner').waitFor({ timeout: 3_000 });
    const composer = page.getByRole('textbox', { name: 'Message' });
    const written = ['written offline: first', 'written offline: second'];
    for (const body of written) {
      await composer.fill(body);
      await composer.press('Enter');
    }
    const pending = page.getByTestId('pending-message');
    const statuses = async () => Promise.all((await pending.all()).map((item) => item.getAttribute('data-status')));
    await expect.poll(statuses).toEqual(['failed', 'failed']);
    expect(await pending.first().innerText()).toContain('It goes by itself once Parley answers again.');

    await context.setOffline(false);
    await expect.poll(() => pending.count()).toBe(0);
    await expect.poll(() => page.getByTestId('reconnecting-banner').count()).toBe(0);
    const stored = await bob.messages.list.query({ conversationId: dm.id, limit: 10 });
    expect(stored.items.map((message) => message.body).filter((body) => body.startsWith('written offline: '))).toEqual(written);
    for (const body of written) expect(await page.getByRole('list', { name: 'Messages' }).getByText(body).count()).toBe(1);
  });

  it('says in a DM’s header whether the other person is online, live as they come and go', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await openDmWithBob(page, app.url);
    const header = page.locator('.thread-header');
    await expect.poll(() => header.innerText()).toContain('Offline');

    const bobPage = await signedInPage(browser, app.url, 'bob');
    await expect.poll(() => header.innerText()).toContain('Online');
    await bobPage.context().close();
    await expect.poll(() => header.innerText(), { timeout: 20_000 }).toContain('Offline');
  });

  it('marks read only what the reader reached: scrolled up, a new message waits behind "1 new message"', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const { bob, dm } = await openDmWithBob(page, app.url);
    const aliceReadUpTo = async () => {
      const detail = await bob.conversations.get.query({ id: dm.id });
      return detail.participants.find((participant) => participant.username === 'alice')?.lastReadSeq ?? -1;
    };
    await expect.poll(aliceReadUpTo).toBe(dm.lastSeq);

    // Alice scrolls up into the history; bob writes.
    const fromEnd = () => distanceFromEnd(page);
    await page.getByLabel('Message history').hover();
    await page.mouse.wheel(0, -2_000);
    await expect.poll(fromEnd).toBeGreaterThan(300);
    const sent = await bob.messages.send.mutate({ conversationId: dm.id, body: 'Are you still there?', clientId: crypto.randomUUID() });
    const notice = page.getByRole('button', { name: '1 new message ↓' });
    await notice.waitFor();
    expect(await fromEnd()).toBeGreaterThan(300);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await aliceReadUpTo()).toBeLessThan(sent.seq);

    // One Shift+Tab from the composer reaches the button; taken to the end, she has read it,
    // and the keyboard stays in the history.
    await page.getByRole('textbox', { name: 'Message' }).focus();
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(`document.activeElement?.textContent`)).toBe('1 new message ↓');
    await page.keyboard.press('Enter');
    await expect.poll(aliceReadUpTo).toBe(sent.seq);
    expect(await notice.count()).toBe(0);
    expect(await page.evaluate(`document.activeElement?.getAttribute('aria-label')`)).toBe('Message history');

    // At the end, she stays there when bob's last message grows by an edit.
    const long = 'Are you still there? '.repeat(40);
    await bob.messages.edit.mutate({ id: sent.id, body: long.trim() });
    await page.getByRole('list', { name: 'Messages' }).getByText(/still there\? Are you/).waitFor();
    await expect.poll(fromEnd).toBeLessThan(5);
  });

  it('opens a conversation with more unread than the view holds at the first of them, under "New messages", and reads them only at the end', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signInToInbox(page, app.url, 'alice');
    const bob = await signInElsewhere(app.url, 'bob');
    const { dm } = await dmWithAlice(bob);
    // Alice reads what the seed left, elsewhere; then bob writes 25 messages of three lines.
    const alice = await signInElsewhere(app.url, 'alice');
    await alice.conversations.markRead.mutate({ id: dm.id, seq: dm.lastSeq });
    const sent = [];
    for (let index = 1; index <= 25; index += 1) {
      sent.push(await bob.messages.send.mutate({ conversationId: dm.id, body: `Unread ${index}\nsecond line\nthird line`, clientId: crypto.randomUUID() }));
    }
    const aliceReadUpTo = async () => (await bob.conversations.get.query({ id: dm.id })).participants.find((p) => p.username === 'alice')?.lastReadSeq;

    await page.locator(`[data-conversation-id="${dm.id}"] a`).click();
    const { divider, belowTop, next } = await unreadLine(page);
    // The line is in view near the top, the first unread message under it; the newest is below the view.
    expect(belowTop).toBeLessThan(50);
    expect(next).toContain('Unread 1\n');
    const fromEnd = () => distanceFromEnd(page);
    expect(await fromEnd()).toBeGreaterThan(300);
    const toEnd = page.getByRole('button', { name: '25 new messages ↓' });
    await toEnd.waitFor();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await aliceReadUpTo()).toBe(dm.lastSeq);

    // Taken to the end, she has read them all; the line stays where they began.
    await toEnd.click();
    await expect.poll(aliceReadUpTo).toBe(sent.at(-1)?.seq);
    expect(await divider.count()).toBe(1);
  });

  it('opens a group with more unread than a page at the first of them, loading back to it before showing anything; far up, "Jump to newest" goes back', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signInToInbox(page, app.url, 'carol');
    // Carol reads the seeded group elsewhere; then alice and bob write 60 messages (a page is 50).
    const carol = await signInElsewhere(app.url, 'carol');
    const group = (await carol.conversations.list.query({ limit: 20 })).items.find((conversation) => conversation.title === 'Weekend trip');
    if (!group) throw new Error('the demo seed has the group "Weekend trip"');
    await carol.conversations.markRead.mutate({ id: group.id, seq: group.lastSeq });
    const writers = [await signInElsewhere(app.url, 'alice'), await signInElsewhere(app.url, 'bob')];
    const sent = [];
    for (let index = 1; index <= 60; index += 1) {
      sent.push(await writers[index % 2]?.messages.send.mutate({ conversationId: group.id, body: `Unread ${index}`, clientId: crypto.randomUUID() }));
    }
    const carolReadUpTo = async () => (await carol.conversations.get.query({ id: group.id })).participants.find((p) => p.username === 'carol')?.lastReadSeq;

    // The older page is held back a moment; until it is in, no message shows without the line.
    await page.route('**/trpc/messages.list**', async (route) => {
      if (decodeURIComponent(route.request().url()).includes('"before"')) await new Promise((resolve) => setTimeout(resolve, 500));
      await route.continue();
    });
    await page.evaluate(`(() => {
      window.shownWithoutLine = false;
      new MutationObserver(() => {
        if (document.querySelector('[data-testid="message"]') && !document.querySelector('[data-testid="unread-divider"]')) window.shownWithoutLine = true;
      }).observe(document.body, { childList: true, subtree: true });
    })()`);
    await page.locator(`[data-conversation-id="${group.id}"] a`).click();
    const { belowTop, next } = await unreadLine(page);

    // The line is at the top of the view, the first unread message under it, all 60 counted below.
    expect(belowTop).toBeGreaterThanOrEqual(0);
    expect(belowTop).toBeLessThan(50);
    expect(next).toContain('Unread 1');
    const toEnd = page.getByRole('button', { name: '60 new messages ↓' });
    await toEnd.waitFor();
    expect(await page.evaluate('window.shownWithoutLine')).toBe(false);
    // Nothing moves after, and nothing is read until she reaches the end.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await unreadLine(page)).belowTop).toBe(belowTop);
    expect(await carolReadUpTo()).toBe(group.lastSeq);
    await toEnd.click();
    await expect.poll(carolReadUpTo).toBe(sent.at(-1)?.seq);

    // Scrolled up far, with nothing new, the same button takes her back to the newest message.
    const fromEnd = () => distanceFromEnd(page);
    const jump = page.getByRole('button', { name: 'Jump to newest ↓' });
    expect(await jump.count()).toBe(0);
    await page.getByLabel('Message history').hover();
    await page.mouse.wheel(0, -3_000);
    await jump.waitFor();
    await jump.click();
    await expect.poll(fromEnd).toBeLessThan(5);
    await expect.poll(() => jump.count()).toBe(0);
  });

  it('reaches the whole of a long history after a message far up in it is edited or deleted elsewhere, live and when opened after', async () => {
    await using app = await startApp({ env: { RATE_LIMIT_SCALE: '100' } });
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signInToInbox(page, app.url, 'alice');
    const bob = await signInElsewhere(app.url, 'bob');
    const { dm } = await dmWithAlice(bob);
    // 120 of bob's messages after the seeded ones: the newest page alice opens (50) holds only the last of them.
    const old = [];
    for (let index = 1; index <= 120; index += 1) old.push(await bob.messages.send.mutate({ conversationId: dm.id, body: `Old ${index}`, clientId: crypto.randomUUID() }));
    // Read on her phone: the conversation opens at its end, not back at the first unread.
    await (await signInElsewhere(app.url, 'alice')).conversations.markRead.mutate({ id: dm.id, seq: old.at(-1)?.seq ?? 0 });
    await page.locator(`[data-conversation-id="${dm.id}"] a`).click();
    await page.getByText('Old 120', { exact: true }).waitFor();
    /** Scrolls to the top until nothing older is left to load, then all the bodies shown. */
    const scrollToStart = async (on: Page) => {
      const older = on.getByRole('button', { name: /^(Load older messages|Loading…)$/ });
      await on.getByLabel('Message history').hover();
      for (let round = 0; round < 30 && (await older.count()) > 0; round += 1) {
        await on.mouse.wheel(0, -20_000);
        await on.waitForTimeout(300);
      }
      expect(await older.count()).toBe(0);
      return bodiesOn(on);
    };

    // Elsewhere, bob edits his 12th and deletes his 1st, far above what alice has loaded: nothing shows yet.
    const [first, twelfth] = [old[0], old[11]];
    if (!first || !twelfth) throw new Error('sent');
    await bob.messages.edit.mutate({ id: twelfth.id, body: 'Old 12, fixed' });
    await bob.messages.delete.mutate({ id: first.id });
    await page.waitForTimeout(1_000);
    expect((await bodiesOn(page)).some((body) => body.startsWith('Old 12,'))).toBe(false);

    // Scrolled to the start, every message is there once, in order, the edit and the deletion in their places.
    const bobsOld = (shown: string[]) => shown.filter((body) => body.startsWith('Old ') || body === 'Message deleted');
    const wanted = ['Message deleted', ...Array.from({ length: 119 }, (_, index) => (index + 2 === 12 ? 'Old 12, fixed' : `Old ${index + 2}`))];
    expect(bobsOld(await scrollToStart(page))).toEqual(wanted);

    // Opened afresh (its newest events are the edit and the deletion, replayed to a new stream), the same.
    const again = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signInToInbox(again, app.url, 'alice');
    await again.locator(`[data-conversation-id="${dm.id}"] a`).click();
    await again.getByText('Old 120', { exact: true }).waitFor();
    expect(bobsOld(await scrollToStart(again))).toEqual(wanted);
  });

  it('keeps a message written offline when its writer moves to another conversation, and sends it once back online', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const { context, page, bob, dm } = await openDmWithBobInContext(browser, app.url);

    await context.setOffline(true);
    const composer = page.getByRole('textbox', { name: 'Message' });
    await composer.fill('written before leaving');
    await composer.press('Enter');
    await expect.poll(() => page.getByTestId('pending-message').getAttribute('data-status')).toBe('failed');
    await page.getByRole('list', { name: 'Conversations' }).getByRole('listitem', { name: 'Weekend trip' }).click();
    // Still offline: the other conversation cannot load yet, but the DM's thread is gone.
    await expect.poll(() => page.getByRole('list', { name: 'Messages' }).count()).toBe(0);

    await context.setOffline(false);
    await page.getByRole('heading', { level: 2, name: 'Weekend trip' }).waitFor();
    const storedBodies = async () => (await bob.messages.list.query({ conversationId: dm.id, limit: 10 })).items.map((message) => message.body);
    await expect.poll(storedBodies).toContain('written before leaving');
    await page.locator(`[data-conversation-id="${dm.id}"] a`).click();
    await page.getByRole('list', { name: 'Messages' }).getByText('written before leaving').waitFor();
    expect(await page.getByRole('list', { name: 'Messages' }).getByText('written before leaving').count()).toBe(1);
    expect(await page.getByTestId('pending-message').count()).toBe(0);
    expect((await storedBodies()).filter((body) => body === 'written before leaving')).toHaveLength(1);
  });
});
