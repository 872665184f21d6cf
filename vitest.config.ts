import { defineConfig } from 'vitest/config';

// libchdb binds one data directory per process and crashed under the threads pool:
// every test file runs in its own forked process with its own data directory.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'soak/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/helpers/globalSetup.ts'],
  },
});
