import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Tests live in folders by kind: unit (fixtures and pure code), live (this host's kernel, sockets the
// test opens), oracle (against netstat, ss, Prometheus, chromium), robustness (hostile inputs, churn,
// scale, unprivileged), parity (native against TypeScript), package (the tarball as users install it).
// Every kind but parity and package runs twice, once per backend (NETSNAP_BACKEND); the parity suite compares
// the two backends directly and runs once. On a machine where the addon could not be built, only
// the TypeScript run is possible: say so loudly. CI (CI=true) always requires the addon.
// NETSNAP_QUICK=1 (npm run test:quick) keeps the unit folder only: the edit loop.
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
const quick = process.env.NETSNAP_QUICK === '1';

const BEHAVIOUR = quick ? ['test/unit/**/*.test.ts'] : ['test/{unit,live,oracle,robustness}/**/*.test.ts'];
const js = { test: { ...shared, name: 'js', include: BEHAVIOUR, env: { NETSNAP_BACKEND: 'js' } } };
const native = { test: { ...shared, name: 'native', include: BEHAVIOUR, env: { NETSNAP_BACKEND: 'native' } } };
const parity = { test: { ...shared, name: 'parity', include: ['test/parity/**/*.test.ts'] } };
// The package as users install it (npm pack, a fresh project, the addon loader): once, needs the addon.
const pkg = { test: { ...shared, name: 'package', include: ['test/package/**/*.test.ts'] } };

export default defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
    projects: withNative ? (quick ? [native, js] : [native, js, parity, pkg]) : [js],
  },
});
