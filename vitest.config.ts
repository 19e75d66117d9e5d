import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20000,
    // One file at a time: the failover tests hold DNS to a timing budget, and
    // files running beside them on this 2-core machine would eat into it.
    fileParallelism: false,
    hookTimeout: 30000,
  },
});
