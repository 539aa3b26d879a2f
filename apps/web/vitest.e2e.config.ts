import { existsSync } from 'node:fs';
import { defineProject } from 'vitest/config';

const chromium = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
// Without a browser (scripts/test-services.sh could not install one) the browser tests are
// reported as not run (the root config passes with no tests); in CI that is an error, raised by
// e2e/browser.ts when a test starts.
const runBrowserTests = existsSync(chromium) || Boolean(process.env.CI);
if (!runBrowserTests) console.warn(`Browser tests NOT RUN: no Chromium at ${chromium} (apt-get install chromium, or set PARLEY_CHROMIUM)`);

// Browser tests: the real server process, the built web app, Debian's Chromium.
export default defineProject({
  test: {
    name: 'e2e',
    environment: 'node',
    include: runBrowserTests ? ['e2e/**/*.e2e.test.ts'] : [],
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
