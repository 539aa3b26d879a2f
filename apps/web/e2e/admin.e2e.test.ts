import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, startApp } from './browser.ts';
import { DEMO_PASSWORD, registerElsewhere, signedInPage, signInOnPage } from './people.ts';

/** The figure a tile shows ("1,234" → 1234). */
async function tileValue(page: Page, testId: string): Promise<number> {
  const text = await page.getByTestId(testId).locator('.stat-value').textContent();
  return Number((text ?? '').replaceAll(',', ''));
}

// The e2e project has no DOM types (it runs in Node): what the page-side callbacks touch, typed here.
interface CanvasInPage {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, width: number, height: number): { data: ArrayLike<number> } } | null;
}
interface BoxInPage {
  scrollWidth: number;
  clientWidth: number;
  scrollLeft: number;
  scrollHeight: number;
  clientHeight: number;
}
interface CellInPage {
  dataset: Record<string, string | undefined>;
}

/** How many pixels of a chart's canvas are painted: a drawn chart has thousands, a blank one none. */
async function paintedPixels(page: Page, chartName: string): Promise<number> {
  const canvas = page.getByRole('figure', { name: chartName }).locator('canvas');
  await canvas.waitFor();
  return canvas.evaluate((element: CanvasInPage) => {
    const pixels = element.getContext('2d')?.getImageData(0, 0, element.width, element.height).data ?? [];
    let painted = 0;
    for (let alpha = 3; alpha < pixels.length; alpha += 4) if ((pixels[alpha] ?? 0) > 0) painted++;
    return painted;
  });
}

describe('the admin view', () => {
  it('is offered to admins only; a non-admin who types its address is told it is not allowed and never loads it', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();

    const alicePage = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const requested: string[] = [];
    alicePage.on('request', (request) => requested.push(new URL(request.url()).pathname));
    await signInOnPage(alicePage, app.url, 'alice', { path: '/admin' });
    await alicePage.getByTestId('admin-not-allowed').waitFor();
    expect(await alicePage.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    // The statistics view and its chart library are chunks of their own, fetched by admins only.
    expect(requested.filter((path) => /AdminStats|uPlot/.test(path))).toEqual([]);
    await alicePage.getByRole('link', { name: 'Back to conversations' }).click();
    await alicePage.getByRole('list', { name: 'Conversations' }).waitFor();

    const admin = await signedInPage(browser, app.url, 'admin');
    await admin.getByRole('link', { name: 'Admin' }).click();
    await admin.getByRole('heading', { name: 'Statistics' }).waitFor();
    expect(new URL(admin.url()).pathname).toBe('/admin');
  });

  it('shows an admin the seeded figures, charts and heat map, and live connections that follow a second browser', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    // Tall enough for the whole view in one screenshot (the view scrolls inside the page).
    const admin = await signedInPage(browser, app.url, 'admin', { path: '/admin', viewport: { width: 1280, height: 2000 } });
    await admin.getByRole('heading', { name: 'Usage' }).waitFor();

    // The demo seed: 4 users, 4 conversations (2 direct, a group, notes), 354 messages over the last 14 days.
    expect(await tileValue(admin, 'stat-users-total')).toBe(4);
    expect(await tileValue(admin, 'stat-conversations-total')).toBe(4);
    expect(await tileValue(admin, 'stat-messages-total')).toBe(354);
    expect(await tileValue(admin, 'stat-messages-average')).toBe(88.5);
    // It says how often the stored figures are computed, so a Refresh bringing the same ones is no surprise.
    expect(await admin.getByTestId('stored-freshness').textContent()).toMatch(/^As of \d\d:\d\d:\d\d UTC \(.*; recomputed at most every 15 s\)$/);

    for (const chart of ['Messages per day', 'Active users', 'Conversations by kind']) {
      expect(await paintedPixels(admin, chart), chart).toBeGreaterThan(1_000);
    }
    // Its legend says the hovered day's count, and one kind of dash for both values before that.
    const legendValues = admin.getByRole('figure', { name: 'Messages per day' }).locator('.u-legend .u-value');
    expect(await legendValues.allInnerTexts()).toEqual(['–', '–']);
    await admin.getByRole('figure', { name: 'Messages per day' }).locator('.u-over').hover();
    expect(await legendValues.last().innerText()).toMatch(/^\d[\d,]*$/);
    // Every seeded message is within the last 30 days, so the heat map holds them all.
    expect(await admin.getByTestId('heat-cell').count()).toBe(7 * 24);
    const heatTotal = await admin.getByTestId('heat-cell').evaluateAll((cells: CellInPage[]) => cells.reduce((sum, cell) => sum + Number(cell.dataset.messages), 0));
    expect(heatTotal).toBe(354);
    const top = admin.getByTestId('top-conversation');
    expect(await top.count()).toBe(4);
    expect(await top.getByText('Weekend trip').count()).toBe(1);

    // Live: the admin's own socket to begin with.
    const liveConnections = () => tileValue(admin, 'live-sockets');
    const liveOnline = () => tileValue(admin, 'live-online-users');
    await expect.poll(liveConnections, { timeout: 10_000 }).toBe(1);
    expect(await liveOnline()).toBe(1);
    expect(await admin.getByTestId('live-panel').getAttribute('data-status')).toBe('live');
    await screenshot(admin, 'admin-stats');

    // bob signs in on another browser: his socket and presence show up without a reload.
    const bob = await signedInPage(browser, app.url, 'bob');
    await expect.poll(liveConnections, { timeout: 10_000 }).toBe(2);
    // A socket counts once open; its user once it has signed in on it, a moment later.
    await expect.poll(liveOnline, { timeout: 10_000 }).toBe(2);
    expect(await admin.getByTestId('live-instance').getByTestId('instance-sockets').textContent()).toBe('2');

    await bob.context().close();
    await expect.poll(liveConnections, { timeout: 10_000 }).toBe(1);
    await expect.poll(liveOnline, { timeout: 10_000 }).toBe(1);
  });

  it('fits a 375 px phone, the wide tables scrolling inside their own box', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const admin = await signedInPage(browser, app.url, 'admin', { path: '/admin', viewport: { width: 375, height: 3800 } });
    await admin.getByRole('heading', { name: 'Usage' }).waitFor();
    await admin.getByRole('figure', { name: 'Messages per day' }).locator('canvas').waitFor();
    await admin.getByTestId('live-instance').waitFor();

    const overflow: unknown = await admin.evaluate(`(() => {
      const pane = document.querySelector('.admin-pane');
      return { page: document.documentElement.scrollWidth, pane: pane ? pane.scrollWidth - pane.clientWidth : -1 };
    })()`);
    expect(overflow).toEqual({ page: 375, pane: 0 });
    // The top bar's buttons keep one line each; the name gives way instead.
    const heightOf = async (name: string) => (await admin.locator('.account .button', { hasText: name }).boundingBox())?.height ?? 0;
    expect(await heightOf('Sign out')).toBeLessThanOrEqual((await heightOf('Admin')) + 1);
    // "Parley Admin" still shows whole, on two lines, and at 320 px (WCAG's reflow width) too.
    const name = admin.getByTestId('current-user');
    const nameWhole = () => name.evaluate((box: BoxInPage) => box.scrollWidth <= box.clientWidth && box.scrollHeight <= box.clientHeight);
    expect(await nameWhole()).toBe(true);
    await admin.setViewportSize({ width: 320, height: 3800 });
    expect(await nameWhole()).toBe(true);
    await admin.setViewportSize({ width: 375, height: 3800 });
    // The instances table is wider than a phone: its box scrolls, and a keyboard can reach it.
    const instances = admin.getByRole('region', { name: /instance/ });
    expect(await instances.evaluate((box: BoxInPage) => box.scrollWidth > box.clientWidth)).toBe(true);
    await instances.focus();
    await admin.keyboard.press('ArrowRight');
    await expect.poll(() => instances.evaluate((box: BoxInPage) => box.scrollLeft)).toBeGreaterThan(0);
    await screenshot(admin, 'admin-stats-375');
  });

  it('on a new install shows zeros and "No messages yet", no empty charts and no NaN', async () => {
    await using app = await startApp({ seedDemo: false, env: { PARLEY_ADMINS: 'root' } });
    await using browser = await launchBrowser();
    await registerElsewhere(app.url, { username: 'root', password: DEMO_PASSWORD });
    const admin = await signedInPage(browser, app.url, 'root', { path: '/admin', viewport: { width: 1280, height: 1600 } });
    await admin.getByRole('heading', { name: 'Usage' }).waitFor();

    expect(await tileValue(admin, 'stat-users-total')).toBe(1);
    for (const tile of ['stat-conversations-total', 'stat-messages-total', 'stat-messages-today', 'stat-messages-average']) {
      expect(await tileValue(admin, tile), tile).toBe(0);
    }
    const empty = admin.getByTestId('chart-empty');
    expect(await empty.allTextContents()).toEqual(['No messages yet.', 'No messages yet.', 'No conversations yet.', 'No messages yet.', 'No messages yet.']);
    expect(await admin.locator('canvas').count()).toBe(0);
    await expect.poll(() => tileValue(admin, 'live-sockets'), { timeout: 10_000 }).toBe(1);
    expect(await admin.locator('.admin-pane').textContent()).not.toMatch(/NaN|undefined|Infinity/);
    await screenshot(admin, 'admin-stats-empty');
  });
});
