#!/usr/bin/env bash
# What routing costs per request, without the network's noise: callgrind
# instructions (and memcheck's heap allocations) per GET of valkey-cpp-perf on
# a ONE-node cluster (one `valkey-server --cluster-enabled yes` owning every
# slot) against the single-node clients on a plain valkey-server, in the same
# run. Runs of N and 2N requests are subtracted so start-up cancels out, and
# the median of BENCH_INSTR_RUNS such pairs is reported with their spread.
# How many reads find their reply already there varies under valgrind and
# moves a side's count by a few hundred instructions per GET; so far it has
# moved between invocations of this script more than between the pairs of
# one invocation, so compare builds in one invocation's conditions (or by the
# functions only the cluster path runs). The modes:
#   async   -c 1 -t get: one coroutine, one request at a time
#   batch   -c 1 -P 48 -r KEYSPACE -t get: batches of 48 GETs, per GET
#   sync    --sync -c 1 -t get (only with BENCH_SYNC=1)
# Both servers are on free loopback ports and stopped by a trap. The LAST line
# of stdout is one JSON object.
#
#   scripts/bench-cluster-instructions.sh
#
# Environment (defaults in brackets):
#   BENCH_INSTR_REQUESTS [2000]  runs of N and 2N requests
#   BENCH_INSTR_RUNS [3]         pairs of runs per figure (the median is reported)
#   BENCH_MODES [async,batch]    which of async, batch, sync to count
#   BENCH_SYNC=1                 adds sync to the default modes
#   BENCH_ALLOCS [1]             0: no memcheck allocation counts (GET and SET)
#   BENCH_KEYSPACE [100000]      keys filled on both servers, read by the batches
#   BENCH_BUILD_DIR [<repo>/build/bench-release], VALKEY_BUILD_JOBS [2]
#   VALKEY_TEST_SKIP_SETUP=1     do not run scripts/setup.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cache="${VALKEY_CPP_CACHE:-$HOME/.cache/valkey-cpp}"
build_dir="${BENCH_BUILD_DIR:-$repo/build/bench-release}"
n="${BENCH_INSTR_REQUESTS:-2000}"
keyspace="${BENCH_KEYSPACE:-100000}"
count_allocs="${BENCH_ALLOCS:-1}"
runs="${BENCH_INSTR_RUNS:-3}"
default_modes=async,batch
[ -z "${BENCH_SYNC:-}" ] || default_modes+=,sync
IFS=, read -r -a modes <<<"${BENCH_MODES:-$default_modes}"

log() { printf '[bench-cluster-instructions] %s\n' "$*" >&2; }
die() { printf '[bench-cluster-instructions] ERROR: %s\n' "$*" >&2; exit 1; }

# shellcheck source=lib/perf-bench.sh
source "$here/lib/perf-bench.sh"
perf_bench_env
[ -x "${VALKEY_SERVER:-}" ] && [ -x "${VALKEY_CLI:-}" ] || die "VALKEY_SERVER/VALKEY_CLI missing: run scripts/setup.sh"
command -v valgrind >/dev/null 2>&1 || die "valgrind is not installed"

# ------------------------------------------------------------------ build
perf_bench_build

# ---------------------------------------------------------------- servers
perf_bench_work_dir bench-ci

cluster_port=$(perf_bench_free_port)
perf_bench_start_server "$cluster_port" --cluster-enabled yes --cluster-config-file "nodes-$cluster_port.conf"
cli "$cluster_port" cluster addslotsrange 0 16383 >/dev/null
for _ in $(seq 100); do
  cli "$cluster_port" cluster info | grep -q cluster_state:ok && break
  sleep 0.1
done
cli "$cluster_port" cluster info | grep -q cluster_state:ok || die "the one-node cluster did not become ok"
single_port=$(perf_bench_free_port)
perf_bench_start_server "$single_port"
log "one-node cluster on 127.0.0.1:$cluster_port, plain server on 127.0.0.1:$single_port"

# --slot-run 0: the cluster side's keys without a hash tag, as the single
# side's: both format the same keys, and the routed side hashes whole keys.
cluster_args=(--cluster -u "valkey://127.0.0.1:$cluster_port" --slot-run 0)
single_args=(-u "valkey://127.0.0.1:$single_port")
log "filling $keyspace keys on each"
timeout 120 "$perf" "${cluster_args[@]}" -t set -r "$keyspace" -n $((keyspace * 3)) -c 256 >/dev/null \
  || die "filling the cluster failed"
timeout 120 "$perf" "${single_args[@]}" -t set -r "$keyspace" -n $((keyspace * 3)) -c 256 >/dev/null \
  || die "filling the plain server failed"

# ------------------------------------------------------------------ count
costs="$work_dir/costs.tsv"  # figure side mode run run_length value
: >"$costs"
mode_args() {  # <mode>: the workload's arguments
  case "$1" in
    async) echo "-c 1" ;;
    batch) echo "-c 1 -P 48 -r $keyspace" ;;
    sync) echo "--sync -c 1" ;;
    *) die "unknown mode $1 (async, batch, sync)" ;;
  esac
}
for mode in "${modes[@]}"; do
  for side in cluster single; do
    if [ "$side" = cluster ]; then target=("${cluster_args[@]}"); else target=("${single_args[@]}"); fi
    for run in $(seq "$runs"); do
      for len in "$n" $((n * 2)); do
        log "$side $mode: $len GETs (run $run/$runs)"
        # shellcheck disable=SC2046  # mode_args is a word list
        valgrind --tool=callgrind --callgrind-out-file="$work_dir/cg.$side.$mode.$len.$run" "$perf" "${target[@]}" \
          $(mode_args "$mode") -t get -n "$len" >/dev/null 2>"$work_dir/cg.log" \
          || die "callgrind run failed: $(tail -5 "$work_dir/cg.log")"
        printf 'instructions\t%s\t%s\t%s\t%s\t%s\n' "$side" "$mode" "$run" "$len" \
          "$(sed -n 's/^summary: *//p' "$work_dir/cg.$side.$mode.$len.$run")" >>"$costs"
      done
    done
    # Heap allocations do not depend on timing: one pair of runs.
    [ "$count_allocs" = 1 ] || continue
    for len in "$n" $((n * 2)); do
      for t in get set; do
        # shellcheck disable=SC2046
        valgrind --tool=memcheck --leak-check=no "$perf" "${target[@]}" $(mode_args "$mode") -t "$t" -n "$len" \
          >/dev/null 2>"$work_dir/mc.log" || die "memcheck run failed: $(tail -5 "$work_dir/mc.log")"
        printf 'allocs_%s\t%s\t%s\t1\t%s\t%s\n' "$t" "$side" "$mode" "$len" \
          "$(sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' "$work_dir/mc.log" | tr -d ,)" >>"$costs"
      done
    done
  done
done
# Keep the callgrind outputs of the longer and shorter runs for
# `callgrind_annotate` when BENCH_KEEP_DIR names a directory.
[ -z "${BENCH_KEEP_DIR:-}" ] || { mkdir -p "$BENCH_KEEP_DIR"; cp "$work_dir"/cg.*.* "$BENCH_KEEP_DIR"/; }

# ---------------------------------------------------------------- report
"$python" - "$costs" "$commit" "$n" "$runs" <<'PY'
import json, statistics, sys
costs, commit, n, nruns = sys.argv[1:5]
pairs = {}
for figure, side, mode, run, length, value in (l.rstrip("\n").split("\t") for l in open(costs) if l.strip()):
    pairs.setdefault((figure, mode, side, run), {})[int(length)] = int(value or 0)
samples = {}
for (figure, mode, side, run), r in pairs.items():
    (n1, v1), (n2, v2) = sorted(r.items())
    samples.setdefault((figure, mode, side), []).append((v2 - v1) / (n2 - n1))
per, spread = {}, {}
for (figure, mode, side), xs in samples.items():
    per.setdefault(figure, {}).setdefault(mode, {})[side] = round(statistics.median(xs), 2)
    spread.setdefault(figure, {}).setdefault(mode, {})[side] = [round(min(xs), 2), round(max(xs), 2)]
print("per GET (SET for allocs_set), runs of %s and %d subtracted; instructions: the median of %s pairs [min-max]:"
      % (n, 2 * int(n), nruns))
for figure, modes in per.items():
    for mode, sides in modes.items():
        c, s = sides.get("cluster"), sides.get("single")
        sc, ss = spread[figure][mode]["cluster"], spread[figure][mode]["single"]
        print("  %-13s %-6s cluster %10.2f [%.0f-%.0f]  single %10.2f [%.0f-%.0f]  difference %+10.2f"
              % (figure, mode, c, sc[0], sc[1], s, ss[0], ss[1], c - s))
print(json.dumps({"commit": commit, "requests": int(n), "runs": int(nruns), "per_request": per, "spread": spread},
                 separators=(",", ":")))
PY
