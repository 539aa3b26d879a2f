import { afterEach, describe, expect, it } from 'vitest';
import { conversationPath, navigate, parseRoute } from './router.ts';

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
