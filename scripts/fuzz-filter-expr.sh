#!/usr/bin/env bash
# The filter expression fuzzer (test/fuzz/filter-expr.ts; see test/FUZZING.md): the parser and the
# compilers of src/filter/ on mutated text, and generated expressions against the kernel's checker and
# a reference evaluator on loopback sockets it opens. Needs the native addon (npm ci builds it).
#
#   bash scripts/fuzz-filter-expr.sh [--seconds N] [--seed S] [--robustness N] [--meaning N] [--out DIR]
#
# Builds the fuzzer with tsc into build/fuzz-ts/js and runs it; findings go to DIR/findings.json
# (default build/fuzz-ts). Exit status: 0 nothing found, 1 findings, 2 usage or build error.
set -uo pipefail
cd "$(dirname "$0")/.."
JS=build/fuzz-ts/js
rm -rf "$JS"
if ! node_modules/.bin/tsc --outDir "$JS" --rootDir . --module commonjs --target ES2022 --moduleResolution node10 \
  --esModuleInterop --skipLibCheck --types node --strict --noUncheckedIndexedAccess --declaration false \
  test/fuzz/filter-expr.main.ts; then
  echo "fuzz: building the filter expression fuzzer failed" >&2
  exit 2
fi
# The compiled tree is not where src/backends/native.ts looks for the addon: name it.
export NETSNAP_ADDON=${NETSNAP_ADDON:-$PWD/build/Release/netsnap.node}
exec node "$JS/test/fuzz/filter-expr.main.js" "$@"
