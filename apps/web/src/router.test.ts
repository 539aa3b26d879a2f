import { afterEach, describe, expect, it } from 'vitest';
import { conversationPath, isAppLink, navigate, parseRoute } from './router.ts';

describe('parseRoute', () => {
  it('knows the inbox and conversations, and nothing else', () => {
    expect(parseRoute('/')).toEqual({ name: 'inbox' });
    expect(parseRoute(conversationPath(42))).toEqual({ name: 'conversation', id: 42 });
    expect(parseRoute('/c/42/')).toEqual({ name: 'conversation', id: 42 });
    expect(parseRoute('/c/0')).toEqual({ name: 'not-found' });
    expect(parseRoute('/c/abc')).toEqual({ name: 'not-found' });
    expect(parseRoute('/admin')).toEqual({ name: 'admin' });
    expect(parseRoute('/settings')).toEqual({ name: 'not-found' });
  });

  it('finds nothing past the largest id there can be (2³¹ − 1), as at /c/0, rather than asking the server', () => {
    expect(parseRoute('/c/2147483647')).toEqual({ name: 'conversation', id: 2147483647 });
    expect(parseRoute('/c/2147483648')).toEqual({ name: 'not-found' });
    expect(parseRoute('/c/99999999999')).toEqual({ name: 'not-found' });
  });
});

describe('isAppLink', () => {
  it('knows a link to a page of this app on this origin, and nothing else', () => {
    const origin = 'https://parley.example';
    expect(['https://parley.example/c/7', 'https://parley.example/', 'https://parley.example/admin'].map((href) => isAppLink(href, origin))).toEqual([true, true, true]);
    expect(
      ['https://parley.example/c/0', 'https://parley.example/files/x.pdf', 'https://other.example/c/7', 'http://parley.example/c/7', 'not a url'].map((href) =>
        isAppLink(href, origin),
      ),
    ).toEqual([false, false, false, false, false]);
  });
});

describe('navigate', () => {
  afterEach(() => window.history.replaceState(null, '', '/'));

  it('changes the address without a reload and tells listeners', () => {
    let told = 0;
    const listener = () => told++;
    window.addEventListener('parley:navigate', listener);
    navigate('/c/3');
    expect(window.location.pathname).toBe('/c/3');
    navigate('/c/3');
    window.removeEventListener('parley:navigate', listener);
    expect(told).toBe(1);
  });
});
