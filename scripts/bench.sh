#!/usr/bin/env bash
# End-to-end benchmark: valkey-cpp against valkey-benchmark, same server, same
# run. Builds bench/e2e (Release, its own build dir), starts a throwaway
# valkey-server on a free loopback port (stopped by a trap), fills the
# keyspace, then for each workload runs valkey-benchmark and this client
# alternately, BENCH_ROUNDS times, and reports the median ops/s, p50 and p99
# latency and the ratio client/valkey-benchmark next to its target. Then
# heap allocations per request (GET, SET, INCR) and client user-space
# instructions per sequential GET (callgrind, two run lengths subtracted).
# The LAST line of stdout is one JSON object with every figure.
#
#   scripts/bench.sh                    everything
#   scripts/bench.sh --instructions-only   only the callgrind figure (scripts/bench-instructions.sh)
#   scripts/bench.sh --no-instructions     skip callgrind
#
# Environment (defaults in brackets):
#   BENCH_ROUNDS [3]            alternating rounds per workload (median reported)
#   BENCH_WORKLOADS [all]       comma-separated workload names to run (e.g. threads_4_get,sequential_get)
#   BENCH_SEQ_REQUESTS [50000]  sequential GET/SET, per run
#   BENCH_ASYNC_REQUESTS [500000], BENCH_PIPELINE_REQUESTS [500000], BENCH_THREADS_REQUESTS [100000]
#   BENCH_KEYSPACE [100000]     keys key:000000000000.. (valkey-benchmark -r), filled before measuring
#   BENCH_VALUE_SIZE [3]        valkey-benchmark -d
#   BENCH_MAX_SECONDS [40]      a single run (either side) is stopped past this
#   BENCH_INSTR_REQUESTS [20000]  callgrind: runs of N and 2N GETs
#   BENCH_BUILD_DIR [<repo>/build/bench-release], VALKEY_BUILD_JOBS [2]
#   VALKEY_TEST_SKIP_SETUP=1    do not run scripts/setup.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cache="${VALKEY_CPP_CACHE:-$HOME/.cache/valkey-cpp}"
build_dir="${BENCH_BUILD_DIR:-$repo/build/bench-release}"

rounds="${BENCH_ROUNDS:-3}"
seq_n="${BENCH_SEQ_REQUESTS:-50000}"
async_n="${BENCH_ASYNC_REQUESTS:-500000}"
pipe_n="${BENCH_PIPELINE_REQUESTS:-500000}"
threads_n="${BENCH_THREADS_REQUESTS:-100000}"
keyspace="${BENCH_KEYSPACE:-100000}"
value_size="${BENCH_VALUE_SIZE:-3}"
max_seconds="${BENCH_MAX_SECONDS:-40}"
instr_n="${BENCH_INSTR_REQUESTS:-20000}"

do_throughput=1
do_instructions=1
case "${1:-}" in
  "") ;;
  --instructions-only) do_throughput=0 ;;
  --no-instructions) do_instructions=0 ;;
  *) echo "usage: scripts/bench.sh [--instructions-only|--no-instructions]" >&2; exit 2 ;;
esac

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }
started=$SECONDS

# ------------------------------------------------------------------ setup
[ -n "${VALKEY_TEST_SKIP_SETUP:-}" ] || bash "$repo/scripts/setup.sh"
[ -f "$cache/env.sh" ] || die "$cache/env.sh is missing: run scripts/setup.sh"
# shellcheck disable=SC1091
source "$cache/env.sh"
[ -x "${VALKEY_SERVER:-}" ] || die "VALKEY_SERVER is not executable: run scripts/setup.sh"
[ -x "${VALKEY_BENCHMARK:-}" ] || die "VALKEY_BENCHMARK is not executable: run scripts/setup.sh"
if [ "$do_instructions" = 1 ] && ! command -v valgrind >/dev/null 2>&1; then
  log "valgrind not found: skipping the instruction count"
  do_instructions=0
fi

# ------------------------------------------------------------------ build
log "building e2e_bench (Release) in $build_dir"
mkdir -p "$build_dir"
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVALKEY_BUILD_TESTS=OFF \
    -DVALKEY_BUILD_SAMPLES=OFF -DVALKEY_BUILD_BENCH=ON >"$build_dir.configure.log" 2>&1 \
    || { cat "$build_dir.configure.log" >&2; die "cmake configure failed"; }
fi
cmake --build "$build_dir" -j"${VALKEY_BUILD_JOBS:-2}" --target e2e_bench >"$build_dir.build.log" 2>&1 \
  || { tail -40 "$build_dir.build.log" >&2; die "building e2e_bench failed (log: $build_dir.build.log)"; }
client="$build_dir/bench/e2e_bench"
[ -x "$client" ] || die "the build did not produce $client"
build_seconds=$((SECONDS - started))

# ----------------------------------------------------------------- server
server_pid=""
work_dir="$(mktemp -d "${TMPDIR:-/tmp}/valkey-cpp-bench.XXXXXX")"
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
  candidate=$(( 20000 + RANDOM % 10000 ))
  port_in_use "$candidate" && continue
  "$VALKEY_SERVER" --bind 127.0.0.1 --port "$candidate" --save '' --appendonly no \
    --dir "$work_dir" --logfile "$work_dir/server.log" --daemonize no &
  server_pid=$!
  for _ in $(seq 100); do
    kill -0 "$server_pid" 2>/dev/null || break  # died: port taken, try another
    if "$VALKEY_CLI" -h 127.0.0.1 -p "$candidate" ping 2>/dev/null | grep -q PONG; then port=$candidate; break; fi
    sleep 0.05
  done
  [ -n "$port" ] && break
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
done
[ -n "$port" ] || { cat "$work_dir/server.log" >&2 2>/dev/null || true; die "could not start valkey-server on a free loopback port"; }
log "valkey-server $("$VALKEY_SERVER" --version | grep -o 'v=[^ ]*') on 127.0.0.1:$port (pid $server_pid)"

common=(--port "$port" --keyspace "$keyspace" --value-size "$value_size" --max-seconds "$max_seconds")
json_field() { # json_field <json line> <name>: a number or string value
  printf '%s' "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p"
}

# ------------------------------------------------------------ throughput
results="$work_dir/results.tsv"   # workload side round ops p50 p99 allocs
: >"$results"

# run_benchmark <workload> <round> <valkey-benchmark args...>
run_benchmark() {
  local workload=$1 round=$2
  shift 2
  local out
  if ! out=$(timeout "$max_seconds" "$VALKEY_BENCHMARK" -h 127.0.0.1 -p "$port" -r "$keyspace" -d "$value_size" \
      --csv --precision 3 "$@" 2>/dev/null); then
    log "valkey-benchmark $* failed or ran past ${max_seconds}s"
    return 0
  fi
  # "GET","12345.67","avg","min","p50","p95","p99","max"
  printf '%s\n' "$out" | awk -F'","' -v w="$workload" -v r="$round" \
    'NR > 1 { gsub(/"/, "", $8); printf "%s\tvalkey-benchmark\t%s\t%s\t%s\t%s\t-\n", w, r, $2, $5, $7 }' >>"$results"
}

# run_client <workload> <round> <e2e_bench args...>
run_client() {
  local workload=$1 round=$2
  shift 2
  local out
  if ! out=$(timeout $((max_seconds + 20)) "$client" "$@" "${common[@]}" | tail -1); then
    log "e2e_bench $* failed"
    return 0
  fi
  [ "$(json_field "$out" timed_out)" = "false" ] || log "e2e_bench $1 stopped at the ${max_seconds}s bound"
  printf '%s\tvalkey-cpp\t%s\t%s\t%s\t%s\t%s\n' "$workload" "$round" "$(json_field "$out" ops)" \
    "$(json_field "$out" p50_ms)" "$(json_field "$out" p99_ms)" "$(json_field "$out" allocs_per_request)" >>"$results"
}

# name | target ratio | valkey-benchmark args | e2e_bench args
workloads=(
  "sequential_get|0.95|-t get -c 1 -n $seq_n|sequential --command get --requests $seq_n"
  "sequential_set|0.95|-t set -c 1 -n $seq_n|sequential --command set --requests $seq_n"
  "sequential_get_async1|-|-t get -c 1 -n $seq_n|async --command get --coroutines 1 --requests $seq_n"
  "async_256_get|0.8|-t get -c 50 -P 16 -n $async_n|async --command get --coroutines 256 --requests $async_n"
  "pipeline_16_get|0.9|-t get -c 1 -P 16 -n $pipe_n|pipeline --command get --depth 16 --requests $pipe_n"
  "pipeline_16_get_sync|0.9|-t get -c 1 -P 16 -n $pipe_n|pipeline-sync --command get --depth 16 --requests $pipe_n"
  "threads_4_get|1.0|-t get -c 4 -n $threads_n|threads --command get --threads 4 --requests $threads_n"
)

allocs_json="null"
if [ "$do_throughput" = 1 ]; then
  log "filling $keyspace keys (value ${value_size} bytes)"
  "$client" populate "${common[@]}" >/dev/null || die "populating the keyspace failed"
  for round in $(seq "$rounds"); do
    for w in "${workloads[@]}"; do
      IFS='|' read -r name _ vb_args client_args <<<"$w"
      if [ -n "${BENCH_WORKLOADS:-}" ] && [[ ",$BENCH_WORKLOADS," != *",$name,"* ]]; then continue; fi
      log "round $round/$rounds: $name"
      # shellcheck disable=SC2086
      if (( round % 2 )); then
        run_benchmark "$name" "$round" $vb_args
        run_client "$name" "$round" $client_args
      else  # alternate who goes first
        run_client "$name" "$round" $client_args
        run_benchmark "$name" "$round" $vb_args
      fi
    done
  done

  log "heap allocations per request (steady state)"
  allocs_out=$("$client" allocs "${common[@]}" --requests 20000 --warmup 2000) || die "e2e_bench allocs failed"
  allocs_json="{"
  for cmd in get set incr; do
    line=$(printf '%s\n' "$allocs_out" | grep "\"allocs_$cmd\"")
    allocs_json+="\"$cmd\":$(json_field "$line" allocs_per_request),"
  done
  allocs_json="${allocs_json%,}}"
fi

# ----------------------------------------------------------- instructions
instr_json="null"
if [ "$do_instructions" = 1 ]; then
  declare -A ir
  for n in "$instr_n" $((2 * instr_n)); do
    log "callgrind: $n sequential GETs"
    timeout 600 valgrind --tool=callgrind --callgrind-out-file="$work_dir/cg.$n" \
      "$client" instructions --port "$port" --keyspace "$keyspace" --requests "$n" >/dev/null 2>"$work_dir/cg.$n.log" \
      || { tail -20 "$work_dir/cg.$n.log" >&2; die "callgrind run failed"; }
    ir[$n]=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$work_dir/cg.$n" | head -1)
    [ -n "${ir[$n]}" ] || ir[$n]=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$work_dir/cg.$n" | head -1)
  done
  per_get=$(( (ir[$((2 * instr_n))] - ir[$instr_n]) / instr_n ))
  instr_json="{\"per_get\":$per_get,\"target\":4000,\"met\":$([ "$per_get" -le 4000 ] && echo true || echo false),\"runs\":{\"$instr_n\":${ir[$instr_n]},\"$((2 * instr_n))\":${ir[$((2 * instr_n))]}}}"
fi

# ----------------------------------------------------------------- report
machine="$(nproc) cpu, $(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
targets=""
for w in "${workloads[@]}"; do
  IFS='|' read -r name target _ _ <<<"$w"
  targets+="$name $target"$'\n'
done

if [ "$do_throughput" = 1 ]; then
  printf '\n%-22s %12s %9s %9s   %12s %9s %9s   %6s %6s\n' workload "cpp ops/s" "p50 ms" "p99 ms" "vb ops/s" "p50 ms" "p99 ms" ratio target
fi
printf '%s' "$targets" | awk -v results="$results" -v show="$do_throughput" -v json="$work_dir/workloads.json" '
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    if (n == 0) return -1
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  BEGIN {
    while ((getline line < results) > 0) {
      split(line, f, "\t"); k = f[1] SUBSEP f[2]
      ops[k] = ops[k] " " f[4]; p50[k] = p50[k] " " f[5]; p99[k] = p99[k] " " f[6]
      if (f[7] != "-") al[k] = al[k] " " f[7]
      runs[k]++
    }
  }
  {
    name = $1; target = $2; c = name SUBSEP "valkey-cpp"; b = name SUBSEP "valkey-benchmark"
    if (!((c in runs) || (b in runs))) next  # not selected by BENCH_WORKLOADS
    co = median(ops[c]); bo = median(ops[b])
    ratio = (co > 0 && bo > 0) ? co / bo : -1
    # a target of "-": shown for comparison only
    met = (target == "-") ? "null" : (ratio >= target + 0 ? "true" : "false")
    verdict = (target == "-") ? "(info)" : (met == "true" ? "ok" : "BELOW")
    if (show == 1)
      printf "%-22s %12.0f %9.3f %9.3f   %12.0f %9.3f %9.3f   %6.2f %6s %s\n", name, co, median(p50[c]), median(p99[c]),
             bo, median(p50[b]), median(p99[b]), ratio, target, verdict
    out = out sprintf("%s\"%s\":{\"client\":{\"ops\":%.1f,\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"allocs_per_request\":%.4f,\"runs\":%d},\"valkey_benchmark\":{\"ops\":%.1f,\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"runs\":%d},\"ratio\":%.4f,\"target\":%s,\"met\":%s}",
                      (out == "" ? "" : ","), name, co, median(p50[c]), median(p99[c]), median(al[c]), runs[c],
                      bo, median(p50[b]), median(p99[b]), runs[b], ratio, (target == "-" ? "null" : target), met)
  }
  END { print "{" out "}" > json }
'
workloads_json=$(cat "$work_dir/workloads.json")
[ "$do_throughput" = 1 ] || workloads_json="null"

if [ "$do_throughput" = 1 ]; then
  printf '\nheap allocations per request (steady state): %s (target 0)\n' "$allocs_json"
fi
if [ "$do_instructions" = 1 ]; then
  printf 'client user-space instructions per sequential GET: %s (target <= 4000; callgrind, runs of %s and %s)\n' \
    "$per_get" "$instr_n" $((2 * instr_n))
fi
log "done in $((SECONDS - started))s (build ${build_seconds}s)"

printf '{"machine":"%s","server":"%s","rounds":%s,"keyspace":%s,"value_size":%s,"workloads":%s,"allocs_per_request":%s,"instructions":%s,"seconds":%s}\n' \
  "$machine" "$("$VALKEY_SERVER" --version | grep -o 'v=[^ ]*' | cut -c3-)" "$rounds" "$keyspace" "$value_size" \
  "$workloads_json" "$allocs_json" "$instr_json" "$((SECONDS - started))"
