import { useEffect, useState } from 'react';
import { OutboxContext } from '../hooks.ts';
import { browserNotificationHost, createNotifier } from '../notifications.ts';
import { browserLocalStorage } from '../tab-storage.ts';
import { useTabOutbox } from '../tab-outbox.ts';
import { useLiveInbox, useUnreadTitle } from '../live-inbox.ts';
import type { Me } from '../trpc.ts';
import { ConnectionBanner } from './ConnectionBanner.tsx';
import { Inbox } from './Inbox.tsx';
import { AdminPage } from './AdminPage.tsx';
import { ConversationPane } from './ConversationPane.tsx';
import { SignOut } from './SignOut.tsx';
import { followLink, useRoute } from '../router.ts';

/** The signed-in app: who I am, a way out, and my conversations. */
export function Home({ me }: { me: Me }) {
  const route = useRoute();
  const [notifier] = useState(() => createNotifier(browserNotificationHost(browserLocalStorage())));
  // Signed out (or another user in): what the notifications showed is not for the next person.
  useEffect(() => () => notifier.dismissAll(), [notifier]);
  useLiveInbox(me.id, notifier);
  useUnreadTitle();
  // Mine while signed in: messages on their way outlive the conversation they were written in.
  const outbox = useTabOutbox(me.id);

  return (
    <OutboxContext value={outbox}>
      <div className="app">
        <div className="masthead">
          <header className="topbar">
            <p className="brand">Parley</p>
            <div className="account">
              {me.role === 'admin' && (
                <a className="button" href="/admin" onClick={followLink} aria-current={route.name === 'admin' ? 'page' : undefined}>
                  Admin
                </a>
              )}
              <span className="me" data-testid="current-user">
                <span className="visually-hidden">Signed in as </span>
                <bdi>{me.displayName}</bdi>
              </span>
              <SignOut />
            </div>
          </header>
          <ConnectionBanner />
        </div>
        {/* Narrow screens show one pane at a time (styles.css), chosen by the route. */}
        <main className={route.name === 'inbox' ? 'content showing-inbox' : 'content showing-thread'}>
          {route.name !== 'admin' && <Inbox me={me} currentId={route.name === 'conversation' ? route.id : null} notifier={notifier} />}
          {route.name === 'admin' ? (
            <AdminPage me={me} />
          ) : route.name === 'conversation' ? (
            // Keyed: another conversation starts from fresh state (scroll, drafts, streams).
            <ConversationPane key={route.id} id={route.id} me={me} />
          ) : route.name === 'not-found' ? (
            <section className="thread-pane placeholder" aria-label="Not found">
              <p role="alert">There is nothing at this address.</p>
              <a className="button" href="/" onClick={followLink}>
                Back to conversations
              </a>
            </section>
          ) : (
            <section className="thread-pane placeholder" aria-label="No conversation open">
              <p className="muted">Pick a conversation to read it here.</p>
            </section>
          )}
        </main>
      </div>
    </OutboxContext>
  );
}
