#!/usr/bin/env bash
# libFuzzer harnesses of the native parsers (native/fuzz/*_fuzz.cc); see test/FUZZING.md.
#
#   npm run fuzz -- [--seconds N] [--harness NAME[,NAME...]] [--jobs J] [--standalone] [--build-only]
#
#   --seconds N     run each harness for N seconds (default 60)
#   --harness NAME  only these harnesses (default all: inet unix link netlink filter format detail btf); repeatable
#   --jobs J        libFuzzer -fork=J: J fuzzing processes per harness (default 1)
#   --standalone    no libFuzzer: build the harnesses with g++ (or clang++) and ASan/UBSan and run
#                   every corpus and regression file through them once (no clang needed)
#   --build-only    build, do not run
#
# Each harness starts from native/fuzz/corpus/NAME and native/fuzz/regressions/NAME (read only);
# new corpus entries go to OUT/corpus/NAME, crash artifacts to OUT/crashes/, logs to OUT/logs/,
# where OUT is $NETSNAP_FUZZ_OUT or build/fuzz (the smoke test uses its own). The
# last line per harness is "fuzz: NAME execs=... exec/s=... cov=... ft=... corpus=... crashes=...".
# Exit status: 0 all clean; 1 a crash (or a failed check, timeout, OOM); 2 usage or build error;
# 3 clang with libFuzzer is not available and could not be installed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${NETSNAP_FUZZ_OUT:-build/fuzz}

SECONDS_EACH=60
JOBS=1
HARNESSES=()
STANDALONE=0
BUILD_ONLY=0
ALL=(inet unix link netlink filter format detail btf)
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_EACH=${2:?--seconds needs a number}; shift 2 ;;
    --seconds=*) SECONDS_EACH=${1#*=}; shift ;;
    --harness) IFS=, read -ra more <<<"${2:?--harness needs a name}"; HARNESSES+=("${more[@]}"); shift 2 ;;
    --harness=*) IFS=, read -ra more <<<"${1#*=}"; HARNESSES+=("${more[@]}"); shift ;;
    --jobs) JOBS=${2:?--jobs needs a number}; shift 2 ;;
    --jobs=*) JOBS=${1#*=}; shift ;;
    --standalone) STANDALONE=1; shift ;;
    --build-only) BUILD_ONLY=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "fuzz: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ ${#HARNESSES[@]} -eq 0 ] && HARNESSES=("${ALL[@]}")
for h in "${HARNESSES[@]}"; do
  case " ${ALL[*]} " in *" $h "*) ;; *) echo "fuzz: unknown harness $h (have: ${ALL[*]})" >&2; exit 2 ;; esac
done
case "$SECONDS_EACH$JOBS" in *[!0-9]*) echo "fuzz: --seconds and --jobs take whole numbers" >&2; exit 2 ;; esac

N=native
sources() {
  case "$1" in
    inet) echo "$N/fuzz/inet_fuzz.cc $N/table.cc $N/net_inet.cc $N/net_unix.cc $N/filter.cc" ;;
    unix) echo "$N/fuzz/unix_fuzz.cc $N/table.cc $N/net_inet.cc $N/net_unix.cc $N/filter.cc" ;;
    link) echo "$N/fuzz/link_fuzz.cc $N/fd_link.cc $N/proc_pid.cc $N/sockstat.cc" ;;
    netlink) echo "$N/fuzz/netlink_fuzz.cc $N/netlink_diag.cc $N/destroy_events.cc $N/parallel.cc $N/tcp_info.cc $N/table.cc $N/net_inet.cc $N/net_unix.cc $N/filter.cc" ;;
    filter) echo "$N/fuzz/filter_fuzz.cc $N/filter.cc" ;;
    format) echo "$N/fuzz/format_fuzz.cc $N/format.cc" ;;
    detail) echo "$N/fuzz/detail_fuzz.cc $N/format.cc" ;;
    btf) echo "$N/fuzz/btf_fuzz.cc $N/bpf_fds.cc $N/read.cc" ;;
  esac
}
# Largest input libFuzzer makes: /proc/net files can be big; links, cmdline and status are small.
max_len() {
  case "$1" in
    inet|unix) echo 1048576 ;;
    link) echo 4096 ;;
    netlink) echo 262144 ;;
    filter) echo 8192 ;;
    format) echo 65536 ;;
    detail) echo 65536 ;;
    btf) echo 65536 ;;
  esac
}

COMMON=(-std=c++17 -g -O1 -fno-exceptions -fno-omit-frame-pointer -fno-sanitize-recover=undefined -I"$N" -I"$N/fuzz" -pthread)

# --- standalone: the corpus and regressions as a regression test, any C++ compiler -------------
if [ "$STANDALONE" = 1 ]; then
  CXX=${CXX:-$(command -v g++ || command -v clang++)}
  [ -n "$CXX" ] || { echo "fuzz: no C++ compiler (g++ or clang++)" >&2; exit 2; }
  out=$OUT/standalone
  mkdir -p "$out"
  status=0
  for h in "${HARNESSES[@]}"; do
    # shellcheck disable=SC2046
    if ! "$CXX" "${COMMON[@]}" -fsanitize=address,undefined -DNETSNAP_STANDALONE_FUZZ $(sources "$h") -o "$out/$h"; then
      echo "fuzz: building the standalone $h harness failed" >&2
      exit 2
    fi
    [ "$BUILD_ONLY" = 1 ] && continue
    if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$out/$h" "$N/fuzz/corpus/$h" "$N/fuzz/regressions/$h"; then
      echo "fuzz: $h standalone ok"
    else
      echo "fuzz: $h standalone FAILED" >&2
      status=1
    fi
  done
  exit $status
fi

# --- libFuzzer ------------------------------------------------------------------------------
have_libfuzzer() {
  command -v clang++ >/dev/null 2>&1 || return 1
  local probe
  probe=$(mktemp -d)
  printf '%s\n' '#include <cstdint>' '#include <cstddef>' \
    'extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }' >"$probe/p.cc"
  clang++ -fsanitize=fuzzer,address,undefined "$probe/p.cc" -o "$probe/p" >/dev/null 2>&1
  local ok=$?
  rm -rf "$probe"
  return $ok
}
if ! have_libfuzzer; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "fuzz: clang with libFuzzer not found; installing clang with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q clang >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q clang >/dev/null 2>&1; }
  fi
  if ! have_libfuzzer; then
    echo "fuzz: clang++ with libFuzzer (-fsanitize=fuzzer) is not available and could not be installed" >&2
    echo "fuzz: (as root: apt-get install clang). 'npm run fuzz -- --standalone' runs the corpus with g++." >&2
    exit 3
  fi
fi

mkdir -p "$OUT/crashes" "$OUT/corpus" "$OUT/logs"
pids=()
for h in "${HARNESSES[@]}"; do
  # shellcheck disable=SC2046
  clang++ "${COMMON[@]}" -fsanitize=fuzzer,address,undefined $(sources "$h") -o "$OUT/$h" &
  pids+=($!)
done
for p in "${pids[@]}"; do
  wait "$p" || { echo "fuzz: building a harness failed" >&2; exit 2; }
done
[ "$BUILD_ONLY" = 1 ] && { echo "fuzz: built ${HARNESSES[*]} in $OUT/"; exit 0; }

status=0
summary=()
for h in "${HARNESSES[@]}"; do
  scratch=$OUT/corpus/$h
  mkdir -p "$scratch"
  log=$OUT/logs/$h.log
  before=$(find "$OUT/crashes" -maxdepth 1 -name "$h-*" | wc -l)
  args=(-max_total_time="$SECONDS_EACH" -max_len="$(max_len "$h")" -timeout=20 -rss_limit_mb=2560
        -print_final_stats=1 -artifact_prefix="$(cd "$OUT" && pwd)/crashes/$h-")
  [ "$JOBS" -gt 1 ] && args+=(-fork="$JOBS")
  echo "fuzz: $h for ${SECONDS_EACH}s (jobs $JOBS), log $log"
  # The first corpus directory receives new entries: the scratch copy, never the repository.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$OUT/$h" "${args[@]}" "$scratch" "$N/fuzz/corpus/$h" "$N/fuzz/regressions/$h" >"$log" 2>&1
  rc=$?
  after=$(find "$OUT/crashes" -maxdepth 1 -name "$h-*" | wc -l)
  crashes=$((after - before))
  # Final numbers: print_final_stats (single process) or the last "#N: cov: ..." line (fork mode).
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$')
  rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$')
  last=$(grep -E '^#[0-9]+[[:space:]:].*cov: [0-9]+' "$log" | tail -1)
  [ -z "$execs" ] && execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
  [ -z "$rate" ] && rate=$(sed -nE 's/.*exec\/s:? ([0-9]+).*/\1/p' <<<"$last")
  cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.*ft: ([0-9]+).*/\1/p' <<<"$last")
  corp=$(sed -nE 's/.*corp: ([0-9]+).*/\1/p' <<<"$last")
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
  line="fuzz: $h execs=${execs:-0} exec/s=${rate:-0} cov=${cov:-?} ft=${ft:-?} corpus=${corp:-?} crashes=$crashes exit=$rc"
  summary+=("$line")
  echo "$line"
  if [ "$rc" -ne 0 ]; then
    status=1
    echo "fuzz: $h FAILED; the end of its log:" >&2
    tail -40 "$log" >&2
    ls "$OUT/crashes/$h"-* 2>/dev/null >&2
  fi
done
echo "fuzz: summary"
printf '%s\n' "${summary[@]}"
exit $status
