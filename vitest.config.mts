import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// The behaviour suite runs twice, once per backend (NETSNAP_BACKEND); the parity suite compares
// the two backends directly and runs once. On a machine where the addon could not be built, only
// the TypeScript run is possible: say so loudly. CI (CI=true) always requires the addon.
const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
};

// vitest runs from the package root.
// NETSNAP_ADDON (scripts/test-sanitized.sh) names the one addon src/backends/native.ts loads.
const nativeBuilt = existsSync(process.env.NETSNAP_ADDON ?? 'build/Release/netsnap.node');
if (!nativeBuilt && process.env.CI !== 'true') {
  console.warn('netsnap: the native addon is not built; running the TypeScript backend suite only.');
}
const withNative = nativeBuilt || process.env.CI === 'true';

const js = { test: { ...shared, name: 'js', include: ['test/**/*.test.ts'], exclude: ['test/parity-*.test.ts'], env: { NETSNAP_BACKEND: 'js' } } };
const native = { test: { ...shared, name: 'native', include: ['test/**/*.test.ts'], exclude: ['test/parity-*.test.ts'], env: { NETSNAP_BACKEND: 'native' } } };
const parity = { test: { ...shared, name: 'parity', include: ['test/parity-*.test.ts'] } };

export default defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
    projects: withNative ? [native, js, parity] : [js],
  },
});
