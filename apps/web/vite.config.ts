import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { initialJsBudget } from './bundle-budget.ts';
import { precompress } from './precompress.ts';

// In development the API runs as its own process (apps/server on port 3000); in production
// that server serves dist/ itself, so the app always talks to its own origin.
const apiServer = 'http://127.0.0.1:3000';

export default defineConfig({
  // The app's first load stays small (issue: at most 200 kB of JavaScript, gzipped), and
  // ships compressed: the server sends the .br or .gz copy a browser accepts.
  plugins: [react(), initialJsBudget(200), precompress()],
  server: {
    host: '127.0.0.1',
    proxy: {
      // `ws: true` also forwards WebSocket upgrades on /trpc (subscriptions).
      '/trpc': { target: apiServer, ws: true },
      '/healthz': { target: apiServer },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
});
