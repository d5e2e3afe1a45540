#!/usr/bin/env bash
# valkey-cpp next to a C client on this machine: hiredis with one connection
# per thread (bench/compare/hiredis_get.c, the way most C programs use it)
# and valkey-cpp-perf --sync (threads sharing one valkey::Client), both as a
# ratio to valkey-benchmark in the same run, on a throwaway valkey-server
# (free loopback port, stopped by a trap) filled with KEYSPACE keys of 3
# bytes. Two workloads, BENCH_ROUNDS alternating rounds each:
#   threads_4_get   4 threads / valkey-benchmark -c 4
#   sequential_get  one thread, one request at a time / valkey-benchmark -c 1
# Reported: the median of the per-round ratios with the lowest and highest.
# It answers what a target stated against valkey-benchmark means here: what
# a plain C client reaches on the same machine in the same run. The LAST
# line of stdout is one JSON object.
#
#   scripts/bench-compare.sh
#
# Needs libhiredis-dev, which scripts/setup.sh installs: a benchmark-only
# dependency; nothing else in the project uses hiredis.
#
# Environment (defaults in brackets):
#   BENCH_ROUNDS [5], BENCH_KEYSPACE [100000]
#   BENCH_THREADS_REQUESTS [100000], BENCH_SEQ_REQUESTS [50000]
#   BENCH_BUILD_DIR [<repo>/build/bench-release], VALKEY_BUILD_JOBS [2]
#   VALKEY_TEST_SKIP_SETUP=1    do not run scripts/setup.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cache="${VALKEY_CPP_CACHE:-$HOME/.cache/valkey-cpp}"
build_dir="${BENCH_BUILD_DIR:-$repo/build/bench-release}"
rounds="${BENCH_ROUNDS:-5}"
keyspace="${BENCH_KEYSPACE:-100000}"
threads_n="${BENCH_THREADS_REQUESTS:-100000}"
seq_n="${BENCH_SEQ_REQUESTS:-50000}"

log() { printf '[bench-compare] %s\n' "$*" >&2; }
die() { printf '[bench-compare] ERROR: %s\n' "$*" >&2; exit 1; }

# shellcheck source=lib/perf-bench.sh
source "$here/lib/perf-bench.sh"
perf_bench_env
for tool in VALKEY_SERVER VALKEY_CLI VALKEY_BENCHMARK; do
  [ -x "${!tool:-}" ] || die "$tool is not executable: run scripts/setup.sh"
done
printf '#include <hiredis/hiredis.h>\n' | cc -E -x c - >/dev/null 2>&1 \
  || die "hiredis headers not found: run scripts/setup.sh (it installs libhiredis-dev)"
perf_bench_build
perf_bench_work_dir bench-compare
cc -O2 -Wall -Wextra -o "$work_dir/hiredis_get" "$repo/bench/compare/hiredis_get.c" -lhiredis -lpthread \
  || die "building bench/compare/hiredis_get.c failed"

port=$(perf_bench_free_port)
perf_bench_start_server "$port"
log "filling $keyspace keys of 3 bytes on 127.0.0.1:$port"
"$VALKEY_BENCHMARK" -h 127.0.0.1 -p "$port" -t set -r "$keyspace" -n $((keyspace * 3)) -c 50 -P 16 -d 3 -q \
  >/dev/null 2>&1 || die "filling failed"

results="$work_dir/results.tsv"  # workload round side ops
: >"$results"
vb_ops() { "$VALKEY_BENCHMARK" -h 127.0.0.1 -p "$port" -t get -r "$keyspace" --csv "$@" | tail -1 | cut -d, -f2 | tr -d '"'; }
perf_ops() {
  "$perf" -u "valkey://127.0.0.1:$port" --sync -t get -r "$keyspace" --json "$@" 2>/dev/null | tail -1 \
    | "$python" -c 'import json, sys; print(json.load(sys.stdin)["ops_per_sec"])'
}
for round in $(seq "$rounds"); do
  log "round $round/$rounds"
  printf 'threads_4_get\t%s\tvalkey-benchmark\t%s\n' "$round" "$(vb_ops -c 4 -n "$threads_n")" >>"$results"
  printf 'threads_4_get\t%s\thiredis\t%s\n' "$round" "$("$work_dir/hiredis_get" "$port" 4 "$threads_n" "$keyspace")" >>"$results"
  printf 'threads_4_get\t%s\tvalkey-cpp\t%s\n' "$round" "$(perf_ops -c 4 -n "$threads_n")" >>"$results"
  printf 'sequential_get\t%s\tvalkey-benchmark\t%s\n' "$round" "$(vb_ops -c 1 -n "$seq_n")" >>"$results"
  printf 'sequential_get\t%s\thiredis\t%s\n' "$round" "$("$work_dir/hiredis_get" "$port" 1 "$seq_n" "$keyspace")" >>"$results"
  printf 'sequential_get\t%s\tvalkey-cpp\t%s\n' "$round" "$(perf_ops -c 1 -n "$seq_n")" >>"$results"
done

"$python" - "$results" "$commit" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, statistics, sys
results, commit, cpus, load = sys.argv[1:5]
ops = {}
for workload, rnd, side, value in (l.rstrip("\n").split("\t") for l in open(results) if l.strip()):
    ops.setdefault(workload, {}).setdefault(int(rnd), {})[side] = float(value)
out = {}
for workload, rounds in ops.items():
    out[workload] = {}
    for side in ("hiredis", "valkey-cpp"):
        ratios = [r[side] / r["valkey-benchmark"] for r in rounds.values() if r.get(side) and r.get("valkey-benchmark")]
        if not ratios:
            continue
        out[workload][side] = {"ratio": round(statistics.median(ratios), 3), "lowest": round(min(ratios), 3),
                               "highest": round(max(ratios), 3), "rounds": len(ratios)}
        print("%-15s %-10s %.2f (%.2f-%.2f) of valkey-benchmark" % (workload, side, out[workload][side]["ratio"],
              min(ratios), max(ratios)))
print(json.dumps({"commit": commit, "machine": "%s cpu, load %s" % (cpus, load), "workloads": out},
                 separators=(",", ":")))
PY
