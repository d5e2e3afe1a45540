#!/usr/bin/env bash
# Cluster benchmark: valkey-cpp's cluster clients against
# `valkey-benchmark --cluster`, same cluster, same run. Builds valkey-cpp-perf
# (Release, the bench build dir), starts a throwaway 3 primary + 3 replica
# cluster on free loopback ports (stopped by a trap), fills the keyspace for
# both sides, then for each workload runs valkey-benchmark and
# valkey-cpp-perf alternately, BENCH_ROUNDS times, and reports the median
# ops/s, p50 and p99 and the ratio valkey-cpp/valkey-benchmark next to the
# target of issue 9's table, and per side the CPU time (user + system) the
# client and the six nodes spent per command the nodes executed: the two
# sides share the machine's cores with the nodes, and a node's cost per
# command differs between them. Then, with valgrind:
#   - instructions per GET (callgrind, runs of N and 2N subtracted), through
#     the cluster clients and through the single-node clients against the
#     key's owner, sync and async, in the same run;
#   - heap allocations per GET and per SET (memcheck's count, runs of N and
#     2N subtracted), the same four ways.
# Between the two, the topology queries of steady load: the CLUSTER SHARDS
# and CLUSTER SLOTS calls all six nodes served while one AsyncClusterClient
# ran GETs for BENCH_STEADY_SECONDS, counted from 5 s after it started (its
# bootstrap left out).
# The LAST line of stdout is one JSON object: "workloads" holds one key per
# workload with its "ratio".
#
#   scripts/bench-cluster.sh            (also: scripts/bench.sh --cluster)
#
# Environment (defaults in brackets):
#   BENCH_ROUNDS [3]              alternating rounds per workload (median reported)
#   BENCH_WORKLOADS [all]         comma-separated workload names to run
#   BENCH_SEQ_REQUESTS [30000]    sequential GET, per run
#   BENCH_RUN_SECONDS [3]         every other workload: seconds per run, both sides
#                                 (valkey-benchmark --duration, valkey-cpp-perf --seconds).
#                                 valkey-benchmark --cluster runs its clients on threads,
#                                 and such a run ends only at its next progress tick
#                                 (every 250 ms): with -n, a run of a quarter second
#                                 could be timed at half a second. With --duration the
#                                 requests are counted up to that tick.
#   BENCH_KEYSPACE [100000]       random keys per side, filled before measuring
#   BENCH_SLOT_RUN [1]            valkey-cpp-perf --slot-run in the workloads valkey-benchmark runs
#                                 with -P 16: keys in a row of one requester that share a slot.
#                                 1: every key its own random slot (issue 9's workloads); 16: the
#                                 access pattern of valkey-benchmark, whose pipelines' 16 keys
#                                 share one slot
#   BENCH_MAX_SECONDS [40]        a single run (either side) is stopped past this
#   BENCH_PIN [0]                 1: the six nodes run on the last CPU and both sides' clients
#                                 on the others (taskset), so that no client shares a core
#                                 with a node (needs 2 CPUs or more)
#   BENCH_INSTR_REQUESTS [4000]   valgrind: runs of N and 2N requests (0: no valgrind figures)
#   BENCH_STEADY_SECONDS [60]     the steady-load window for topology queries (0: not counted)
#   BENCH_BUILD_DIR [<repo>/build/bench-release], VALKEY_BUILD_JOBS [2]
#   VALKEY_TEST_SKIP_SETUP=1      do not run scripts/setup.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cache="${VALKEY_CPP_CACHE:-$HOME/.cache/valkey-cpp}"
build_dir="${BENCH_BUILD_DIR:-$repo/build/bench-release}"

rounds="${BENCH_ROUNDS:-3}"
seq_n="${BENCH_SEQ_REQUESTS:-30000}"
run_s="${BENCH_RUN_SECONDS:-3}"
keyspace="${BENCH_KEYSPACE:-100000}"
max_seconds="${BENCH_MAX_SECONDS:-40}"
instr_n="${BENCH_INSTR_REQUESTS:-4000}"
steady_s="${BENCH_STEADY_SECONDS:-60}"

log() { printf '[bench-cluster] %s\n' "$*" >&2; }
die() { printf '[bench-cluster] ERROR: %s\n' "$*" >&2; exit 1; }
started=$SECONDS
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

# shellcheck source=lib/perf-bench.sh
source "$here/lib/perf-bench.sh"

# BENCH_PIN=1: nodes on the last CPU, clients on the rest.
node_pin=() client_pin=()
if [ "${BENCH_PIN:-0}" = 1 ]; then
  cpus=$(nproc)
  if [ "$cpus" -lt 2 ] || ! command -v taskset >/dev/null; then die "BENCH_PIN=1 needs taskset and 2 CPUs or more"; fi
  node_pin=(taskset -c $((cpus - 1)))
  client_pin=(taskset -c "0-$((cpus - 2))")
fi

# ------------------------------------------------------------------ setup
perf_bench_env
for tool in VALKEY_SERVER VALKEY_CLI VALKEY_BENCHMARK; do
  [ -x "${!tool:-}" ] || die "$tool is not executable: run scripts/setup.sh"
done

# ------------------------------------------------------------------ build
perf_bench_build

# ---------------------------------------------------------------- cluster
perf_bench_work_dir bench-cluster

# Six consecutive ports whose cluster bus ports (+10000) are free too. A
# port can be taken between the check and the server's bind (the bus ports
# lie in the kernel's range for outgoing connections), so a node that does
# not answer is reported with its log and the six start again on new ports,
# up to three times.
pick_ports() {
  ports=()
  local base ok i
  for _ in $(seq 20); do
    base=$(( 20000 + RANDOM % 9990 ))
    ok=1
    for i in 0 1 2 3 4 5; do
      if port_in_use $((base + i)) || port_in_use $((base + i + 10000)); then ok=0; break; fi
    done
    [ "$ok" = 1 ] && { ports=("$base" $((base + 1)) $((base + 2)) $((base + 3)) $((base + 4)) $((base + 5))); return 0; }
  done
  return 1
}
start_nodes() {  # 0 when all six answer PING
  local p first=${#pids[@]}
  for p in "${ports[@]}"; do
    "${node_pin[@]}" "$VALKEY_SERVER" --bind 127.0.0.1 --port "$p" --cluster-enabled yes --cluster-config-file "nodes-$p.conf" \
      --cluster-node-timeout 5000 --save '' --appendonly no --dir "$work_dir" --logfile "$work_dir/node-$p.log" \
      --daemonize no &
    pids+=($!)
  done
  for p in "${ports[@]}"; do
    for _ in $(seq 100); do cli "$p" ping 2>/dev/null | grep -q PONG && break; sleep 0.05; done
    cli "$p" ping 2>/dev/null | grep -q PONG && continue
    log "node on port $p did not start; the end of its log:"
    tail -n 5 "$work_dir/node-$p.log" >&2 2>/dev/null || true
    kill "${pids[@]:$first}" 2>/dev/null || true
    wait "${pids[@]:$first}" 2>/dev/null || true
    pids=("${pids[@]:0:$first}")
    rm -f "$work_dir"/nodes-*.conf
    return 1
  done
}
started=0
for attempt in 1 2 3; do
  pick_ports || die "no six free loopback ports found"
  start_nodes && { started=1; break; }
  [ "$attempt" = 3 ] || log "starting the cluster again on other ports (attempt $((attempt + 1)) of 3)"
done
[ "$started" = 1 ] || die "the cluster's nodes did not start in 3 attempts"
nodes=()
for p in "${ports[@]}"; do nodes+=("127.0.0.1:$p"); done
"$VALKEY_CLI" --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$work_dir/create.log" 2>&1 \
  || { cat "$work_dir/create.log" >&2; die "valkey-cli --cluster create failed"; }
# Ready: every node reports the cluster ok and every replica's link is up.
ready=0
for _ in $(seq 300); do
  ready=1
  for p in "${ports[@]}"; do
    info="$(cli "$p" cluster info 2>/dev/null)"
    case "$info" in *cluster_state:ok*) ;; *) ready=0 ;; esac
    repl="$(cli "$p" info replication 2>/dev/null)"
    case "$repl" in *role:slave*) case "$repl" in *master_link_status:up*) ;; *) ready=0 ;; esac ;; esac
  done
  [ "$ready" = 1 ] && break
  sleep 0.1
done
[ "$ready" = 1 ] || die "the cluster did not become ready within 30 s"
seeds="valkey://127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}"
log "valkey-server $("$VALKEY_SERVER" --version | grep -o 'v=[^ ]*'), 3 primaries + 3 replicas on 127.0.0.1:${ports[0]}-${ports[5]}"

# The owner of `key:__rand_int__`, the key of both sides without -r: the
# primary that does not answer MOVED.
owner=""
for p in "${ports[@]}"; do
  case "$(cli "$p" get key:__rand_int__ 2>&1)" in *MOVED*|*READONLY*) ;; *)
    case "$(cli "$p" info replication)" in *role:master*) owner=$p; break ;; esac ;;
  esac
done
[ -n "$owner" ] || die "no primary owns key:__rand_int__"

# Both sides' keyspaces: valkey-benchmark names keys key:{tag}:NNN in
# cluster mode, valkey-cpp-perf key:NNN.
log "filling $keyspace keys per side"
timeout 120 "$VALKEY_BENCHMARK" -h 127.0.0.1 -p "${ports[0]}" --cluster -t set -r "$keyspace" -n $((keyspace * 3)) \
  -c 48 -P 16 -q >/dev/null 2>&1 || die "filling with valkey-benchmark failed"
timeout 120 "$perf" --cluster -u "$seeds" -t set -r "$keyspace" -n $((keyspace * 3)) -c 256 --json >/dev/null \
  || die "filling with valkey-cpp-perf failed"
for p in "${ports[@]}"; do  # replicas caught up, for the replica reads
  cli "$p" wait 1 5000 >/dev/null 2>&1 || true
done

# ------------------------------------------------------------ throughput
results="$work_dir/results.tsv"  # workload side round ops p50_ms p99_ms client_cpu_s node_cpu_s commands hits misses
: >"$results"

# What a run cost in CPU time (user + system), so that a ratio can be read
# against the work behind it: the two sides compete for the same cores
# with the six nodes, and a node may spend more or less per command for one
# side than for the other. node_ticks: the six nodes' CPU time in clock
# ticks. node_commands: the commands a run made them execute, GETs wherever
# they ran and SETs on primaries only (a replica's SETs are the replication
# stream), then the keyspace hits and misses of its GETs. The client's own
# CPU time is taken by bash's `time`.
clk_tck=$(getconf CLK_TCK)
node_ticks() {
  local p t=0
  for p in "${pids[@]}"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done
  echo "$t"
}
node_commands() {
  local p total=0 hits=0 misses=0 n h m
  for p in "${ports[@]}"; do
    read -r n h m < <(cli "$p" info commandstats replication stats 2>/dev/null | tr -d '\r' | awk -F'[:=,]' '
      /^role:/ { primary = ($2 == "master") }
      /^cmdstat_get:/ { g = $3 } /^cmdstat_set:/ { s = $3 }
      /^keyspace_hits:/ { h = $2 } /^keyspace_misses:/ { m = $2 }
      END { print g + (primary ? s : 0), h + 0, m + 0 }')
    total=$((total + n)) hits=$((hits + h)) misses=$((misses + m))
  done
  echo "$total $hits $misses"
}
# run_costed <file for "client_cpu_s node_cpu_s commands hits misses">
# <command...>: runs the command with its stdout as this function's.
run_costed() {
  local costs_file=$1 t0 c0 h0 m0 c1 h1 m1 rc=0 cpu user sys
  shift
  t0=$(node_ticks)
  read -r c0 h0 m0 < <(node_commands)
  cpu=$( { TIMEFORMAT='%U %S'; time "$@" >"$costs_file.out" 2>/dev/null; } 2>&1 ) || rc=$?
  read -r user sys <<<"$cpu"
  read -r c1 h1 m1 < <(node_commands)
  awk -v u="${user:-0}" -v s="${sys:-0}" -v n=$(( $(node_ticks) - t0 )) -v hz="$clk_tck" -v c=$((c1 - c0)) \
    -v h=$((h1 - h0)) -v m=$((m1 - m0)) 'BEGIN { printf "%.2f\t%.2f\t%d\t%d\t%d\n", u + s, n / hz, c, h, m }' >"$costs_file"
  cat "$costs_file.out"
  return "$rc"
}

# run_benchmark <workload> <round> <valkey-benchmark args...>
run_benchmark() {
  local workload=$1 round=$2 out
  shift 2
  if ! out=$(run_costed "$work_dir/run.cost" timeout "$max_seconds" "${client_pin[@]}" "$VALKEY_BENCHMARK" -h 127.0.0.1 --csv --precision 3 "$@"); then
    log "valkey-benchmark $* failed or ran past ${max_seconds}s"
    return 0
  fi
  # "GET","12345.67","avg","min","p50","p95","p99","max", after the header
  # line and, in cluster mode, a description of the nodes
  printf '%s\n' "$out" | awk -F'","' -v w="$workload" -v r="$round" -v cost="$(cat "$work_dir/run.cost")" \
    '/^"/ && !/^"test"/ { gsub(/"/, "", $8); printf "%s\tvalkey-benchmark\t%s\t%s\t%s\t%s\t%s\n", w, r, $2, $5, $7, cost }' >>"$results"
}

# run_client <workload> <round> <valkey-cpp-perf args...>
run_client() {
  local workload=$1 round=$2 out
  shift 2
  if ! out=$(run_costed "$work_dir/run.cost" timeout "$max_seconds" "${client_pin[@]}" "$perf" --json "$@" | tail -1); then
    log "valkey-cpp-perf $* failed or ran past ${max_seconds}s"
    return 0
  fi
  printf '%s' "$out" | "$python" -c '
import json, sys
j = json.load(sys.stdin)
if j.get("errors"): print("[bench-cluster] valkey-cpp-perf errors: %s" % j["errors"], file=sys.stderr)
print("%s\tvalkey-cpp\t%s\t%s\t%s\t%s\t%s" % (sys.argv[1], sys.argv[2], j["ops_per_sec"], j["p50_us"] / 1000, j["p99_us"] / 1000, sys.argv[3]))
' "$workload" "$round" "$(cat "$work_dir/run.cost")" >>"$results"
}

r=(-r "$keyspace")
# valkey-benchmark --cluster's GETs read keys that do not exist: each of its
# batches draws a random slot of its node and names its keys key:{tag}:N
# with that slot's tag, so the fill above holds almost none of the keys it
# reads (the hit rate is printed with the CPU times). A miss costs a node
# less than a hit, so valkey-cpp-perf's GETs in those workloads read keys
# nothing writes (--key-prefix) and miss too. The sequential workload reads
# key:__rand_int__ on both sides.
miss=(--key-prefix absent:)
# valkey-benchmark --cluster gives the 16 keys of each pipeline one random
# slot of the client's node: a node looks up 16 keys of one slot in a row,
# with that slot's entries in its cache. valkey-cpp-perf's keys each draw a
# slot, as issue 9 defines its workloads; BENCH_SLOT_RUN=16 gives them the
# same runs (docs/performance.md has both).
runs=(--slot-run "${BENCH_SLOT_RUN:-1}")
vb_t=(--duration "$run_s")
cpp_t=(--seconds "$run_s")
# name | target | valkey-benchmark args | valkey-cpp-perf args (issue 9's table)
workloads=(
  "async_256_get|0.8|-p ${ports[0]} --cluster -t get -c 48 -P 16 ${vb_t[*]} ${r[*]}|--cluster -u $seeds -t get -c 256 ${cpp_t[*]} ${r[*]} ${miss[*]} ${runs[*]}"
  "async_256_set|0.8|-p ${ports[0]} --cluster -t set -c 48 -P 16 ${vb_t[*]} ${r[*]}|--cluster -u $seeds -t set -c 256 ${cpp_t[*]} ${r[*]} ${runs[*]}"
  "threads_4_get|0.9|-p ${ports[0]} --cluster -t get -c 4 ${vb_t[*]} ${r[*]}|--cluster -u $seeds --sync -c 4 -t get ${cpp_t[*]} ${r[*]} ${miss[*]}"
  "batch_48_get|0.85|-p ${ports[0]} --cluster -t get -c 3 -P 16 ${vb_t[*]} ${r[*]}|--cluster -u $seeds -t get -c 1 -P 48 ${cpp_t[*]} ${r[*]} ${miss[*]} ${runs[*]}"
  "sequential_get|0.95|-p $owner -t get -c 1 -n $seq_n|--cluster -u $seeds --sync -c 1 -t get -n $seq_n"
  "prefer_replica_256_get|0.8|-p ${ports[0]} --cluster --rfr yes -t get -c 48 -P 16 ${vb_t[*]} ${r[*]}|--cluster -u $seeds?read_from=prefer_replica -t get -c 256 ${cpp_t[*]} ${r[*]} ${miss[*]} ${runs[*]}"
)
selected=()
for w in "${workloads[@]}"; do
  name="${w%%|*}"
  if [ -z "${BENCH_WORKLOADS:-}" ] || [[ ",$BENCH_WORKLOADS," == *",$name,"* ]]; then selected+=("$w"); fi
done

for round in $(seq "$rounds"); do
  for w in "${selected[@]}"; do
    IFS='|' read -r name target vb_args cpp_args <<<"$w"
    log "round $round/$rounds: $name"
    # shellcheck disable=SC2086  # the argument strings are word lists
    if [ $((round % 2)) = 1 ]; then
      run_benchmark "$name" "$round" $vb_args
      run_client "$name" "$round" $cpp_args
    else
      run_client "$name" "$round" $cpp_args
      run_benchmark "$name" "$round" $vb_args
    fi
  done
done

# ------------------------------------------- topology queries, steady load
steady="$work_dir/steady.tsv"  # queries seconds ops_per_sec errors
: >"$steady"
topology_queries() {  # CLUSTER SHARDS + CLUSTER SLOTS calls served by all six nodes
  local total=0 p n
  for p in "${ports[@]}"; do
    n=$(cli "$p" info commandstats 2>/dev/null | tr -d '\r' |
      awk -F'[:=,]' '/^cmdstat_cluster\|(shards|slots):/ { s += $3 } END { print s + 0 }')
    total=$((total + n))
  done
  echo "$total"
}
all_online() {  # every node sees all six nodes online (a replica still syncing is "loading")
  local p
  for p in "${ports[@]}"; do
    [ "$(cli "$p" cluster shards 2>/dev/null | grep -c '^online$')" = 6 ] || return 1
  done
}
if [ "$steady_s" -gt 0 ]; then
  # A node's health changing is a topology change the client refreshes for:
  # the window starts once the cluster has settled.
  settle_start=$SECONDS settled=0
  for _ in $(seq 60); do
    if all_online; then settled=1; break; fi
    sleep 0.5
  done
  if [ "$settled" = 1 ]; then log "every node reports all six online (waited $((SECONDS - settle_start))s)"
  else log "not every node reports all six online; counting anyway"; fi
  log "steady load: 48 coroutines of GETs for ${steady_s}s, counting topology queries"
  "$perf" --cluster -u "$seeds" -t get -c 48 -r "$keyspace" --seconds $((steady_s + 10)) --json \
    >"$work_dir/steady.json" 2>/dev/null &
  steady_pid=$!
  sleep 5
  q0=$(topology_queries)
  sleep "$steady_s"
  q1=$(topology_queries)
  wait "$steady_pid" || log "valkey-cpp-perf failed during the steady load"
  # ops/s, and the client's failures by kind (a dropped connection is a trigger)
  read -r ops errors < <("$python" -c '
import json, sys
j = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
print(j["ops_per_sec"], json.dumps(j.get("errors") or {}, separators=(",", ":")))' "$work_dir/steady.json" 2>/dev/null ||
    echo "0 {}")
  [ "$errors" = "{}" ] || log "valkey-cpp-perf errors during the steady load: $errors"
  printf '%s\t%s\t%s\t%s\n' $((q1 - q0)) "$steady_s" "$ops" "$errors" >"$steady"
fi

# ------------------------------------------------- instructions, allocations
costs="$work_dir/costs.tsv"  # figure mode run_length value
: >"$costs"
if [ "$instr_n" -gt 0 ] && command -v valgrind >/dev/null 2>&1; then
  # figure: mode | perf args (the key's owner for the single-node clients)
  modes=(
    "cluster_async|--cluster -u $seeds -c 1"
    "single_async|-u valkey://127.0.0.1:$owner -c 1"
    "cluster_sync|--cluster -u $seeds --sync -c 1"
    "single_sync|-u valkey://127.0.0.1:$owner --sync -c 1"
  )
  for m in "${modes[@]}"; do
    IFS='|' read -r mode args <<<"$m"
    for n in "$instr_n" $((instr_n * 2)); do
      log "valgrind: $mode, $n GETs and SETs"
      # shellcheck disable=SC2086
      valgrind --tool=callgrind --callgrind-out-file="$work_dir/cg.out" "$perf" $args -t get -n "$n" \
        >/dev/null 2>"$work_dir/cg.log" || die "callgrind run failed: $(tail -5 "$work_dir/cg.log")"
      instr=$(sed -n 's/^summary: *//p' "$work_dir/cg.out")
      printf 'instructions\t%s\t%s\t%s\n' "$mode" "$n" "$instr" >>"$costs"
      for t in get set; do
        # shellcheck disable=SC2086
        valgrind --tool=memcheck --leak-check=no "$perf" $args -t "$t" -n "$n" >/dev/null 2>"$work_dir/mc.log" \
          || die "memcheck run failed: $(tail -5 "$work_dir/mc.log")"
        allocs=$(sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' "$work_dir/mc.log" | tr -d ,)
        printf 'allocs_%s\t%s\t%s\t%s\n' "$t" "$mode" "$n" "$allocs" >>"$costs"
      done
    done
  done
fi

# ---------------------------------------------------------------- report
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
"$python" - "$results" "$costs" "$commit" \
  "$(nproc) cpu, load before $load_before, after $load_after${node_pin:+, nodes on CPU ${node_pin[2]}, clients on ${client_pin[2]}}" "$rounds" "$keyspace" "$instr_n" \
  "$((SECONDS - started))" "$steady" "${selected[@]}" <<'PY'
import json, statistics, sys
results, costs, commit, machine, rounds, keyspace, instr_n, seconds, steady = sys.argv[1:10]
specs = [w.split("|") for w in sys.argv[10:]]
rows = [r for r in (l.rstrip("\n").split("\t") for l in open(results) if l.strip()) if len(r) == 11 and all(r)]
def med(xs): return statistics.median(xs) if xs else 0.0
def spread(xs): return [min(xs), max(xs)] if xs else []
def per_command(v, column):  # microseconds of CPU per command the nodes executed, per run
    return [float(r[column]) * 1e6 / int(r[8]) for r in v if int(r[8]) > 0]
out = {}
cpu_lines = []
print("\n%-24s %11s %8s %8s   %11s %8s %8s   %6s %6s  %s" % ("workload", "cpp ops/s", "p50 ms", "p99 ms",
      "vb ops/s", "p50 ms", "p99 ms", "ratio", "target", "spread (cpp / vb ops/s)"))
for name, target, vb_args, cpp_args in specs:
    side = {s: [r for r in rows if r[0] == name and r[1] == s] for s in ("valkey-cpp", "valkey-benchmark")}
    fig = {s: {"ops": med([float(r[3]) for r in v]), "p50_ms": med([float(r[4]) for r in v]),
               "p99_ms": med([float(r[5]) for r in v]), "runs": len(v), "ops_spread": spread([float(r[3]) for r in v])}
           for s, v in side.items()}
    for s, v in side.items():
        hits, misses = sum(int(r[9]) for r in v), sum(int(r[10]) for r in v)
        fig[s]["get_hit_rate"] = round(hits / (hits + misses), 4) if hits + misses else None
        fig[s]["client_cpu_us_per_command"] = round(med(per_command(v, 6)), 3)
        fig[s]["node_cpu_us_per_command"] = round(med(per_command(v, 7)), 3)
        fig[s]["node_cpu_us_per_command_spread"] = [round(x, 3) for x in spread(per_command(v, 7))]
    c, b = fig["valkey-cpp"], fig["valkey-benchmark"]
    hit = lambda f: "-" if f["get_hit_rate"] is None else "%.0f%%" % (100 * f["get_hit_rate"])
    cpu_lines.append("%-24s %9.2f %9.2f %6s   %9.2f %9.2f %6s   %s / %s" % (name, c["client_cpu_us_per_command"],
        c["node_cpu_us_per_command"], hit(c), b["client_cpu_us_per_command"], b["node_cpu_us_per_command"], hit(b),
        "-".join("%.2f" % x for x in c["node_cpu_us_per_command_spread"]),
        "-".join("%.2f" % x for x in b["node_cpu_us_per_command_spread"])))
    ratio = c["ops"] / b["ops"] if c["ops"] > 0 and b["ops"] > 0 else -1
    print("%-24s %11.0f %8.3f %8.3f   %11.0f %8.3f %8.3f   %6.2f %6s  %s / %s%s" % (name, c["ops"], c["p50_ms"],
          c["p99_ms"], b["ops"], b["p50_ms"], b["p99_ms"], ratio, target,
          "-".join("%.0f" % x for x in c["ops_spread"]), "-".join("%.0f" % x for x in b["ops_spread"]),
          "" if ratio >= float(target) else "  (below target)"))
    out[name] = {"client": dict(c, args=cpp_args), "valkey_benchmark": dict(b, args=vb_args),
                 "ratio": round(ratio, 4), "target": float(target), "met": ratio >= float(target)}
print("\nCPU time per command the nodes executed, in microseconds (user + system; median of the rounds),")
print("and the share of GETs that found their key:")
print("%-24s %9s %9s %6s   %9s %9s %6s   %s" % ("workload", "cpp", "its nodes", "hits", "vb", "its nodes", "hits",
      "spread of the nodes' (cpp / vb)"))
for line in cpu_lines: print(line)
per = {}
for figure, mode, n, value in (l.rstrip("\n").split("\t") for l in open(costs) if l.strip()):
    per.setdefault(figure, {}).setdefault(mode, {})[int(n)] = int(value or 0)
per_request = {}
for figure, modes in per.items():
    per_request[figure] = {}
    for mode, runs in modes.items():
        if len(runs) == 2:
            (n1, v1), (n2, v2) = sorted(runs.items())
            per_request[figure][mode] = round((v2 - v1) / (n2 - n1), 2)
if per_request:
    print("\nper request (valgrind, runs of %s and %d subtracted):" % (instr_n, 2 * int(instr_n)))
    for figure, modes in per_request.items():
        print("  %-14s %s" % (figure, ", ".join("%s %.2f" % kv for kv in sorted(modes.items()))))
    i = per_request.get("instructions", {})
    for kind in ("async", "sync"):
        if "cluster_" + kind in i and "single_" + kind in i:
            print("  routed GET costs %+.0f instructions over the single-node %s client (target <= +400)"
                  % (i["cluster_" + kind] - i["single_" + kind], kind))
topology = None
for line in open(steady):
    queries, window, ops, errors = line.rstrip("\n").split("\t")
    topology = {"queries": int(queries), "seconds": int(window), "ops_per_sec": float(ops),
                "errors": json.loads(errors),
                "per_60s": round(int(queries) * 60 / int(window), 2), "target_per_60s": 3}
    topology["met"] = topology["per_60s"] <= 3
    print("\ntopology queries in %ss of steady load (%.0f GETs/s): %d, %.2f per 60 s (target <= 3)"
          % (window, float(ops), int(queries), topology["per_60s"]))
print(json.dumps({"commit": commit, "machine": machine, "rounds": int(rounds), "keyspace": int(keyspace),
                  "workloads": out, "per_request": per_request, "topology_queries": topology,
                  "seconds": int(seconds)}, separators=(",", ":")))
PY
