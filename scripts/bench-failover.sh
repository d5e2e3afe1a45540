#!/usr/bin/env bash
# Failover timing through the sentinel client: N times, kill -9 of the
# primary of the sentinel test fixture (a primary, 2 replicas, 3 sentinels
# with down-after 1 s) under a valkey::Client writing INCRs back to back, and
# the time from the sentinels' switch (+switch-master as a separate observer
# receives it) to the client's first successful write. The killed node comes
# back as a replica before the next round. Prints one line per failover, and
# as the LAST line of stdout one JSON object: p50, min and max of
# switch_to_first_write_ms, kill_to_switch_ms and kill_to_first_write_ms, and
# every round.
#
# It runs the hidden Catch2 case "[bench-failover]" of integration_tests
# (tests/integration/sentinel_failover_bench.cpp), built in the same
# ASan+UBSan Debug build dir as scripts/test.sh's main build (the figures are
# dominated by the sentinels and the network round trips, not by the
# client's instructions). Not part of scripts/test.sh.
#
#   scripts/bench-failover.sh              10 failovers
#   VALKEY_BENCH_FAILOVERS=3 scripts/bench-failover.sh
#
# Environment (defaults in brackets):
#   VALKEY_BENCH_FAILOVERS [10]
#   VALKEY_BUILD_ROOT [<repo>/build]  the build dir is $VALKEY_BUILD_ROOT/asan
#   VALKEY_BUILD_JOBS [2]
#   VALKEY_SERVER                     the server (and sentinel) binary; scripts/setup.sh's env.sh sets it
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
build_dir="${VALKEY_BUILD_ROOT:-$repo/build}/asan"
cache="${VALKEY_CPP_CACHE:-$HOME/.cache/valkey-cpp}"
# shellcheck disable=SC1091
[ -z "${VALKEY_SERVER:-}" ] && [ -f "$cache/env.sh" ] && source "$cache/env.sh"

if [ ! -f "$build_dir/build.ninja" ]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S "$repo" -B "$build_dir" -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" \
    -DVALKEY_CPP_BUILD_BENCH=OFF -DVALKEY_CPP_ASAN=ON >/dev/null
fi
cmake --build "$build_dir" -j"${VALKEY_BUILD_JOBS:-2}" --target integration_tests >/dev/null

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
export VALKEY_BENCH_FAILOVERS="${VALKEY_BENCH_FAILOVERS:-10}"
# The per-failover lines go to stderr as they happen; the JSON to stdout.
if ! "$build_dir/tests/integration_tests" "[bench-failover]" >"$out"; then
  cat "$out" >&2
  echo "bench-failover: the run failed" >&2
  exit 1
fi
grep '^bench-failover: ' "$out" | sed 's/^bench-failover: //' | tail -n 1
