import { describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, startApp } from './browser.ts';
import { signedInPage, signInElsewhere, signInOnPage } from './people.ts';

describe('groups, notes and long histories in a real browser', () => {
  it('creates a group from search, reopens the existing notes, and pages a long history up without moving the view', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signInOnPage(page, app.url, 'alice');
    const inbox = page.getByRole('list', { name: 'Conversations' });
    await inbox.waitFor();

    // Signed in, the keyboard starts at the inbox, not on the page's body.
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('inbox-heading');

    // Changing one's mind: Escape closes the panel and the keyboard is back on New.
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.evaluate('document.activeElement?.textContent')).toBe('New conversation');

    // A group: a name and two people found by search.
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByRole('radio', { name: 'Group' }).check();
    await page.getByLabel('Group name').fill('Book club');
    await page.getByLabel('Add people').fill('bob');
    await page.getByRole('button', { name: 'Add Bob Marley' }).click();
    // Picking clears the search for the next person; a name already picked says so.
    expect(await page.getByLabel('Add people').inputValue()).toBe('');
    await page.getByLabel('Add people').fill('bob');
    await page.getByText('Nobody found for “bob” who isn’t already in.').waitFor();
    await page.getByLabel('Add people').fill('carol');
    await page.getByRole('button', { name: 'Add Carol Danvers' }).click();
    // A name of nothing visible is caught beside the field, before any request.
    await page.getByLabel('Group name').fill('\u200B ');
    await page.getByRole('button', { name: 'Create group with 3 people' }).click();
    await page.getByText('Give the group a name.').waitFor();
    await page.getByLabel('Group name').fill('Book club');
    await page.getByRole('button', { name: 'Create group with 3 people' }).click();
    await page.getByRole('heading', { level: 2, name: 'Book club' }).waitFor();
    expect(await page.locator('.thread-header').innerText()).toContain('3 members');
    const groupId = Number(new URL(page.url()).pathname.split('/').at(-1));
    await inbox.getByRole('listitem', { name: 'Book club' }).waitFor();

    // Her first message: "Sent", then live, how many of the two have read it.
    await page.getByRole('textbox', { name: 'Message' }).fill('Chapter one by Friday?');
    await page.keyboard.press('Enter');
    const delivery = page.getByRole('list', { name: 'Messages' }).getByTestId('message').last().locator('.delivery');
    await expect.poll(() => delivery.innerText()).toBe(' · Sent');
    const bob = await signInElsewhere(app.url, 'bob');
    const carol = await signInElsewhere(app.url, 'carol');
    await bob.conversations.markRead.mutate({ id: groupId, seq: 1 });
    await expect.poll(() => delivery.innerText()).toBe(' · Seen by 1');
    await carol.conversations.markRead.mutate({ id: groupId, seq: 1 });
    await expect.poll(() => delivery.innerText()).toBe(' · Seen by everyone');

    // Notes to self already exist (seeded): they open, no second one appears.
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByRole('radio', { name: 'Notes to self' }).check();
    await page.getByRole('button', { name: 'Open notes to self' }).click();
    await page.getByRole('heading', { level: 2, name: 'Notes to self' }).waitFor();
    expect(await inbox.getByRole('listitem', { name: 'Notes to self' }).count()).toBe(1);

    // Searching the inbox narrows it; clearing the search brings every conversation back.
    const allRows = await inbox.getByTestId('conversation-item').count();
    await page.getByLabel('Search conversations').fill('book');
    await expect.poll(() => inbox.getByTestId('conversation-item').count()).toBe(1);
    expect(await inbox.getByTestId('conversation-item').innerText()).toContain('Book club');
    await page.getByLabel('Search conversations').fill('');
    await expect.poll(() => inbox.getByTestId('conversation-item').count()).toBe(allRows);

    // Sixty more messages in the group (two senders, within the send limit), then alice opens it.
    for (let i = 1; i <= 60; i++) {
      const sender = i % 2 ? bob : carol;
      await sender.messages.send.mutate({ conversationId: groupId, body: `Message ${i}`, clientId: crypto.randomUUID() });
    }
    // Read elsewhere: unread, it would open at the first of them (thread.e2e.test.ts), not at the end.
    await expect.poll(() => inbox.getByRole('listitem', { name: 'Book club' }).getByTestId('unread-badge').count()).toBe(1);
    const aliceElsewhere = await signInElsewhere(app.url, 'alice');
    await aliceElsewhere.conversations.markRead.mutate({ id: groupId, seq: 61 });
    await expect.poll(() => inbox.getByRole('listitem', { name: 'Book club' }).getByTestId('unread-badge').count()).toBe(0);
    await page.goto(`${app.url}/c/${groupId}`);
    const messages = page.getByRole('list', { name: 'Messages' });
    await messages.getByText('Message 60', { exact: true }).waitFor();
    expect(await messages.getByTestId('message').count()).toBe(50);
    // Names in a group: each sender's run starts with their name.
    expect(await messages.getByText('Carol Danvers').count()).toBeGreaterThan(0);
    await screenshot(page, 'group');

    // Scrolling to the top loads the ten older ones; the message that was on top stays put.
    const firstShown = messages.getByText('Message 11', { exact: true });
    const scroller = page.getByLabel('Message history');
    // Hold the older page back a moment, so "before" is surely measured before it lands.
    await page.route('**/trpc/messages.list**', async (route) => {
      if (decodeURIComponent(route.request().url()).includes('"before"')) await new Promise((resolve) => setTimeout(resolve, 500));
      await route.continue();
    });
    await scroller.hover();
    await page.mouse.wheel(0, -100_000);
    await expect.poll(() => firstShown.isVisible()).toBe(true);
    // Where the top message sits once the wheel's scroll has come to rest.
    const settledY = async () => {
      let last = Number.NaN;
      for (;;) {
        const y = (await firstShown.boundingBox())?.y ?? 0;
        if (y === last) return y;
        last = y;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const before = await settledY();
    expect(await messages.getByTestId('message').count()).toBe(50);
    await expect.poll(() => messages.getByTestId('message').count()).toBe(61);
    await messages.getByText('Message 1', { exact: true }).waitFor({ state: 'attached' });
    expect(Math.abs((await settledY()) - before)).toBeLessThan(2);
    expect(await page.getByRole('button', { name: 'Load older messages' }).count()).toBe(0);

    // Bob watches the group in his own browser; as a member he is offered no rename or removal.
    const bobPage = await signedInPage(browser, app.url, 'bob', { path: `/c/${groupId}` });
    await bobPage.getByRole('heading', { level: 2, name: 'Book club' }).waitFor();
    await bobPage.getByRole('button', { name: 'Details' }).click();
    await bobPage.getByRole('list', { name: 'Members' }).waitFor();
    // The details take room from the history, not its newest messages: the reader stays at the end.
    const fromEnd = "(() => { const s = document.querySelector('.message-scroller'); return s.scrollHeight - s.scrollTop - s.clientHeight; })()";
    await expect.poll(() => bobPage.evaluate(fromEnd)).toBeLessThan(2);
    expect(await bobPage.getByRole('button', { name: 'Rename' }).count()).toBe(0);
    expect(await bobPage.getByRole('button', { name: /^Remove / }).count()).toBe(0);

    // Alice (the owner) renames the group and removes carol: bob sees both live.
    await page.getByRole('button', { name: 'Details' }).click();
    await page.getByLabel('Group name').fill('Readers');
    await page.getByRole('button', { name: 'Rename' }).click();
    await bobPage.getByRole('heading', { level: 2, name: 'Readers' }).waitFor();
    await bobPage.getByRole('list', { name: 'Conversations' }).getByRole('listitem', { name: 'Readers' }).waitFor();
    // Removing asks first; keeping her puts the keyboard back on her Remove.
    const removeCarol = page.getByRole('button', { name: 'Remove Carol Danvers' });
    const question = page.getByRole('group', { name: 'Remove this member?' });
    await removeCarol.click();
    expect(await question.innerText()).toContain('Remove Carol Danvers from the group?');
    await question.getByRole('button', { name: 'Keep' }).click();
    await expect.poll(() => removeCarol.and(page.locator(':focus')).count()).toBe(1);
    await removeCarol.click();
    await question.getByRole('button', { name: 'Remove', exact: true }).click();
    await expect.poll(() => page.evaluate('document.activeElement?.textContent')).toBe('Members');
    await expect.poll(() => bobPage.locator('.thread-header').innerText()).toContain('2 members');

    // The owner makes bob an admin: his page offers what an admin may do, without a reload,
    // and his history says who made him one.
    await page.getByRole('button', { name: 'Make admin Bob Marley' }).click();
    await bobPage.getByRole('button', { name: 'Rename' }).waitFor();
    expect(await bobPage.getByRole('button', { name: /^Make admin / }).count()).toBe(0);
    // His name field follows a rename made elsewhere while it is open (Rename would undo it).
    await page.getByLabel('Group name').fill('Readers club');
    await page.getByRole('button', { name: 'Rename' }).click();
    await expect.poll(() => bobPage.getByLabel('Group name').inputValue()).toBe('Readers club');
    const bobNotices = bobPage.getByRole('list', { name: 'Messages' }).getByTestId('notice');
    // (The newest 50 of its 61 messages are on his screen: the group's creation is further back.)
    await expect.poll(async () => (await bobNotices.allInnerTexts()).slice(-3)).toEqual([
      'Alice Liddell removed Carol Danvers',
      'Alice Liddell made you an admin',
      'Alice Liddell renamed the group to “Readers club”',
    ]);
    await screenshot(bobPage, 'group-details');

    // Alice thinks of leaving and stays: Escape or Stay puts the keyboard back on "Leave group".
    const leaveGroup = page.getByRole('button', { name: 'Leave group' });
    const confirmLeave = page.getByRole('group', { name: 'Leave this group?' });
    const leaveFocused = () => leaveGroup.and(page.locator(':focus')).count();
    await leaveGroup.click();
    await confirmLeave.waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => confirmLeave.count()).toBe(0);
    await expect.poll(leaveFocused).toBe(1);
    await leaveGroup.click();
    await confirmLeave.getByRole('button', { name: 'Stay' }).click();
    await expect.poll(() => confirmLeave.count()).toBe(0);
    await expect.poll(leaveFocused).toBe(1);
    // The question's Escape kept the details open; Escape now closes them, back on their button.
    const details = page.getByRole('button', { name: 'Details' });
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('region', { name: 'Group details' }).count()).toBe(0);
    expect(await details.getAttribute('aria-expanded')).toBe('false');
    await expect.poll(() => details.and(page.locator(':focus')).count()).toBe(1);
  });

  it('gives a member removed and added back, or who left and came back, the group again: history, composer and live messages', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const alice = await signInElsewhere(app.url, 'alice');
    const found = [...(await alice.users.search.query({ query: 'bob' })), ...(await alice.users.search.query({ query: 'carol' }))];
    const idOf = (username: string) => found.find((user) => user.username === username)?.id ?? 0;
    const group = await alice.conversations.create.mutate({ kind: 'group', title: 'Second chances', participantIds: [idOf('bob'), idOf('carol')] });
    const say = (body: string) => alice.messages.send.mutate({ conversationId: group.id, body, clientId: crypto.randomUUID() });
    await say('first message');
    await alice.conversations.removeParticipant.mutate({ id: group.id, userId: idOf('carol') });
    await alice.conversations.addParticipants.mutate({ id: group.id, userIds: [idOf('carol')] });

    // Carol opens it after coming back: her old removal is in the log after the newest message.
    const carol = await signedInPage(browser, app.url, 'carol', { path: `/c/${group.id}` });
    const carolMessages = carol.getByRole('list', { name: 'Messages' });
    await carolMessages.getByText('first message').waitFor();
    await carol.getByRole('textbox', { name: 'Message' }).waitFor();
    await say('welcome back, Carol');
    await carolMessages.getByText('welcome back, Carol').waitFor();
    expect(await carol.getByText('You are no longer a member').count()).toBe(0);

    // Bob leaves (back to his inbox), is added back, and opens the group from his inbox.
    const bob = await signedInPage(browser, app.url, 'bob', { path: `/c/${group.id}` });
    await bob.getByRole('list', { name: 'Messages' }).getByText('welcome back, Carol').waitFor();
    await bob.getByRole('button', { name: 'Details' }).click();
    await bob.getByRole('button', { name: 'Leave group' }).click();
    // It asks first; Escape keeps him in, and asking again and confirming lets him go.
    const confirmLeave = bob.getByRole('group', { name: 'Leave this group?' });
    await confirmLeave.waitFor();
    await bob.keyboard.press('Escape');
    await expect.poll(() => confirmLeave.count()).toBe(0);
    await bob.getByRole('button', { name: 'Leave group' }).click();
    await confirmLeave.getByRole('button', { name: 'Leave', exact: true }).click();
    const bobInbox = bob.getByRole('list', { name: 'Conversations' });
    await expect.poll(() => bobInbox.getByRole('listitem', { name: 'Second chances' }).count()).toBe(0);
    // The keyboard is at the top of his inbox, not lost on the page's body.
    await expect.poll(() => bob.evaluate('document.activeElement?.id')).toBe('inbox-heading');
    await alice.conversations.addParticipants.mutate({ id: group.id, userIds: [idOf('bob')] });
    await bobInbox.getByRole('listitem', { name: 'Second chances' }).click();
    await bob.getByRole('textbox', { name: 'Message' }).waitFor();
    await say('and Bob too');
    await bob.getByRole('list', { name: 'Messages' }).getByText('and Bob too').waitFor();

    // Carol, removed while she reads the group, gets it back on her screen when she is added
    // again, even when she is back before her page learnt she had gone: her page's re-read of
    // the group is slow, so the one after her return replaces it and never fails.
    await carolMessages.getByText('and Bob too').waitFor();
    await carol.route(
      (url) => url.pathname.startsWith('/trpc/') && url.pathname.includes('conversations.get'),
      async (route) => {
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        await route.continue();
      },
    );
    await alice.conversations.removeParticipant.mutate({ id: group.id, userId: idOf('carol') });
    await expect.poll(() => carol.getByRole('textbox', { name: 'Message' }).count()).toBe(0);
    await alice.conversations.addParticipants.mutate({ id: group.id, userIds: [idOf('carol')] });
    await carol.getByRole('textbox', { name: 'Message' }).waitFor();
    await say('Carol again');
    await carol.getByRole('list', { name: 'Messages' }).getByText('Carol again').waitFor();
  });

  it('shows every one of 130 renames between two messages once, paging back through them, and replays none live', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const alice = await signInElsewhere(app.url, 'alice');
    const [bob] = await alice.users.search.query({ query: 'bob' });
    const group = await alice.conversations.create.mutate({ kind: 'group', title: 'Name 0', participantIds: [bob?.id ?? 0] });
    await alice.messages.send.mutate({ conversationId: group.id, body: 'before the renames', clientId: crypto.randomUUID() });
    for (let name = 1; name <= 130; name += 1) await alice.conversations.update.mutate({ id: group.id, title: `Name ${name}` });

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Renames the live stream delivers: it resumes after the newest seq the first page holds, so none.
    let renamesStreamed = 0;
    page.on('websocket', (socket) =>
      socket.on('framereceived', ({ payload }) => {
        if (typeof payload === 'string' && payload.includes('"conversation.renamed"')) renamesStreamed += 1;
      }),
    );
    await signInOnPage(page, app.url, 'alice', { path: `/c/${group.id}` });
    const notices = page.getByRole('list', { name: 'Messages' }).getByTestId('notice');
    await expect.poll(() => notices.count()).toBe(100);
    // Older pages as the reader scrolls up: the thirty other renames, the message and the group's creation.
    const scroller = page.getByLabel('Message history');
    await scroller.hover();
    await expect
      .poll(async () => {
        await page.mouse.wheel(0, -100_000);
        return notices.count();
      })
      .toBe(131);
    const texts = await notices.allInnerTexts();
    expect(texts[0]).toBe('You created the group');
    expect(texts.slice(1)).toEqual(Array.from({ length: 130 }, (_, index) => `You renamed the group to “Name ${index + 1}”`));
    await page.getByRole('list', { name: 'Messages' }).getByText('before the renames').waitFor();
    expect(renamesStreamed).toBe(0);
  });

  it('still names someone who wrote in a group and left it, above their message, in the inbox preview and in the line saying they left', async () => {
    await using app = await startApp();
    await using browser = await launchBrowser();
    const alice = await signInElsewhere(app.url, 'alice');
    const bob = await signInElsewhere(app.url, 'bob');
    const found = [...(await alice.users.search.query({ query: 'bob' })), ...(await alice.users.search.query({ query: 'carol' }))];
    const idOf = (username: string) => found.find((user) => user.username === username)?.id ?? 0;
    const group = await alice.conversations.create.mutate({ kind: 'group', title: 'Farewell', participantIds: [idOf('bob'), idOf('carol')] });
    await bob.messages.send.mutate({ conversationId: group.id, body: 'One love, see you all', clientId: crypto.randomUUID() });
    await alice.conversations.update.mutate({ id: group.id, title: 'Farewells' });

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signInOnPage(page, app.url, 'alice', { path: `/c/${group.id}` });
    const bobsMessage = page.getByRole('list', { name: 'Messages' }).getByTestId('message').filter({ hasText: 'One love, see you all' });
    const preview = page.getByRole('list', { name: 'Conversations' }).getByRole('listitem', { name: 'Farewells' }).getByTestId('conversation-preview');
    await bobsMessage.waitFor();
    expect(await bobsMessage.locator('.sender').innerText()).toBe('Bob Marley');
    await expect.poll(() => preview.innerText()).toBe('Bob Marley: One love, see you all');
    // The group's creation opens its history; the rename after his message shows below it.
    const notices = page.getByRole('list', { name: 'Messages' }).getByTestId('notice');
    expect(await notices.allInnerTexts()).toEqual(['You created the group', 'You renamed the group to “Farewells”']);

    // Bob leaves while Alice reads: the members she sees shrink, a line says he left, and his
    // name stays on his message.
    await bob.conversations.leave.mutate({ id: group.id });
    await expect.poll(() => page.locator('.thread-header').innerText()).toContain('2 members');
    await expect.poll(() => notices.allInnerTexts()).toEqual(['You created the group', 'You renamed the group to “Farewells”', 'Bob Marley left']);
    await expect.poll(() => bobsMessage.locator('.sender').innerText()).toBe('Bob Marley');

    // And after a reload, where nothing she had before is left to name him.
    await page.reload();
    await bobsMessage.waitFor();
    await expect.poll(() => bobsMessage.locator('.sender').innerText()).toBe('Bob Marley');
    await expect.poll(() => preview.innerText()).toBe('Bob Marley: One love, see you all');
    await expect.poll(() => notices.allInnerTexts()).toEqual(['You created the group', 'You renamed the group to “Farewells”', 'Bob Marley left']);
    expect(await page.getByText('Former member').count()).toBe(0);

    // Alice leaves it on another device while this page shows it: the page says so by the
    // group's name, not as if the group had never existed.
    await alice.conversations.leave.mutate({ id: group.id });
    await page.getByText('You are no longer a member of “Farewells”.').waitFor();
    expect(await page.getByText('does not exist').count()).toBe(0);
  });
});
