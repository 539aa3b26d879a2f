/**
 * Prints what a first visit downloads — the entry chunk and every chunk it imports statically,
 * gzipped — and fails the build above the budget. Lazily imported chunks (the admin view) are
 * listed apart: they load only when needed.
 */
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

export function initialJsBudget(limitKb: number): Plugin {
  return {
    name: 'parley:initial-js-budget',
    apply: 'build',
    // writeBundle: after every other plugin has had its say, so this is the code that ships.
    writeBundle(_options, bundle) {
      const chunks = new Map(Object.values(bundle).flatMap((item) => (item.type === 'chunk' ? [[item.fileName, item] as const] : [])));
      const gzipKb = (code: string) => gzipSync(code).length / 1000;
      const initial = new Set<string>();
      const visit = (fileName: string) => {
        if (initial.has(fileName)) return;
        initial.add(fileName);
        for (const imported of chunks.get(fileName)?.imports ?? []) visit(imported);
      };
      for (const chunk of chunks.values()) if (chunk.isEntry) visit(chunk.fileName);

      const initialKb = [...initial].reduce((sum, fileName) => sum + gzipKb(chunks.get(fileName)?.code ?? ''), 0);
      const lazy = [...chunks.values()].filter((chunk) => !initial.has(chunk.fileName));
      this.info(`initial JavaScript: ${initialKb.toFixed(2)} kB gzipped (budget ${limitKb} kB)`);
      for (const chunk of lazy) this.info(`loaded on demand: ${chunk.fileName} ${gzipKb(chunk.code).toFixed(2)} kB gzipped`);
      if (initialKb > limitKb) this.error(`initial JavaScript is ${initialKb.toFixed(2)} kB gzipped, over the ${limitKb} kB budget: load more of it lazily`);
    },
  };
}
