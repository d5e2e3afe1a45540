#!/usr/bin/env bash
# Client-side caching figures (docs/caching.md): cached GET throughput from
# BENCH_THREADS [4] threads on one sync Client as a ratio against uncached
# GET, and the user-space instructions of one cache hit through
# db.cached().get() (callgrind; runs of N and 2N hits subtracted, so the
# start-up and the filling of the cache cancel out).
#
#   scripts/bench-cache.sh
#
# Environment: BENCH_KEYSPACE [10000] keys of BENCH_VALUE_SIZE [100] bytes,
# BENCH_THREADS_REQUESTS [400000], BENCH_ROUNDS [3] (median), BENCH_INSTR_REQUESTS [20000],
# BENCH_BUILD_DIR [<repo>/build/bench-release] (the Release tree of scripts/bench.sh),
# VALKEY_TEST_SKIP_SETUP=1 (do not run scripts/setup.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cache="${VALKEY_CPP_CACHE:-$HOME/.cache/valkey-cpp}"
build_dir="${BENCH_BUILD_DIR:-$repo/build/bench-release}"
keyspace="${BENCH_KEYSPACE:-10000}"
value_size="${BENCH_VALUE_SIZE:-100}"
threads="${BENCH_THREADS:-4}"
threads_n="${BENCH_THREADS_REQUESTS:-400000}"
rounds="${BENCH_ROUNDS:-3}"
instr_n="${BENCH_INSTR_REQUESTS:-20000}"
log() { printf '[bench-cache] %s\n' "$*" >&2; }
die() { printf '[bench-cache] ERROR: %s\n' "$*" >&2; exit 1; }
# shellcheck source=lib/perf-bench.sh
source "$here/lib/perf-bench.sh"
perf_bench_env

if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVALKEY_CPP_BUILD_TESTS=OFF \
    -DVALKEY_CPP_BUILD_SAMPLES=OFF -DVALKEY_CPP_BUILD_TOOLS=OFF -DVALKEY_CPP_BUILD_BENCH=ON >/dev/null
fi
cmake --build "$build_dir" -j"${VALKEY_BUILD_JOBS:-2}" --target e2e_bench >/dev/null
client="$build_dir/bench/e2e_bench"

perf_bench_work_dir bench-cache
port=$(perf_bench_free_port)
perf_bench_start_server "$port"
common=(--port "$port" --keyspace "$keyspace" --value-size "$value_size")
"$client" populate "${common[@]}" >/dev/null

ops() { sed -n 's/.*"ops":\([0-9.]*\).*/\1/p'; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A med
for cmd in get cached_get; do
  for _ in $(seq "$rounds"); do
    "$client" threads --command "$cmd" --threads "$threads" --requests "$threads_n" "${common[@]}" | tail -1 | ops
  done >"$work_dir/$cmd"
  med[$cmd]=$(median <"$work_dir/$cmd")
  log "$cmd from $threads threads: ${med[$cmd]} ops/s (median of $rounds)"
done
ratio=$(awk -v a="${med[cached_get]}" -v b="${med[get]}" 'BEGIN { printf "%.1f", a / b }')

declare -A ir
for n in "$instr_n" $((2 * instr_n)); do
  valgrind --tool=callgrind --callgrind-out-file="$work_dir/cg.$n" \
    "$client" instructions --command cached_get --requests "$n" "${common[@]}" >/dev/null 2>"$work_dir/cg.$n.log"
  ir[$n]=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$work_dir/cg.$n" | head -1)
  [ -n "${ir[$n]}" ] || ir[$n]=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$work_dir/cg.$n" | head -1)
done
per_hit=$(( (ir[$((2 * instr_n))] - ir[$instr_n]) / instr_n ))
printf 'cached GET / GET from %s threads: %s (%s vs %s ops/s); instructions per cache hit (%s-byte value): %s\n' \
  "$threads" "$ratio" "${med[cached_get]}" "${med[get]}" "$value_size" "$per_hit"
printf '{"threads":%s,"cached_get_ops":%s,"get_ops":%s,"ratio":%s,"instructions_per_hit":%s,"value_size":%s}\n' \
  "$threads" "${med[cached_get]}" "${med[get]}" "$ratio" "$per_hit" "$value_size"
