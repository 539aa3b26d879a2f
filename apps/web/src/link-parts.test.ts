import { describe, expect, it } from 'vitest';
import { linkParts } from './format.ts';

/** A link part whose href is what was written. */
const link = (url: string) => ({ link: url, href: url });

describe('linkParts', () => {
  it('leaves text without links as it is', () => {
    expect(linkParts('see you at 5, ok?')).toEqual(['see you at 5, ok?']);
    expect(linkParts('')).toEqual([]);
  });

  it('links http and https URLs and keeps the text between them', () => {
    expect(linkParts('see https://example.com/a?b=1')).toEqual(['see ', link('https://example.com/a?b=1')]);
    expect(linkParts('http://a.example and https://b.example/x#y, both')).toEqual([
      link('http://a.example'),
      ' and ',
      link('https://b.example/x#y'),
      ', both',
    ]);
  });

  it('links a URL that is the whole message, or starts or ends it', () => {
    expect(linkParts('https://example.com')).toEqual([link('https://example.com')]);
    expect(linkParts('https://example.com is up')).toEqual([link('https://example.com'), ' is up']);
    expect(linkParts('look:\nhttps://example.com/path')).toEqual(['look:\n', link('https://example.com/path')]);
  });

  it('links www. hosts over https, showing them as written', () => {
    expect(linkParts('go to www.example.com/docs now')).toEqual(['go to ', { link: 'www.example.com/docs', href: 'https://www.example.com/docs' }, ' now']);
  });

  it('leaves the punctuation of the sentence out of the link', () => {
    for (const mark of ['.', ',', ';', ':', '!', '?', "'", '"', '...', '?!']) {
      expect(linkParts(`read https://example.com/a${mark}`)).toEqual(['read ', link('https://example.com/a'), mark]);
    }
    expect(linkParts('"https://example.com/a", he said')).toEqual(['"', link('https://example.com/a'), '", he said']);
    // Inside a URL the same marks belong to it.
    expect(linkParts('https://example.com/a.b?c=d,e!f')).toEqual([link('https://example.com/a.b?c=d,e!f')]);
  });

  it('keeps brackets the URL opened and leaves out the ones the sentence opened', () => {
    expect(linkParts('(see https://en.wikipedia.org/wiki/Foo_(bar))')).toEqual(['(see ', link('https://en.wikipedia.org/wiki/Foo_(bar)'), ')']);
    expect(linkParts('(see https://example.com/a).')).toEqual(['(see ', link('https://example.com/a'), ').']);
    expect(linkParts('[https://example.com/list[1]]')).toEqual(['[', link('https://example.com/list[1]'), ']']);
  });

  it('ends a URL at < and >', () => {
    expect(linkParts('<https://example.com/a>')).toEqual(['<', link('https://example.com/a'), '>']);
    expect(linkParts('<a href="https://example.com">x</a>')).toEqual(['<a href="', link('https://example.com'), '">x</a>']);
  });

  it('links no other scheme, no bare host and nothing inside a word or another URL', () => {
    for (const text of [
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'file:///etc/passwd',
      'ftp://example.com',
      'mailto:bob@example.com',
      'example.com and node.js',
      'javascript:https://example.com',
      'xhttps://example.com',
      'bob@www.example.com',
      'awww.example.com',
    ]) {
      expect(linkParts(text)).toEqual([text]);
    }
  });

  it('leaves what is no URL after all as text', () => {
    // new URL() refuses these: an empty host, a broken IPv6 literal, characters no host may hold.
    for (const text of ['https://', 'https://.', 'www.', 'http://[oops/x', 'https://exa%mple.com', 'https://x|y.com']) {
      expect(linkParts(text)).toEqual([text]);
    }
    expect(linkParts('https://:80 or https://ok.example')).toEqual(['https://:80 or ', link('https://ok.example')]);
  });

  it('links no address with a user name, which reads as its host, and shows a host in other scripts in ASCII', () => {
    for (const text of ['https://accounts.google.com@evil.example/x', 'https://user:pw@evil.example/x', 'www.bank.example@evil.example']) {
      expect(linkParts(text)).toEqual([text]);
    }
    // "аpple.com" with a Cyrillic а: shown as the browser reaches it.
    expect(linkParts('log in at https://\u0430pple.com/login now')).toEqual([
      'log in at ',
      { link: 'https://xn--pple-43d.com/login', href: 'https://\u0430pple.com/login' },
      ' now',
    ]);
    expect(linkParts('www.münchen.de')).toEqual([{ link: 'www.xn--mnchen-3ya.de', href: 'https://www.münchen.de' }]);
  });

  it('ends a link at a direction control, so the link cannot show another address', () => {
    expect(linkParts('https://example.com/\u202Egnp.exe')).toEqual([link('https://example.com/'), '\u202Egnp.exe']);
  });
});
