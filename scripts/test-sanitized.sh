#!/usr/bin/env bash
# The whole vitest suite against an ASan/UBSan build of the addon (npm run test:sanitized).
#
# Builds native/ with -fsanitize=address,undefined into build-sanitized/ (gitignored; build/ keeps
# the normal addon), then runs vitest with NETSNAP_ADDON pointing at it (src/backends/native.ts
# then loads that addon and no other). Node itself is not built with ASan, so the ASan runtime is
# preloaded (LD_PRELOAD of gcc's libasan.so). Leak detection is off: Node's own allocations that
# live until exit would be reported as leaks and drown anything of ours. Any memory error or
# undefined behaviour aborts the process, which fails the test that ran it.
# By default the suites that load the addon run: the `native` project (the behaviour suite on the
# native backend) and `parity` (native vs TypeScript), less the fuzz smoke (it runs its own
# sanitized binaries and never loads the addon). The `js` project never loads the addon, so running
# it here would prove nothing. Also left out: the suites whose other programs cannot run with the
# ASan runtime preloaded, which every child inherits (troff aborts on an alloc-dealloc mismatch of its
# own: man-page; curl hangs at its start: serve-webconfig; Chromium does not start within its 180 s:
# report-chromium, report-recording), and soak-short, whose RSS bounds are the
# normal build's (ASan's allocator holds freed memory in its quarantine by design).
# Arguments, when given, go to vitest instead of these defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=build-sanitized

npm run build --silent
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
rm -rf "$OUT"
mkdir -p "$OUT"
# node-gyp builds in ./build; build into a copy of the sources so build/ (the normal addon) stays.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -r binding.gyp native package.json "$stage/"
ln -s "$ROOT/node_modules" "$stage/node_modules"
(cd "$stage" && CXXFLAGS="$SAN" LDFLAGS="-fsanitize=address,undefined" npx --no-install node-gyp rebuild -- -Dnetsnap_static_runtime=false >"$stage/gyp.log" 2>&1) ||
  { tail -40 "$stage/gyp.log" >&2; echo "test-sanitized: building the sanitized addon failed" >&2; exit 2; }
cp "$stage/build/Release/netsnap.node" "$OUT/netsnap.node"
# grep -c reads all of nm's output: with grep -q, nm could die of SIGPIPE and pipefail fail the check.
if [ "$(nm -D "$OUT/netsnap.node" | grep -c __asan_)" -eq 0 ]; then
  echo "test-sanitized: the addon was built without ASan (CXXFLAGS ignored?)" >&2
  exit 2
fi

LIBASAN=$(gcc -print-file-name=libasan.so)
[ -f "$LIBASAN" ] || { echo "test-sanitized: gcc's libasan.so not found" >&2; exit 2; }
echo "test-sanitized: addon $OUT/netsnap.node, preloading $LIBASAN"
export NETSNAP_ADDON="$ROOT/$OUT/netsnap.node"
export LD_PRELOAD="$LIBASAN"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if [ $# -eq 0 ]; then
  set -- --project native --project parity --exclude test/parity/fuzz-smoke.test.ts \
    --exclude test/unit/man-page.test.ts --exclude test/live/serve-webconfig.test.ts --exclude test/robustness/soak-short.test.ts \
    --exclude test/oracle/report-chromium.test.ts --exclude test/live/report-recording.test.ts
fi
exec npx --no-install vitest run "$@"
