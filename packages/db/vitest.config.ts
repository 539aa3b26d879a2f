import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'db',
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Each file works on its own throw-away database; files run in parallel.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
