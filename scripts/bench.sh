#!/usr/bin/env bash
# End-to-end benchmark: valkey-cpp against valkey-benchmark, same server, same
# run. Builds bench/e2e (Release, its own build dir), starts a throwaway
# valkey-server on a free loopback port (stopped by a trap), fills the
# keyspace, then for each workload runs valkey-benchmark and this client
# alternately, BENCH_ROUNDS times, and reports the median ops/s, p50 and p99
# latency and the ratio client/valkey-benchmark next to its target. The GET
# workloads run a second time on values of BENCH_LARGE_VALUE_SIZE bytes
# (names ending in _d<size>). Then:
#   - a paced run: one sync GET every 1 ms from one thread (the path through
#     the Client's idle thread after a pause), p50/p99 next to the
#     back-to-back sequential p50;
#   - syscalls per request (strace -c -f; runs of 1 and N requests
#     subtracted, so start-up cancels out);
#   - heap allocations per request (GET, SET, INCR; GET and SET again on
#     large values, where the returned string is one allocation);
#   - client user-space instructions per sequential GET, and per GET of 256
#     coroutines on one AsyncClient (callgrind, two run lengths subtracted).
# The LAST line of stdout is one JSON object with every figure: "workloads"
# holds one key per workload with its "ratio" to valkey-benchmark.
#
#   scripts/bench.sh                    everything
#   scripts/bench.sh --instructions-only   only the callgrind figure (scripts/bench-instructions.sh)
#   scripts/bench.sh --no-instructions     skip callgrind
#   scripts/bench.sh --cluster             the cluster workloads instead (scripts/bench-cluster.sh)
#
# Environment (defaults in brackets):
#   BENCH_ROUNDS [3]            alternating rounds per workload (median reported)
#   BENCH_WORKLOADS [all]       comma-separated workload names to run (e.g. threads_4_get,sequential_get_d100)
#   BENCH_SEQ_REQUESTS [50000]  sequential GET/SET, per run
#   BENCH_ASYNC_REQUESTS [500000], BENCH_PIPELINE_REQUESTS [500000], BENCH_THREADS_REQUESTS [100000]
#   BENCH_KEYSPACE [100000]     keys key:000000000000.. (valkey-benchmark -r), filled before measuring
#   BENCH_VALUE_SIZE [3]        valkey-benchmark -d
#   BENCH_LARGE_VALUE_SIZE [100]  value size of the second pass over the GET workloads (0: no second pass)
#   BENCH_PACED_REQUESTS [2000] paced GETs per round, one every BENCH_PACED_INTERVAL_US [1000]
#   BENCH_SYSCALL_REQUESTS [10000]  strace: runs of 1 and N requests (x10 for pipelined workloads; 0: no strace)
#   BENCH_MAX_SECONDS [40]      a single run (either side) is stopped past this
#   BENCH_INSTR_REQUESTS [20000]  callgrind: runs of N and 2N GETs (sequential sync, and async)
#   BENCH_INSTR_COROUTINES [256]  callgrind: coroutines on one AsyncClient in the async count
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
large_value_size="${BENCH_LARGE_VALUE_SIZE:-100}"
paced_n="${BENCH_PACED_REQUESTS:-2000}"
paced_interval="${BENCH_PACED_INTERVAL_US:-1000}"
syscall_n="${BENCH_SYSCALL_REQUESTS:-10000}"
max_seconds="${BENCH_MAX_SECONDS:-40}"
instr_n="${BENCH_INSTR_REQUESTS:-20000}"
instr_coroutines="${BENCH_INSTR_COROUTINES:-256}"

do_throughput=1
do_instructions=1
case "${1:-}" in
  "") ;;
  --instructions-only) do_throughput=0 ;;
  --no-instructions) do_instructions=0 ;;
  --cluster) exec bash "$here/bench-cluster.sh" ;;
  *) echo "usage: scripts/bench.sh [--instructions-only|--no-instructions|--cluster]" >&2; exit 2 ;;
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
do_syscalls=$do_throughput
[ "$syscall_n" -gt 0 ] || do_syscalls=0
if [ "$do_syscalls" = 1 ] && ! command -v strace >/dev/null 2>&1; then
  log "strace not found (scripts/setup.sh installs it): skipping syscalls per request"
  do_syscalls=0
fi

# ------------------------------------------------------------------ build
# The commit the binary is built from, read now: a commit made while the
# benchmark runs must not be credited with its figures.
commit="$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
git -C "$repo" diff --quiet HEAD 2>/dev/null || commit+="+uncommitted"
log "building e2e_bench (Release) in $build_dir"
mkdir -p "$build_dir"
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVALKEY_CPP_BUILD_TESTS=OFF \
    -DVALKEY_CPP_BUILD_SAMPLES=OFF -DVALKEY_CPP_BUILD_TOOLS=OFF -DVALKEY_CPP_BUILD_BENCH=ON >"$build_dir.configure.log" 2>&1 \
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

common=(--port "$port" --keyspace "$keyspace" --max-seconds "$max_seconds")
phase_value_size=$value_size  # the value size of the keyspace as last filled
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
  if ! out=$(timeout "$max_seconds" "$VALKEY_BENCHMARK" -h 127.0.0.1 -p "$port" -r "$keyspace" -d "$phase_value_size" \
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
  if ! out=$(timeout $((max_seconds + 20)) "$client" "$@" "${common[@]}" --value-size "$phase_value_size" | tail -1); then
    log "e2e_bench $* failed"
    return 0
  fi
  [ "$(json_field "$out" timed_out)" = "false" ] || log "e2e_bench $1 stopped at the ${max_seconds}s bound"
  printf '%s\tvalkey-cpp\t%s\t%s\t%s\t%s\t%s\n' "$workload" "$round" "$(json_field "$out" ops)" \
    "$(json_field "$out" p50_ms)" "$(json_field "$out" p99_ms)" "$(json_field "$out" allocs_per_request)" >>"$results"
}

# name | target ratio | valkey-benchmark args | e2e_bench args ("=other": the
# client figures of workload "other" in the same round, compared with other
# valkey-benchmark arguments). Targets are the project's; "-" is shown for
# comparison only.
workloads=(
  "sequential_get|0.95|-t get -c 1 -n $seq_n|sequential --command get --requests $seq_n"
  "sequential_set|0.95|-t set -c 1 -n $seq_n|sequential --command set --requests $seq_n"
  "sequential_get_async1|-|-t get -c 1 -n $seq_n|async --command get --coroutines 1 --requests $seq_n"
  "async_256_get|0.95|-t get -c 1 -P 256 -n $async_n|async --command get --coroutines 256 --requests $async_n"
  "async_256_get_vs_c50_p16|0.8|-t get -c 50 -P 16 -n $async_n|=async_256_get"
  "pipeline_16_get|0.95|-t get -c 1 -P 16 -n $pipe_n|pipeline --command get --depth 16 --requests $pipe_n"
  "pipeline_16_get_sync|0.95|-t get -c 1 -P 16 -n $pipe_n|pipeline-sync --command get --depth 16 --requests $pipe_n"
  "threads_4_get|1.8|-t get -c 4 -n $threads_n|threads --command get --threads 4 --requests $threads_n"
)
# The second pass on large values: the GET workloads, same targets.
large_workloads=()
if [ "$large_value_size" -gt 0 ]; then
  for w in "${workloads[@]}"; do
    IFS='|' read -r name target vb_args client_args <<<"$w"
    case "$vb_args" in "-t get "*) ;; *) continue ;; esac
    [[ "$client_args" != "="* ]] || client_args="${client_args}_d$large_value_size"
    large_workloads+=("${name}_d$large_value_size|$target|$vb_args|$client_args")
  done
fi

selected() { [ -z "${BENCH_WORKLOADS:-}" ] || [[ ",$BENCH_WORKLOADS," == *",$1,"* ]]; }

populate() { # populate <value size>: SET every key of the keyspace
  log "filling $keyspace keys (value $1 bytes)"
  "$client" populate "${common[@]}" --value-size "$1" >/dev/null || die "populating the keyspace failed"
  phase_value_size=$1
}

# run_rounds <workload spec>...: BENCH_ROUNDS alternating rounds over them
run_rounds() {
  local round w name vb_args client_args
  for round in $(seq "$rounds"); do
    for w in "$@"; do
      IFS='|' read -r name _ vb_args client_args <<<"$w"
      selected "$name" || continue
      log "round $round/$rounds: $name"
      if [[ "$client_args" == "="* ]]; then  # the client figures of another workload of this round
        local rows
        rows=$(awk -F'\t' -v from="${client_args#=}" -v to="$name" -v r="$round" \
          '$1 == from && $2 == "valkey-cpp" && $3 == r { $1 = to; print }' OFS='\t' "$results")
        [ -z "$rows" ] || printf '%s\n' "$rows" >>"$results"
        # shellcheck disable=SC2086
        run_benchmark "$name" "$round" $vb_args
        continue
      fi
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
}

# allocs_fields <value size> <key suffix>: "get":x,"set":x,"incr":x from e2e_bench allocs
allocs_fields() {
  local out line cmd fields=""
  out=$("$client" allocs "${common[@]}" --value-size "$1" --requests 20000 --warmup 2000) || die "e2e_bench allocs failed"
  for cmd in get set incr; do
    line=$(printf '%s\n' "$out" | grep "\"allocs_$cmd\"")
    fields+="\"$cmd$2\":$(json_field "$line" allocs_per_request),"
  done
  printf '%s' "${fields%,}"
}

allocs_json="null"
paced_json="null"
if [ "$do_throughput" = 1 ]; then
  populate "$value_size"
  run_rounds "${workloads[@]}"

  log "paced: one GET every ${paced_interval}us, $paced_n per round"
  paced="$work_dir/paced.tsv"  # round p50 p99
  : >"$paced"
  for round in $(seq "$rounds"); do
    if out=$(timeout $((max_seconds + 20)) "$client" paced --command get --requests "$paced_n" \
        --interval-us "$paced_interval" "${common[@]}" --value-size "$value_size" | tail -1); then
      printf '%s\t%s\t%s\n' "$round" "$(json_field "$out" p50_ms)" "$(json_field "$out" p99_ms)" >>"$paced"
    else
      log "e2e_bench paced failed"
    fi
  done

  log "heap allocations per request (steady state)"
  allocs_json="{$(allocs_fields "$value_size" "")"
  if [ "$large_value_size" -gt 0 ]; then
    populate "$large_value_size"
    run_rounds "${large_workloads[@]}"
    log "heap allocations per request, ${large_value_size}-byte values"
    allocs_json+=",$(allocs_fields "$large_value_size" "_d$large_value_size" | sed 's/"incr_d[0-9]*":[^,]*,\{0,1\}//; s/,$//')"
    populate "$value_size"  # back to the small values for the strace and callgrind runs
  fi
  allocs_json+="}"
fi

# ------------------------------------------------------- syscalls per request
# strace -c -f counts every syscall of the process and its threads (the
# Client's idle thread included). Two runs without warm-up, of 1 and of N
# requests: the difference divided by N - 1 is the cost per request, with
# connecting, the handshake and start-up cancelled out. (A warm-up in both
# runs would add its own timing-dependent count, EAGAIN reads and extra
# epoll_waits, to each side of the difference.)
syscalls_json="null"
strace_counts() { # strace_counts <out file> <command...>: "name calls errors" lines
  local out=$1; shift
  timeout $((max_seconds * 4)) strace -c -f -o "$out" "$@" >/dev/null 2>&1 || return 1
  # "% time seconds usecs/call calls [errors] syscall"; skip the header, rulers and total
  awk '$NF != "total" && $NF != "syscall" && $1 !~ /^-/ && NF >= 5 { print $NF, $4, (NF >= 6 ? $5 : 0) }' "$out"
}
syscalls_per_request() { # syscalls_per_request <N> <command with @N@ for the request count...>
  local n=$1; shift
  local a b
  a=$(strace_counts "$work_dir/strace.a" "${@//@N@/1}") || return 1
  b=$(strace_counts "$work_dir/strace.b" "${@//@N@/$n}") || return 1
  n=$((n - 1))
  # {"total":x,"calls":{"name":x,...},"failed":{"name":x,...}} with the names
  # whose per-request count is at least 0.001; "failed" are calls that returned
  # an error (a recv that found nothing: EAGAIN)
  awk -v n="$n" -v a="$a" -v b="$b" 'BEGIN {
      k = split(a, l, "\n"); for (i = 1; i <= k; i++) { split(l[i], f, " "); ca[f[1]] = f[2]; ea[f[1]] = f[3]; seen[f[1]] = 1 }
      k = split(b, l, "\n"); for (i = 1; i <= k; i++) { split(l[i], f, " "); cb[f[1]] = f[2]; eb[f[1]] = f[3]; seen[f[1]] = 1 }
      total = 0; calls = ""; failed = ""
      for (s in seen) {
        d = (cb[s] - ca[s]) / n
        if (d > 0) total += d
        if (d < 0.001) continue
        calls = calls sprintf("%s\"%s\":%.4f", (calls == "" ? "" : ","), s, d)
        e = (eb[s] - ea[s]) / n
        if (e >= 0.001) failed = failed sprintf("%s\"%s\":%.4f", (failed == "" ? "" : ","), s, e)
      }
      printf "{\"total\":%.4f,\"calls\":{%s},\"failed\":{%s}}", total, calls, failed
    }'
}
if [ "$do_syscalls" = 1 ]; then
  batch_n=$((syscall_n * 10))
  # name | target per request | requests | command (e2e_bench mode args or valkey-benchmark)
  syscall_runs=(
    "sequential_get|3|$syscall_n|$client sequential --command get --requests @N@"
    "sequential_get_valkey_benchmark|-|$syscall_n|$VALKEY_BENCHMARK -t get -c 1 -n @N@ -q"
    "sequential_get_async1|-|$syscall_n|$client async --command get --coroutines 1 --requests @N@"
    "paced_get|-|$((syscall_n / 5))|$client paced --command get --interval-us $paced_interval --requests @N@"
    "threads_4_get|-|$syscall_n|$client threads --command get --threads 4 --requests @N@"
    "async_256_get|-|$batch_n|$client async --command get --coroutines 256 --requests @N@"
    "pipeline_16_get|-|$batch_n|$client pipeline --command get --depth 16 --requests @N@"
    "pipeline_16_get_sync|-|$batch_n|$client pipeline-sync --command get --depth 16 --requests @N@"
  )
  syscalls_json=""
  for w in "${syscall_runs[@]}"; do
    IFS='|' read -r name target n cmdline <<<"$w"
    log "strace: $name, runs of 1 and $n requests"
    # shellcheck disable=SC2206
    cmd=($cmdline)
    if [[ "${cmd[0]}" == "$client" ]]; then
      cmd+=("${common[@]}" --value-size "$value_size" --warmup 0)
    else
      cmd+=(-h 127.0.0.1 -p "$port" -r "$keyspace")
    fi
    if ! per=$(syscalls_per_request "$n" "${cmd[@]}"); then
      log "strace run of $name failed"
      continue
    fi
    total=$(json_field "$per" total)
    if [ "$target" = "-" ]; then
      extra=',"target":null,"met":null'
    else
      extra=",\"target\":$target,\"met\":$(awk -v t="$total" -v g="$target" 'BEGIN { print (t <= g + 0.05 ? "true" : "false") }')"
    fi
    syscalls_json+="${syscalls_json:+,}\"$name\":${per%\}}${extra}}"
  done
  syscalls_json="{$syscalls_json}"
fi

# ----------------------------------------------------------- instructions
instr_json="null"
if [ "$do_instructions" = 1 ]; then
  [ "$do_throughput" = 1 ] || populate "$value_size"  # GETs of existing keys, as in the timed runs
  # Client instructions of `n` requests of e2e_bench MODE ARGS... under
  # callgrind (the whole process, start-up included).
  callgrind_total() {
    local tag="$1" n="$2" mode="$3"
    shift 3
    log "callgrind: $n requests, $mode $*"
    timeout 600 valgrind --tool=callgrind --callgrind-out-file="$work_dir/cg.$tag.$n" \
      "$client" "$mode" --port "$port" --keyspace "$keyspace" --requests "$n" "$@" >/dev/null 2>"$work_dir/cg.$tag.$n.log" \
      || { tail -20 "$work_dir/cg.$tag.$n.log" >&2; die "callgrind run failed"; }
    local total
    total=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$work_dir/cg.$tag.$n" | head -1)
    [ -n "$total" ] || total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$work_dir/cg.$tag.$n" | head -1)
    echo "$total"
  }
  declare -A ir
  for n in "$instr_n" $((2 * instr_n)); do
    ir[seq.$n]=$(callgrind_total seq "$n" instructions)
    ir[async.$n]=$(callgrind_total async "$n" instructions-async --coroutines "$instr_coroutines")
  done
  per_get=$(( (ir[seq.$((2 * instr_n))] - ir[seq.$instr_n]) / instr_n ))
  per_get_async=$(( (ir[async.$((2 * instr_n))] - ir[async.$instr_n]) / instr_n ))
  instr_json="{\"per_get\":$per_get,\"target\":2000,\"met\":$([ "$per_get" -le 2000 ] && echo true || echo false),\"runs\":{\"$instr_n\":${ir[seq.$instr_n]},\"$((2 * instr_n))\":${ir[seq.$((2 * instr_n))]}},\"async\":{\"coroutines\":$instr_coroutines,\"per_get\":$per_get_async,\"runs\":{\"$instr_n\":${ir[async.$instr_n]},\"$((2 * instr_n))\":${ir[async.$((2 * instr_n))]}}}}"
fi

# ----------------------------------------------------------------- report
machine="$(nproc) cpu, $(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
targets=""  # name|target|value size|valkey-benchmark args
for w in "${workloads[@]}"; do
  IFS='|' read -r name target vb_args _ <<<"$w"
  targets+="$name|$target|$value_size|$vb_args"$'\n'
done
for w in "${large_workloads[@]}"; do
  IFS='|' read -r name target vb_args _ <<<"$w"
  targets+="$name|$target|$large_value_size|$vb_args"$'\n'
done

if [ "$do_throughput" = 1 ]; then
  printf '\n%-28s %12s %9s %9s   %12s %9s %9s   %6s %6s\n' workload "cpp ops/s" "p50 ms" "p99 ms" "vb ops/s" "p50 ms" "p99 ms" ratio target
fi
printf '%s' "$targets" | awk -F'|' -v results="$results" -v show="$do_throughput" -v json="$work_dir/workloads.json" '
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
      printf "%-28s %12.0f %9.3f %9.3f   %12.0f %9.3f %9.3f   %6.2f %6s %s\n", name, co, median(p50[c]), median(p99[c]),
             bo, median(p50[b]), median(p99[b]), ratio, target, verdict
    out = out sprintf("%s\"%s\":{\"value_size\":%d,\"client\":{\"ops\":%.1f,\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"allocs_per_request\":%.4f,\"runs\":%d},\"valkey_benchmark\":{\"args\":\"%s\",\"ops\":%.1f,\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"runs\":%d},\"ratio\":%.4f,\"target\":%s,\"met\":%s}",
                      (out == "" ? "" : ","), name, $3, co, median(p50[c]), median(p99[c]), median(al[c]), runs[c],
                      $4, bo, median(p50[b]), median(p99[b]), runs[b], ratio, (target == "-" ? "null" : target), met)
  }
  END { print "{" out "}" > json }
'
workloads_json=$(cat "$work_dir/workloads.json")
[ "$do_throughput" = 1 ] || workloads_json="null"

if [ "$do_throughput" = 1 ] && [ -s "$paced" ]; then
  # medians over the rounds, next to the back-to-back sequential GET p50
  paced_json=$(awk -F'\t' -v results="$results" -v n="$paced_n" -v iv="$paced_interval" '
    function median(list,   k, a, i, j, t) {
      k = split(list, a, " ")
      if (k == 0) return -1
      for (i = 2; i <= k; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
    }
    { p50 = p50 " " $2; p99 = p99 " " $3; runs++ }
    END {
      while ((getline line < results) > 0) {
        split(line, f, "\t")
        if (f[1] == "sequential_get" && f[2] == "valkey-cpp") b2b = b2b " " f[5]
      }
      m = median(p50); b = median(b2b)
      printf "{\"interval_us\":%d,\"requests\":%d,\"runs\":%d,\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"back_to_back_p50_ms\":%.4f,\"p50_over_back_to_back\":%.3f}",
             iv, n, runs, m, median(p99), b, (b > 0 ? m / b : -1)
    }' "$paced")
  printf '\npaced sync GET, one every %sus: %s\n' "$paced_interval" "$paced_json"
fi
if [ "$do_throughput" = 1 ]; then
  printf 'heap allocations per request (steady state): %s (target 0; a %s-byte GET returns a std::string: 1)\n' \
    "$allocs_json" "$large_value_size"
fi
if [ "$do_syscalls" = 1 ]; then
  printf 'syscalls per request (strace -c -f): %s\n' "$syscalls_json"
fi
if [ "$do_instructions" = 1 ]; then
  printf 'client user-space instructions per sequential GET: %s (target <= 2000; callgrind, runs of %s and %s)\n' \
    "$per_get" "$instr_n" $((2 * instr_n))
  printf 'client user-space instructions per GET, %s coroutines on one AsyncClient: %s (no target; same runs)\n' \
    "$instr_coroutines" "$per_get_async"
fi
log "done in $((SECONDS - started))s (build ${build_seconds}s)"

printf '{"commit":"%s","machine":"%s","server":"%s","rounds":%s,"keyspace":%s,"value_size":%s,"large_value_size":%s,"workloads":%s,"paced":%s,"syscalls_per_request":%s,"allocs_per_request":%s,"instructions":%s,"seconds":%s}\n' \
  "$commit" "$machine" "$("$VALKEY_SERVER" --version | grep -o 'v=[^ ]*' | cut -c3-)" "$rounds" "$keyspace" "$value_size" \
  "$large_value_size" "$workloads_json" "$paced_json" "$syscalls_json" "$allocs_json" "$instr_json" "$((SECONDS - started))"
