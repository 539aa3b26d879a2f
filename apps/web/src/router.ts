/**
 * A tiny History-API router: the app has two places (the inbox and one conversation), so
 * a routing library would cost more bundle than it saves code.
 */
import { useSyncExternalStore, type MouseEvent } from 'react';

export type Route = { name: 'inbox' } | { name: 'conversation'; id: number } | { name: 'admin' } | { name: 'not-found' };

const NAVIGATED = 'parley:navigate';

/** The largest conversation id there can be (a Postgres `integer`). */
const ID_MAX = 2_147_483_647;

/** What a path shows: `/` the inbox, `/c/:id` a conversation, `/admin` the admin view. */
export function parseRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '') return { name: 'inbox' };
  if (pathname === '/admin' || pathname === '/admin/') return { name: 'admin' };
  const match = /^\/c\/([1-9][0-9]{0,15})\/?$/.exec(pathname);
  const id = Number(match?.[1]);
  // Ids are positive 32-bit integers (the server's rule): any other number is no conversation,
  // not a request for the server to refuse with its validator's words.
  if (id >= 1 && id <= ID_MAX) return { name: 'conversation', id };
  return { name: 'not-found' };
}

/**
 * Whether a link someone wrote is to a page of this app (a conversation, the inbox, /admin, on
 * this origin): it is then followed in place, as the app's own links are, not in a new tab.
 */
export function isAppLink(href: string, origin: string): boolean {
  try {
    const url = new URL(href);
    return url.origin === origin && parseRoute(url.pathname).name !== 'not-found';
  } catch {
    return false;
  }
}

export function conversationPath(id: number): string {
  return `/c/${id}`;
}

/** Goes to `path` without a reload; `replace` when the current entry should not stay in history. */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (path === window.location.pathname) return;
  if (options.replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  window.dispatchEvent(new Event(NAVIGATED));
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATED, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATED, onChange);
  };
}

const currentPath = () => window.location.pathname;

/** The current route, re-rendering on every navigation (links, back and forward). */
export function useRoute(): Route {
  return parseRoute(useSyncExternalStore(subscribe, currentPath));
}

/**
 * Click handler for an in-app `<a href>`: a plain click navigates in place; a click with a
 * modifier (new tab, new window) is left to the browser.
 */
export function followLink(event: MouseEvent<HTMLAnchorElement>): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(event.currentTarget.pathname);
}
