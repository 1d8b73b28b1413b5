import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // `nmcp serve --tcp/--http` runs one process per core by default (cluster.processes). The CLI tests are about one
    // server process; test/cluster runs several on purpose (--processes, which wins over this).
    env: { NMCP_CLUSTER_PROCESSES: '1' },
  },
});
