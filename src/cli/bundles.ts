// The command's two bundles (scripts/bundle.js makes them, src/cli/main.ts picks one): the
// subcommands below run only from the full one, cli.bundle.js; every other command line (netstat's
// modes and netsnap's own socket modes) runs from listing.bundle.js, the same program without these
// subcommands' modules, which a listing would otherwise read and map from its code cache each time.
export const FULL_BUNDLE_SUBCOMMANDS: readonly string[] = ['serve', 'record', 'report', 'events', 'top', 'completion'];

/** The bundle file (in dist/cli/) that runs the command line `argv` (process.argv.slice(2)). */
export function bundleFor(argv: readonly string[]): string {
  return FULL_BUNDLE_SUBCOMMANDS.includes(argv[0] ?? '') ? 'cli.bundle.js' : 'listing.bundle.js';
}
