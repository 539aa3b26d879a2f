import { defineProject } from 'vitest/config';

// Browser tests: the real server process, the built web app, Debian's Chromium.
export default defineProject({
  test: {
    name: 'e2e',
    environment: 'node',
    include: ['e2e/**/*.e2e.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
});
