import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness.ts';

// Serving files does not touch the database: one dialect is enough here.
const INDEX_HTML = '<!doctype html><html><head><script type="module" src="/assets/index-Bx7f3k2q.js"></script></head><body><div id="root"></div></body></html>';
const APP_JS = 'console.log("parley");';
// A file the build compressed: the copies sit beside it (apps/web/precompress.ts).
const VENDOR_JS = `export const words = ${JSON.stringify(Array.from({ length: 500 }, (_, i) => `word-${i % 37}`))};`;

describe('the web app', () => {
  let webRoot: string;
  let t: TestServer;

  beforeAll(async () => {
    webRoot = mkdtempSync(join(tmpdir(), 'parley-web-'));
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(join(webRoot, 'index.html'), INDEX_HTML);
    writeFileSync(join(webRoot, 'assets', 'index-Bx7f3k2q.js'), APP_JS);
    writeFileSync(join(webRoot, 'assets', 'index-C9a1.css'), 'body{margin:0}');
    writeFileSync(join(webRoot, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(webRoot, '.env'), 'SECRET=1');
    writeFileSync(join(webRoot, 'assets', 'vendor-D4e5.js'), VENDOR_JS);
    writeFileSync(join(webRoot, 'assets', 'vendor-D4e5.js.br'), brotliCompressSync(VENDOR_JS));
    writeFileSync(join(webRoot, 'assets', 'vendor-D4e5.js.gz'), gzipSync(VENDOR_JS));
    // Copies left from an earlier build: older than their file, so never sent.
    writeFileSync(join(webRoot, 'assets', 'stale-A1b2.js'), APP_JS);
    writeFileSync(join(webRoot, 'assets', 'stale-A1b2.js.br'), brotliCompressSync('console.log("old");'));
    const earlier = new Date(Date.now() - 60_000);
    utimesSync(join(webRoot, 'assets', 'stale-A1b2.js.br'), earlier, earlier);
    t = await startTestServer('sqlite', { start: { webRoot } });
  });
  afterAll(async () => {
    await t[Symbol.asyncDispose]();
    rmSync(webRoot, { recursive: true, force: true });
  });

  it('serves index.html at / with security headers and no caching', async () => {
    const response = await fetch(`${t.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(await response.text()).toBe(INDEX_HTML);
  });

  it('sends the security headers on every response: pages, assets, 404s, the API and the health check', async () => {
    const responses = await Promise.all(
      ['/', '/c/1', '/assets/index-Bx7f3k2q.js', '/robots.txt', '/trpc/auth.me', '/healthz'].map(async (path) => ({ path, response: await fetch(`${t.url}${path}`) })),
    );
    for (const { path, response } of responses) {
      const directives = (response.headers.get('content-security-policy') ?? '').split('; ');
      // No inline or foreign script, no eval, no plugins, no framing by other sites, no <base> hijack.
      expect(directives, path).toEqual(
        expect.arrayContaining(["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'self'"]) as string[],
      );
      expect(directives.join('; '), path).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('x-frame-options'), path).toBe('DENY');
      expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
    }
  });

  it('serves hashed assets with their content type and a year-long immutable cache', async () => {
    const script = await fetch(`${t.url}/assets/index-Bx7f3k2q.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await script.text()).toBe(APP_JS);
    const style = await fetch(`${t.url}/assets/index-C9a1.css`);
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const icon = await fetch(`${t.url}/favicon.svg`);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers client-side routes with index.html, and missing files with 404', async () => {
    for (const path of ['/conversations/42', '/settings', '/c/some-thing?x=1']) {
      const response = await fetch(`${t.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(await response.text()).toBe(INDEX_HTML);
    }
    expect((await fetch(`${t.url}/assets/index-gone.js`)).status).toBe(404);
    expect((await fetch(`${t.url}/robots.txt`)).status).toBe(404);
  });

  it('opens the app at an address with a dot, and keeps the 404 for files a page or script asks for', async () => {
    // What Chromium sends when someone opens or reloads a page.
    const navigation = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8' };
    for (const path of ['/c/1.5', '/c/1.5?x=1', '/favicon.ico']) {
      const page = await rawGet(t.url, path, navigation);
      expect(page.status, path).toBe(200);
      expect(page.body.toString(), path).toBe(INDEX_HTML);
      // The headers index.html has at /: a page, revalidated, never a text 404.
      const atRoot = await rawGet(t.url, '/', navigation);
      for (const header of ['content-type', 'cache-control', 'etag', 'content-security-policy']) {
        expect(page.headers[header], `${path} ${header}`).toBe(atRoot.headers[header]);
      }
    }
    const fileRequests: [string, Record<string, string>][] = [
      ['/favicon.ico', { accept: 'image/avif,image/webp,image/apng,image/*,*/*;q=0.8' }],
      ['/robots.txt', { accept: '*/*' }],
      ['/x.js', { accept: '*/*' }],
      ['/x.js', {}],
      ['/c/1.5', { accept: 'text/html;q=0, */*' }],
      // A missing hashed asset stays a 404 even when opened as a page.
      ['/assets/index-gone.js', navigation],
    ];
    for (const [path, headers] of fileRequests) {
      const response = await rawGet(t.url, path, headers);
      expect(response.status, `${path} ${headers.accept ?? '(no Accept)'}`).toBe(404);
    }
  });

  it('sends the Brotli or gzip copy the browser accepts, and the file itself to one that accepts neither', async () => {
    const vendor = (acceptEncoding?: string) => rawGet(t.url, '/assets/vendor-D4e5.js', acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding });
    const decoded = (response: RawResponse) => {
      const coding = response.headers['content-encoding'];
      return (coding === 'br' ? brotliDecompressSync(response.body) : coding === 'gzip' ? gunzipSync(response.body) : response.body).toString();
    };
    const cases: [string | undefined, string | undefined][] = [
      ['gzip, deflate, br, zstd', 'br'], // what Chromium sends
      ['gzip', 'gzip'],
      ['br;q=0, gzip;q=0.5', 'gzip'],
      ['*', 'br'],
      ['*;q=0', undefined],
      ['identity', undefined],
      [undefined, undefined],
    ];
    for (const [acceptEncoding, expected] of cases) {
      const response = await vendor(acceptEncoding);
      expect(response.status, acceptEncoding).toBe(200);
      expect(response.headers['content-encoding'], acceptEncoding).toBe(expected);
      expect(response.headers['content-type'], acceptEncoding).toBe('text/javascript; charset=utf-8');
      expect(response.headers.vary, acceptEncoding).toBe('Accept-Encoding');
      expect(Number(response.headers['content-length']), acceptEncoding).toBe(response.body.length);
      expect(decoded(response), acceptEncoding).toBe(VENDOR_JS);
    }
    expect((await vendor('br')).body.length).toBeLessThan(Buffer.byteLength(VENDOR_JS) / 4);

    // A file without copies is sent as it is, and says it does not vary.
    const plain = await rawGet(t.url, '/assets/index-Bx7f3k2q.js', { 'accept-encoding': 'br' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBeUndefined();
    expect(plain.body.toString()).toBe(APP_JS);
    // A copy older than its file is left from another build: the file goes out instead.
    const stale = await rawGet(t.url, '/assets/stale-A1b2.js', { 'accept-encoding': 'br' });
    expect(stale.headers['content-encoding']).toBeUndefined();
    expect(stale.body.toString()).toBe(APP_JS);
  });

  it('tags each encoding apart, so a revalidation never answers one encoding with the other', async () => {
    const brotli = await rawGet(t.url, '/assets/vendor-D4e5.js', { 'accept-encoding': 'br' });
    const gzip = await rawGet(t.url, '/assets/vendor-D4e5.js', { 'accept-encoding': 'gzip' });
    const identity = await rawGet(t.url, '/assets/vendor-D4e5.js');
    const tags = [brotli, gzip, identity].map((response) => response.headers.etag);
    expect(new Set(tags).size).toBe(3);
    const brotliTag = brotli.headers.etag ?? '';
    expect((await rawGet(t.url, '/assets/vendor-D4e5.js', { 'accept-encoding': 'br', 'if-none-match': brotliTag })).status).toBe(304);
    expect((await rawGet(t.url, '/assets/vendor-D4e5.js', { 'accept-encoding': 'br', 'if-none-match': `W/"0-0", ${brotliTag}` })).status).toBe(304);
    const other = await rawGet(t.url, '/assets/vendor-D4e5.js', { 'accept-encoding': 'gzip', 'if-none-match': brotliTag });
    expect(other.status).toBe(200);
    expect(gunzipSync(other.body).toString()).toBe(VENDOR_JS);
    const head = await rawGet(t.url, '/assets/vendor-D4e5.js', { 'accept-encoding': 'br' }, 'HEAD');
    expect(head.headers['content-length']).toBe(String(brotli.body.length));
    expect(head.body.length).toBe(0);
  });

  it('never serves files outside the web root or hidden files', async () => {
    // fetch normalises "..", so send the raw paths ourselves.
    for (const path of ['/../package.json', '/%2e%2e/%2e%2e/package.json', '/assets/..%2f..%2fpackage.json', '/.env', '/%00']) {
      const { status } = await rawGet(t.url, path);
      expect(status, path).toBe(404);
    }
  });

  it('revalidates with ETag, answers HEAD without a body, and refuses other methods', async () => {
    const first = await fetch(`${t.url}/assets/index-Bx7f3k2q.js`);
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await fetch(`${t.url}/assets/index-Bx7f3k2q.js`, { headers: { 'if-none-match': etag ?? '' } });
    expect(again.status).toBe(304);
    const head = await fetch(`${t.url}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(INDEX_HTML)));
    const post = await fetch(`${t.url}/`, { method: 'POST' });
    expect(post.status).toBe(405);
  });
});

describe('without a built web app', () => {
  it('says how to build it instead of failing', async () => {
    await using t = await startTestServer('sqlite', { start: { webRoot: join(tmpdir(), 'parley-no-such-dist') } });
    const response = await fetch(`${t.url}/`);
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('pnpm --filter @parley/web build');
    // The API and the health check do not depend on it.
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });
});

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A request sent as written (fetch normalises paths, sets Accept-Encoding and decompresses). */
function rawGet(baseUrl: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
