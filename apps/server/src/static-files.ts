/**
 * Serves the built web app (apps/web/dist): files with their content types, a long cache
 * for Vite's content-hashed /assets/*, revalidation for everything else, and index.html
 * for any other path a browser opens, so the single-page app can route on the client. Text files go out as
 * the Brotli or gzip copy the build wrote beside them (apps/web/precompress.ts) when the
 * browser accepts it: the app's first load is a third of its size on the wire.
 */
import { createReadStream, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Logger } from './logger.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.wav': 'audio/wav',
};

/** Vite puts content-hashed files here: their name changes whenever their content does. */
const HASHED_PREFIX = '/assets/';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

export const NOT_BUILT_MESSAGE =
  'Parley is running, but its web app has not been built yet.\n\n' +
  'Build it with `pnpm --filter @parley/web build` (or `pnpm build`) and reload this page.\n' +
  'The API is available at /trpc and the health check at /healthz.\n';

export function createStaticHandler(webRoot: string, logger: Logger) {
  const root = resolve(webRoot);
  const indexFile = join(root, 'index.html');

  return async function serveWebApp(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendText(res, 405, 'Method not allowed\n');
    }
    const index = await fileStats(indexFile);
    if (!index) return sendText(res, 503, NOT_BUILT_MESSAGE);

    const filePath = resolveInside(root, pathname);
    if (filePath === null) return sendText(res, 404, 'Not found\n');
    const stats = filePath === root ? null : await fileStats(filePath);
    if (stats) {
      const cacheControl = pathname.startsWith(HASHED_PREFIX) ? IMMUTABLE : REVALIDATE;
      return sendFile(req, res, filePath, stats, cacheControl, logger);
    }
    // A missing asset or file is a real 404: answering with HTML would hide the mistake
    // behind a "wrong MIME type" error in the browser. A page someone opens may still hold a
    // dot (/c/1.5): it gets the app, which says there is nothing at that address.
    if (pathname.startsWith(HASHED_PREFIX) || (extname(pathname) !== '' && !acceptsHtml(req.headers.accept))) {
      return sendText(res, 404, 'Not found\n');
    }
    return sendFile(req, res, indexFile, index, REVALIDATE, logger);
  };
}

/**
 * Whether an Accept header names HTML, as a browser opening a page does. Scripts, images and
 * fetch() name other types or accept anything: they want the file itself, or a 404.
 */
function acceptsHtml(header: string | undefined): boolean {
  return (header ?? '').split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const weight = params.find((param) => param.startsWith('q='));
    return type === 'text/html' && (weight === undefined || Number(weight.slice(2)) > 0);
  });
}

/** The file a URL path names, or null when it escapes the root or names a hidden file. */
function resolveInside(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.split(/[/\\]/).some((segment) => segment.startsWith('.') && segment !== '')) {
    return null;
  }
  const filePath = resolve(root, `.${decoded}`);
  return filePath === root || filePath.startsWith(root + sep) ? filePath : null;
}

async function fileStats(path: string): Promise<Stats | null> {
  try {
    const stats = await stat(path);
    return stats.isFile() ? stats : null;
  } catch {
    return null;
  }
}

/** The compressed copies the build writes beside a text file, the smaller first. */
const COMPRESSED_COPIES = [
  { coding: 'br', suffix: '.br' },
  { coding: 'gzip', suffix: '.gz' },
] as const;

/**
 * What to send for a file: its compressed copy the request accepts, else the file itself.
 * `varies` when it has copies, so caches keep one answer per Accept-Encoding.
 */
async function representationOf(req: IncomingMessage, path: string, stats: Stats) {
  const copies = await Promise.all(COMPRESSED_COPIES.map(async (copy) => ({ ...copy, stats: await fileStats(path + copy.suffix) })));
  // A copy older than its file is left from another build: never send stale content.
  const current = copies.filter((copy) => copy.stats !== null && copy.stats.mtimeMs >= stats.mtimeMs);
  const chosen = current.find((copy) => acceptsEncoding(req.headers['accept-encoding'], copy.coding));
  return chosen?.stats
    ? { path: path + chosen.suffix, size: chosen.stats.size, coding: chosen.coding, varies: true }
    : { path, size: stats.size, coding: null, varies: current.length > 0 };
}

/**
 * Whether an Accept-Encoding header accepts `coding` (RFC 9110, 12.5.3): named or matched by
 * `*`, with a weight above 0. No header accepts none: the file is sent as it is.
 */
export function acceptsEncoding(header: string | undefined, coding: string): boolean {
  let anyWeight: number | undefined;
  for (const element of (header ?? '').split(',')) {
    const [name = '', ...params] = element.split(';').map((part) => part.trim().toLowerCase());
    const weight = params.find((param) => param.startsWith('q='));
    const q = weight === undefined ? 1 : Number(weight.slice(2));
    if (name === coding) return q > 0;
    if (name === '*') anyWeight = q;
  }
  return anyWeight !== undefined && anyWeight > 0;
}

async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  stats: Stats,
  cacheControl: string,
  logger: Logger,
): Promise<void> {
  const sent = await representationOf(req, path, stats);
  // One tag per representation: a cache must not answer a gzip request with its Brotli copy.
  const etag = `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}${sent.coding ? `-${sent.coding}` : ''}"`;
  res.setHeader('Content-Type', CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream');
  res.setHeader('Cache-Control', cacheControl);
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', stats.mtime.toUTCString());
  if (sent.varies) res.setHeader('Vary', 'Accept-Encoding');
  if (req.headers['if-none-match']?.split(',').some((tag) => tag.trim() === etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  if (sent.coding) res.setHeader('Content-Encoding', sent.coding);
  res.setHeader('Content-Length', sent.size);
  res.statusCode = 200;
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  try {
    await pipeline(createReadStream(sent.path), res);
  } catch (error) {
    // A client that goes away mid-download is normal; anything else is worth a line.
    if (!res.destroyed || !(error instanceof Error && 'code' in error && error.code === 'ERR_STREAM_PREMATURE_CLOSE')) {
      logger.warn({ err: error, path: sent.path }, 'could not send a web app file');
    }
    res.destroy();
  }
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
