/**
 * Markup in what other people type — a message, a display name, a group title — is shown as
 * text and never runs. Each payload would leave a trace if it ran (window.pwned, a console
 * line, a dialog) or if it became markup (an element with an inline handler, an img to "x",
 * a javascript: link); the test looks for every trace, and for the text itself, verbatim.
 */
import type { AppRouter } from '@parley/api';
import { createTRPCClient, httpLink } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, startApp } from './browser.ts';
import { signInOnPage } from './people.ts';

const NAME = `<img src=x onerror="window.pwned='name'">`;
const TITLE = `<script>window.pwned='title'</script><b>Bold</b> club`;
const BODIES = [
  `<img src=x onerror="window.pwned='body';console.log('pwned')">`,
  `<script>window.pwned='script';alert('pwned')</script>`,
  `<svg onload="window.pwned='svg'"></svg>`,
  `<a href="javascript:window.pwned='link'">click me</a>`,
  `<iframe srcdoc="<script>parent.pwned='iframe'</script>"></iframe>`,
  `{{constructor.constructor('window.pwned="template"')()}}`,
  `**bold** [a link](javascript:alert('pwned'))`,
];

// Runs before the app on every page (Playwright's init scripts are not subject to the CSP):
// any policy violation means something tried to run.
const RECORD_VIOLATIONS = `
  window.cspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => window.cspViolations.push(event.violatedDirective));
`;

/** Elements that only markup from a payload could have made. */
const INJECTED = 'img[src="x"], iframe, a[href^="javascript:"], [onerror], [onload], [onclick], main svg, main b';

describe('hostile text in a real browser', () => {
  it('shows markup in a message, a display name and a group title as text, and runs none of it', async () => {
    await using app = await startApp();
    const anonymous = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${app.url}/trpc` })] });
    const { token } = await anonymous.auth.register.mutate({ username: 'mallory', password: 'mallory password', displayName: NAME });
    const mallory = createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${app.url}/trpc`, headers: { Authorization: `Bearer ${token}` } })],
    });
    const alice = (await mallory.users.search.query({ query: 'alice' })).find((user) => user.username === 'alice');
    if (!alice) throw new Error('the demo seed has alice');
    const group = await mallory.conversations.create.mutate({ kind: 'group', title: TITLE, participantIds: [alice.id] });
    for (const body of BODIES) await mallory.messages.send.mutate({ conversationId: group.id, body, clientId: crypto.randomUUID() });

    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.addInitScript({ content: RECORD_VIOLATIONS });
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const consoleLines: string[] = [];
    page.on('console', (message) => consoleLines.push(message.text()));

    await signInOnPage(page, app.url, 'alice');
    // The title as the inbox lists it, then the thread with every body and the sender's name.
    await page.getByRole('list', { name: 'Conversations' }).getByText(TITLE, { exact: true }).waitFor();
    await page.goto(`${app.url}/c/${group.id}`);
    await page.getByRole('heading', { level: 2, name: TITLE, exact: true }).waitFor();
    const messages = page.getByRole('list', { name: 'Messages' });
    for (const body of BODIES) await messages.getByText(body, { exact: true }).waitFor();
    await messages.getByText(NAME, { exact: true }).first().waitFor();
    await screenshot(page, 'hostile-text');

    expect(await page.locator(INJECTED).count()).toBe(0);
    expect(await page.evaluate('window.pwned')).toBeUndefined();
    expect(await page.evaluate('window.cspViolations')).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(consoleLines.filter((line) => line.includes('pwned'))).toEqual([]);
  });
});
