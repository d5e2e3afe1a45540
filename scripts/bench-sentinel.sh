#!/usr/bin/env bash
# The sentinel client's steady state against the same client connected
# straight to the primary: valkey-cpp-perf runs the same workloads once with
# valkey+sentinel:// and once with valkey:// to the primary the sentinel
# names, alternating rounds, on a throwaway primary and one sentinel on free
# loopback ports. The sentinel resolves the address at connect time and then
# only listens for +switch-master, so the ratio (sentinel / direct) should be
# 1 within the machine's noise. Since throughput on a shared VM moves by
# ±25% between runs, it also counts what does not move with the load: the
# client's user-space instructions per sequential sync GET under callgrind
# (runs of N and 2N requests subtracted), through each URL. Prints one line
# per workload, and as the LAST line of stdout one JSON object
# {workload: {direct, sentinel, ratio}, "instructions_per_get": {...}}.
#
#   scripts/bench-sentinel.sh
#
# Environment (defaults in brackets):
#   BENCH_ROUNDS [5]              rounds per workload (medians)
#   BENCH_REQUESTS [100000]       requests per run (sequential runs: a tenth)
#   BENCH_INSTR_REQUESTS [20000]  callgrind runs of N and 2N GETs (0: skip)
#   BENCH_BUILD_DIR [<repo>/build/bench-release]  the Release tree of scripts/bench.sh
#   VALKEY_BUILD_JOBS [2], VALKEY_TEST_SKIP_SETUP=1
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cache="${VALKEY_CPP_CACHE:-$HOME/.cache/valkey-cpp}"
build_dir="${BENCH_BUILD_DIR:-$repo/build/bench-release}"
rounds="${BENCH_ROUNDS:-5}"
requests="${BENCH_REQUESTS:-100000}"
instr_n="${BENCH_INSTR_REQUESTS:-20000}"

log() { printf '[bench-sentinel] %s\n' "$*" >&2; }
die() { printf '[bench-sentinel] ERROR: %s\n' "$*" >&2; exit 1; }

[ -n "${VALKEY_TEST_SKIP_SETUP:-}" ] || bash "$repo/scripts/setup.sh"
# shellcheck disable=SC1091
source "$cache/env.sh"

launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
[ -f "$build_dir/build.ninja" ] || cmake -S "$repo" -B "$build_dir" -G Ninja "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DVALKEY_CPP_BUILD_TESTS=OFF -DVALKEY_CPP_BUILD_SAMPLES=OFF \
  -DVALKEY_CPP_BUILD_TOOLS=ON -DVALKEY_CPP_BUILD_BENCH=ON >/dev/null
cmake --build "$build_dir" -j"${VALKEY_BUILD_JOBS:-2}" --target valkey-cpp-perf >/dev/null \
  || die "building valkey-cpp-perf failed"
perf="$build_dir/samples/perf/valkey-cpp-perf"
[ -x "$perf" ] || die "no $perf (configure $build_dir with -DVALKEY_CPP_BUILD_TOOLS=ON)"

work_dir="$(mktemp -d "${TMPDIR:-/tmp}/valkey-cpp-bench-sentinel.XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for _ in $(seq 50); do
    p=$(( 20000 + RANDOM % 20000 ))
    port_free "$p" && { echo "$p"; return; }
  done
  die "no free port"
}
wait_ping() {  # wait_ping <port>
  for _ in $(seq 200); do
    "$VALKEY_CLI" -p "$1" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.05
  done
  die "nothing answers on port $1"
}

primary_port=$(free_port)
"$VALKEY_SERVER" --bind 127.0.0.1 --port "$primary_port" --save '' --appendonly no --dir "$work_dir" \
  --logfile "$work_dir/primary.log" --daemonize no &
pids+=($!)
wait_ping "$primary_port"
sentinel_port=$(free_port)
cat >"$work_dir/sentinel.conf" <<EOF
port $sentinel_port
bind 127.0.0.1
dir $work_dir
sentinel monitor bench 127.0.0.1 $primary_port 1
EOF
"$VALKEY_SERVER" "$work_dir/sentinel.conf" --sentinel --logfile "$work_dir/sentinel.log" --daemonize no &
pids+=($!)
wait_ping "$sentinel_port"

direct="valkey://127.0.0.1:$primary_port"
sentinel="valkey+sentinel://127.0.0.1:$sentinel_port/bench"
"$perf" -u "$sentinel" -t set -c 1 -n 10 >/dev/null || die "the sentinel URL does not work (log: $work_dir)"

# name | perf arguments
workloads=(
  "sequential_get_sync|-t get -c 1 --sync -n $((requests / 10))"
  "sequential_get_async|-t get -c 1 -n $((requests / 10))"
  "coroutines_50_get|-t get -c 50 -n $requests"
  "coroutines_50_set|-t set -c 50 -n $requests"
  "threads_4_get_sync|-t get -c 4 --sync -n $((requests / 2))"
)
ops() { sed -n 's/.*"ops_per_sec":\([0-9.e+]*\).*/\1/p' | tail -1; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
result="{"
for w in "${workloads[@]}"; do
  name=${w%%|*}
  read -r -a args <<<"${w#*|}"
  : >"$work_dir/$name.direct"
  : >"$work_dir/$name.sentinel"
  for _ in $(seq "$rounds"); do
    "$perf" -u "$direct" "${args[@]}" --json | ops >>"$work_dir/$name.direct"
    "$perf" -u "$sentinel" "${args[@]}" --json | ops >>"$work_dir/$name.sentinel"
  done
  d=$(median <"$work_dir/$name.direct")
  s=$(median <"$work_dir/$name.sentinel")
  spread() { sort -g "$1" | awk 'NR==1{lo=$1} {hi=$1} END {printf "%.0f-%.0f", lo, hi}'; }
  ratio=$(awk -v s="$s" -v d="$d" 'BEGIN {printf "%.2f", s / d}')
  printf '%-22s direct %10.0f ops/s (%s)  sentinel %10.0f ops/s (%s)  ratio %s\n' "$name" "$d" \
    "$(spread "$work_dir/$name.direct")" "$s" "$(spread "$work_dir/$name.sentinel")" "$ratio"
  result+=$(printf '"%s":{"direct":%.0f,"sentinel":%.0f,"ratio":%s},' "$name" "$d" "$s" "$ratio")
done
if [ "$instr_n" -gt 0 ] && command -v valgrind >/dev/null 2>&1; then
  # Instructions of the whole client process; start-up and connecting
  # (the sentinel query included) cancel out in the difference.
  instructions() {  # instructions <url> <requests>
    valgrind --tool=callgrind --callgrind-out-file="$work_dir/cg.out" "$perf" -u "$1" -t get -c 1 --sync -n "$2" \
      >/dev/null 2>"$work_dir/cg.log" || die "callgrind run failed (log: $work_dir/cg.log)"
    sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$work_dir/cg.out"
  }
  per_get() { echo $(( ($(instructions "$1" $((2 * instr_n))) - $(instructions "$1" "$instr_n")) / instr_n )); }
  d=$(per_get "$direct")
  s=$(per_get "$sentinel")
  printf 'instructions per sequential sync GET (callgrind, %d GETs): direct %d  sentinel %d  difference %+d\n' \
    "$instr_n" "$d" "$s" $((s - d))
  result+=$(printf '"instructions_per_get":{"direct":%d,"sentinel":%d},' "$d" "$s")
fi
echo "${result%,}}"
