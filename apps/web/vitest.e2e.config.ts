import { defineProject } from 'vitest/config';

// Browser tests: the real server process, the built web app, Debian's Chromium.
export default defineProject({
  test: {
    name: 'e2e',
    environment: 'node',
    include: ['e2e/**/*.e2e.test.ts'],
    // One browser and one server at a time: the machines have two cores, and timing-based
    // assertions (expect.poll) must not fail because another test hogs them.
    fileParallelism: false,
    testTimeout: 60_000,
    // A browser on a busy two-core machine can take more than the default second to show
    // what a test waits for; a real failure still fails, only later.
    expect: { poll: { timeout: 5_000 } },
    hookTimeout: 90_000,
  },
});
