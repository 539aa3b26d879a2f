import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// In development the API runs as its own process (apps/server on port 3000); in production
// that server serves dist/ itself, so the app always talks to its own origin.
const apiServer = 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
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
