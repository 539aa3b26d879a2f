import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { launchBrowser, startApp } from './browser.ts';
import { dmWithAlice, signInElsewhere, signInToInbox, streamStarted } from './people.ts';

/**
 * Chromium's own Notification, with what the page shows recorded (a headless browser has no
 * desktop to show it on): title, body, tag, whether it was closed, and a way to click it.
 */
const RECORD_NOTIFICATIONS = `
  const Real = window.Notification;
  const shown = (window.__shown = []);
  window.Notification = class extends Real {
    constructor(title, options = {}) {
      super(title, options);
      this.record = { title, body: options.body, tag: options.tag, closed: false };
      shown.push(this);
    }
    close() {
      this.record.closed = true;
      super.close();
    }
  };
`;

interface Shown {
  title: string;
  body: string;
  tag: string;
  closed: boolean;
}

/** The web app's staleTime (QUERY_STALE_MS in src/query-client.ts, which needs a DOM to import). */
const QUERY_STALE_MS = 30_000;

const shownOn = (page: Page) => page.evaluate<Shown[]>('window.__shown.map((notification) => notification.record)');
const clickShown = (page: Page, index: number) => page.evaluate(`window.__shown[${index}].dispatchEvent(new Event('click'))`);

/**
 * Alice signed in (notifications allowed and recorded), her inbox stream started; bob's DM
 * with her, the demo's group, and a way for bob to post to either.
 */
async function aliceAndBob(url: string, browser: Browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['notifications'], { origin: url });
  await context.addInitScript(RECORD_NOTIFICATIONS);
  const page = await context.newPage();
  const streaming = streamStarted(page);
  await signInToInbox(page, url, 'alice');
  await streaming;
  const bob = await signInElsewhere(url, 'bob');
  const { dm } = await dmWithAlice(bob);
  const { items } = await bob.conversations.list.query({ limit: 20 });
  const trip = items.find((conversation) => conversation.title === 'Weekend trip');
  if (!trip) throw new Error('the demo seed has the group "Weekend trip"');
  const send = (conversationId: number, body: string) => bob.messages.send.mutate({ conversationId, body, clientId: randomUUID() });
  return { context, page, dm, trip, send };
}

describe('desktop notifications, in a real browser', () => {
  it("tell alice of what she is not reading, open it on a click, close once read, and stop when she mutes them", async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const { page, dm, trip, send } = await aliceAndBob(app.url, browser);

    // The browser allows Parley's notifications (asking it is the unit tests'): the bell is on.
    const bell = page.getByRole('button', { name: 'Desktop notifications' });
    expect(await bell.getAttribute('aria-pressed')).toBe('true');

    // In the inbox, a DM: its own notification, named by bob.
    await send(dm.id, 'Lunch at one?');
    await expect.poll(() => shownOn(page)).toEqual([{ title: 'Bob Marley', body: 'Lunch at one?', tag: `parley-conversation-${dm.id}`, closed: false }]);

    // A click opens the conversation and closes the notification.
    await clickShown(page, 0);
    await page.waitForURL(`${app.url}/c/${dm.id}`);
    await expect.poll(async () => (await shownOn(page))[0]?.closed).toBe(true);

    // Reading the DM: bob's next message there is not notified, his message in the group is.
    await send(dm.id, 'I booked a table');
    await page.getByRole('list', { name: 'Messages' }).getByText('I booked a table').waitFor();
    const inGroup = await send(trip.id, 'Tents or cabins?');
    await expect.poll(async () => (await shownOn(page)).length).toBe(2);
    expect((await shownOn(page))[1]).toEqual({ title: 'Weekend trip', body: '\u2068Bob Marley\u2069: \u2068Tents or cabins?\u2069', tag: `parley-conversation-${trip.id}`, closed: false });

    // Alice reads the group on her phone: the notification here goes.
    const alicePhone = await signInElsewhere(app.url, 'alice');
    await alicePhone.conversations.markRead.mutate({ id: trip.id, seq: inGroup.seq });
    await expect.poll(async () => (await shownOn(page))[1]?.closed).toBe(true);

    // Muted: a new message shows in the inbox, and no notification follows it.
    await bell.click();
    await expect.poll(() => bell.getAttribute('aria-pressed')).toBe('false');
    await send(trip.id, 'Cabins it is');
    const preview = page.locator(`[data-conversation-id="${trip.id}"]`).getByTestId('conversation-preview');
    await expect.poll(() => preview.innerText()).toBe('Bob Marley: Cabins it is');
    await page.waitForTimeout(2_500);
    expect(await shownOn(page)).toHaveLength(2);
  });

  it('leave out a conversation alice muted, on every tab and device, until she unmutes it', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const { context, page, dm, trip, send } = await aliceAndBob(app.url, browser);
    // A second tab of hers, on the inbox.
    const otherTab = await context.newPage();
    const otherStreaming = streamStarted(otherTab);
    await otherTab.goto(app.url);
    await otherStreaming;

    const alicePhone = await signInElsewhere(app.url, 'alice');
    const row = (on: Page, id: number) => on.locator(`[data-conversation-id="${id}"]`);
    const titleCount = async () => Number(/^\((\d+)\)/.exec(await page.title())?.[1] ?? 0);

    // Alice mutes the group for an hour from its header; both tabs mark it, her phone has it too.
    await row(page, trip.id).getByRole('link').click();
    const mute = page.getByRole('button', { name: 'Mute conversation' });
    expect(await mute.getAttribute('aria-pressed')).toBe('false');
    await mute.click();
    await page.getByRole('button', { name: 'For 1 hour' }).click();
    await expect.poll(() => mute.getAttribute('aria-pressed')).toBe('true');
    await row(page, trip.id).getByTestId('muted-mark').waitFor();
    await row(otherTab, trip.id).getByTestId('muted-mark').waitFor();
    const { mutedUntil } = await alicePhone.conversations.get.query({ id: trip.id });
    expect(Date.parse(mutedUntil ?? '') - Date.now()).toBeGreaterThan(59 * 60_000);
    expect(await row(otherTab, trip.id).getByTestId('muted-mark').getAttribute('title')).toMatch(/^Muted until (tomorrow )?\d{1,2}:\d\d [AP]M$/);

    // Reading her notes, she hears of bob's DM and not of the group; the group's unread shows on its row only.
    await row(page, (await alicePhone.conversations.create.mutate({ kind: 'self' })).id).getByRole('link').click();
    const before = await titleCount();
    await send(trip.id, 'Cabins it is');
    await row(page, trip.id).getByTestId('unread-badge').waitFor();
    await send(dm.id, 'Lunch at one?');
    await expect.poll(() => shownOn(page)).toEqual([{ title: 'Bob Marley', body: 'Lunch at one?', tag: `parley-conversation-${dm.id}`, closed: false }]);
    // Of the two messages, the title counts the DM's alone.
    await expect.poll(titleCount).toBe(before + 1);

    // After a reload it is still muted; unmuted, the group's next message is told again.
    await page.goto(`${app.url}/c/${trip.id}`);
    await expect.poll(() => mute.getAttribute('aria-pressed')).toBe('true');
    await mute.click();
    await expect.poll(() => mute.getAttribute('aria-pressed')).toBe('false');
    await expect.poll(() => row(otherTab, trip.id).getByTestId('muted-mark').count()).toBe(0);
    await row(page, dm.id).getByRole('link').click();
    await send(trip.id, 'Or tents?');
    await expect.poll(async () => (await shownOn(page)).map((shown) => shown.tag)).toEqual([`parley-conversation-${trip.id}`]);
  });
  it('tell alice, back online, of what came while her tab was offline, and not of what she read elsewhere meanwhile', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const { context, page, dm, trip, send } = await aliceAndBob(app.url, browser);
    const reconnecting = page.getByRole('status').filter({ hasText: 'Reconnecting…' });

    // Open for a while, as tabs are: its inbox is stale, so the browser's "online" refetches it
    // before the stream is back (QUERY_STALE_MS), which must not hide what is news.
    await page.waitForTimeout(QUERY_STALE_MS + 1_000);
    await context.setOffline(true);
    await expect.poll(() => reconnecting.count(), { timeout: 20_000 }).toBe(1);
    await send(dm.id, 'Are you there?');
    // The group she reads on her phone meanwhile is no news when she is back.
    const inGroup = await send(trip.id, 'Read this on your phone');
    const alicePhone = await signInElsewhere(app.url, 'alice');
    await alicePhone.conversations.markRead.mutate({ id: trip.id, seq: inGroup.seq });
    await page.waitForTimeout(500);
    expect(await shownOn(page)).toEqual([]);

    await context.setOffline(false);
    // Reconnect attempts back off while the network is down: up to 16 s after this long.
    await expect.poll(() => reconnecting.count(), { timeout: 35_000 }).toBe(0);
    await expect.poll(() => shownOn(page)).toEqual([{ title: 'Bob Marley', body: 'Are you there?', tag: `parley-conversation-${dm.id}`, closed: false }]);
    await page.waitForTimeout(2_500);
    expect(await shownOn(page)).toHaveLength(1);
  });
});
