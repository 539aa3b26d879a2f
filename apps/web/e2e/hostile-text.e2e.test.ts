/**
 * Markup in what other people type — a message, a display name, a group title — is shown as
 * text and never runs. Each payload would leave a trace if it ran (window.pwned, a console
 * line, a dialog) or if it became markup (an element with an inline handler, an img to "x",
 * a javascript: link); the test looks for every trace, and for the text itself, verbatim.
 * Invisible and direction-control characters neither disguise a name, nor reorder anything
 * outside the message that holds them, nor make an empty message.
 */
import { describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, startApp } from './browser.ts';
import { registerElsewhere, signInElsewhere, signInOnPage } from './people.ts';

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

/** Elements that only markup from a payload could have made (the app's own icons are `svg.icon`). */
const INJECTED = 'img[src="x"], iframe, a[href^="javascript:"], [onerror], [onload], [onclick], main svg:not(.icon), main b';

/** "Erin live Q" on screen: the override reverses "evil" (docs/ARCHITECTURE.md, "Text"). */
const DISGUISED_NAME = 'Erin \u202Eevil\u202C Q';
/** An override the body never closes, and right-to-left text: both must end with their message. */
const UNCLOSED_OVERRIDE = 'look \u202Eevil 123';
const ARABIC = 'مرحبا يا أليس!';

/** The DOM members BIDI_OF reads, declared here: this package's types have no DOM. */
interface ElementInPage {
  getAttribute(name: string): string | null;
  matches(selector: string): boolean;
  ownerDocument: { defaultView: { getComputedStyle(element: ElementInPage): { unicodeBidi: string } } | null };
}

/** Whether an element isolates its text's direction, and which direction that text took. */
const BIDI_OF = (element: ElementInPage) => ({
  dir: element.getAttribute('dir'),
  unicodeBidi: element.ownerDocument.defaultView?.getComputedStyle(element).unicodeBidi,
  rtl: element.matches(':dir(rtl)'),
});

describe('hostile text in a real browser', () => {
  it('shows markup in a message, a display name and a group title as text, and runs none of it', async () => {
    await using app = await startApp();
    const { api: mallory } = await registerElsewhere(app.url, { username: 'mallory', password: 'mallory password', displayName: NAME });
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

  it('refuses a disguised name at sign-up, isolates what others wrote, and sends no invisible message', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });

    // A right-to-left override in a display name: the form says why, next to the field.
    await page.goto(app.url);
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('Username').fill('erin');
    await page.getByLabel('Password').fill('erin password');
    await page.getByLabel('Display name').fill(DISGUISED_NAME);
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => page.getByTestId('displayName-error').innerText()).toBe(
      'A display name cannot contain text-direction controls (U+202A–U+202E, U+2066–U+2069)',
    );
    // A name of zero-width characters is no name: the account takes the username.
    await page.getByLabel('Display name').fill('\u200B\u2060\u3164');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => page.getByTestId('current-user').textContent()).toBe('Signed in as erin');
    await page.close();

    // Erin writes to alice: an override she never closes, then Arabic.
    const erin = await signInElsewhere(app.url, 'erin', 'erin password');
    const alice = (await erin.users.search.query({ query: 'alice' })).find((user) => user.username === 'alice');
    if (!alice) throw new Error('the demo seed has alice');
    const dm = await erin.conversations.create.mutate({ kind: 'direct', participantIds: [alice.id] });
    await erin.messages.send.mutate({ conversationId: dm.id, body: UNCLOSED_OVERRIDE, clientId: crypto.randomUUID() });
    await erin.messages.send.mutate({ conversationId: dm.id, body: ARABIC, clientId: crypto.randomUUID() });

    const alicePage = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signInOnPage(alicePage, app.url, 'alice');
    const row = alicePage.getByRole('listitem', { name: 'erin', exact: true });
    await expect.poll(() => row.getByTestId('conversation-preview').innerText()).toBe(ARABIC);
    // The name and the preview's body each keep their direction to themselves (the body's is
    // Arabic's, in a <bdi>: the line around it stays the interface's).
    expect(await row.locator('.conversation-name').evaluate(BIDI_OF)).toEqual({ dir: 'auto', unicodeBidi: 'isolate', rtl: false });
    expect(await row.getByTestId('conversation-preview').locator('bdi').evaluate(BIDI_OF)).toEqual({ dir: null, unicodeBidi: 'isolate', rtl: true });

    await alicePage.goto(`${app.url}/c/${dm.id}`);
    const messages = alicePage.getByRole('list', { name: 'Messages' });
    await messages.getByText(ARABIC, { exact: true }).waitFor();
    expect(await messages.getByText(UNCLOSED_OVERRIDE, { exact: true }).evaluate(BIDI_OF)).toEqual({ dir: 'auto', unicodeBidi: 'isolate', rtl: false });
    expect(await messages.getByText(ARABIC, { exact: true }).evaluate(BIDI_OF)).toEqual({ dir: 'auto', unicodeBidi: 'isolate', rtl: true });
    await screenshot(alicePage, 'bidi-text');

    // A zero-width space alone is no message: Send stays off and Enter sends nothing.
    const composer = alicePage.getByRole('textbox', { name: 'Message' });
    const send = alicePage.getByRole('button', { name: 'Send' });
    for (const invisible of ['\u200B', '\uFEFF\u00AD\u2800', '\u202E\u2066\u3164']) {
      await composer.fill(invisible);
      expect({ invisible, enabled: await send.isEnabled() }).toEqual({ invisible, enabled: false });
      await composer.press('Enter');
    }
    // A family emoji, held together by zero-width joiners, is a message, sent exactly.
    await composer.fill('👩‍👩‍👧');
    expect(await send.isEnabled()).toBe(true);
    await composer.press('Enter');
    // The page shows a send before the server has it (pending): ask the server itself.
    const bodies = async () => (await erin.messages.list.query({ conversationId: dm.id, after: 0, limit: 10 })).items.map((message) => message.body);
    await expect.poll(bodies).toEqual([UNCLOSED_OVERRIDE, ARABIC, '👩‍👩‍👧']);
  });
});
