import { defineConfig } from 'vitest/config';

// Integration tests drive real programs (network namespaces, tshark, the AWS CLI) and can take a
// while on a 2-core machine: generous timeouts, never timing assertions.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
