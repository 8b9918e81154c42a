import { defineConfig } from 'vitest/config';

// Two kinds of tests, in two folders of every package:
// - test/unit: Node and the built packages only (no root, no namespaces, no Debian tools); seconds.
//   `npm run test:unit` runs them alone.
// - test/lab: real programs (network namespaces with kernel VXLAN mirroring, tshark, Debian's AWS
//   CLI, tcpdump, cdk synth, ...), root where namespaces are built. `npm run test:lab`.
// A test file outside both folders is still run (with the lab ones) so nothing can fall out of the
// suite; packages/testkit's layout test fails on it.
// Integration tests drive real programs and can take a while on a 2-core machine: generous timeouts,
// never timing assertions.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['packages/*/test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'lab',
          include: ['packages/*/test/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: ['packages/*/test/unit/**', '**/node_modules/**'],
        },
      },
    ],
  },
});
