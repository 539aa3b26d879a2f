/**
 * Writes a Brotli (`.br`) and a gzip (`.gz`) copy beside every text file of the build, at
 * the strongest settings: compressed once here, where time is cheap, the server only picks
 * the copy a browser accepts (apps/server/src/static-files.ts) and spends no CPU per request.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** What compresses well: text. Images and fonts are compressed formats already. */
export const COMPRESSIBLE_EXTENSIONS = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.svg', '.txt', '.webmanifest']);
/** Below this the headers outweigh what compression saves. */
const MIN_BYTES = 1024;

export function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'parley:precompress',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    // closeBundle: every file is written, index.html included.
    closeBundle() {
      let original = 0;
      let brotli = 0;
      for (const path of filesUnder(outDir)) {
        if (!COMPRESSIBLE_EXTENSIONS.has(extname(path))) continue;
        const content = readFileSync(path);
        if (content.length < MIN_BYTES) continue;
        const br = brotliCompressSync(content, {
          params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: content.length },
        });
        writeFileSync(`${path}.br`, br);
        writeFileSync(`${path}.gz`, gzipSync(content, { level: constants.Z_BEST_COMPRESSION }));
        original += content.length;
        brotli += br.length;
      }
      this.info(`precompressed: ${(original / 1000).toFixed(1)} kB of text files, ${(brotli / 1000).toFixed(1)} kB as Brotli`);
    },
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
