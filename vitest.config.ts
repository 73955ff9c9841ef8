import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules', 'dist'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The machines have 2 cores: integration and e2e files start servers, keep them few at a time.
    maxWorkers: 2,
    pool: 'forks',
  },
});
