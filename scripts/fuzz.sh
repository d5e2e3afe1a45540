#!/usr/bin/env bash
# Builds and runs the RESP parser fuzzer (libFuzzer + ASan + UBSan).
#   scripts/fuzz.sh [seconds=60]
# Build dir: $VALKEY_FUZZ_BUILD_DIR or <repo>/../build-fuzz. Prints the
# number of executions; exits non-zero if the fuzzer found a crash.
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${VALKEY_FUZZ_BUILD_DIR:-$root/../build-fuzz}"
jobs="${VALKEY_FUZZ_JOBS:-2}"

cxx="$(command -v clang++ || command -v clang++-14 || true)"
if [[ -z "$cxx" ]]; then
  echo "fuzz.sh: clang++ not found (scripts/setup.sh installs clang)" >&2
  exit 2
fi

cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DVALKEY_CPP_FUZZ=ON -DVALKEY_CPP_ASAN=ON \
  -DVALKEY_CPP_BUILD_TESTS=ON -DVALKEY_CPP_BUILD_BENCH=OFF -DVALKEY_CPP_BUILD_SAMPLES=OFF >/dev/null
cmake --build "$build" --target fuzz_resp_parser fuzz_make_seeds -j "$jobs"

corpus="$build/fuzz-corpus"
mkdir -p "$corpus"
"$build/tests/fuzz/fuzz_make_seeds" "$corpus"
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"

log="$build/fuzz.log"
set +e
"$build/tests/fuzz/fuzz_resp_parser" "$corpus" \
  -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=1024 -malloc_limit_mb=256 -timeout=5 \
  -artifact_prefix="$artifacts/" -print_final_stats=1 2>&1 | tee "$log" | grep -E "^#[0-9]+ +(DONE|pulse|INITED)|ERROR|SUMMARY|crash-|stat::"
status=${PIPESTATUS[0]}
set -e
execs="$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')"
echo "fuzz_resp_parser: ${execs:-?} executions in ${seconds}s (exit $status; log $log)"
exit "$status"
