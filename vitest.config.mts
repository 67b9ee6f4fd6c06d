import { defineConfig } from 'vitest/config';

// The behaviour suite runs twice, once per backend (NETSNAP_BACKEND); the parity suite compares
// the two backends directly and runs once.
const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
    projects: [
      { test: { ...shared, name: 'native', include: ['test/**/*.test.ts'], exclude: ['test/parity-*.test.ts'], env: { NETSNAP_BACKEND: 'native' } } },
      { test: { ...shared, name: 'js', include: ['test/**/*.test.ts'], exclude: ['test/parity-*.test.ts'], env: { NETSNAP_BACKEND: 'js' } } },
      { test: { ...shared, name: 'parity', include: ['test/parity-*.test.ts'] } },
    ],
  },
});
