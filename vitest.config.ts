import { defineConfig } from 'vitest/config';

// One Vitest run over every package; each package's own vitest.config.ts names its project.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'apps/web/vitest.e2e.config.ts'],
    // A project with nothing to run here (no browser installed) is reported, not an error.
    passWithNoTests: true,
  },
});
