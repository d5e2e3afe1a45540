#!/usr/bin/env bash
# What the observer hook costs a request when no observer is set: client
# instructions per sequential GET (and per cached GET hit) under callgrind,
# from two Release builds of the same commit, one as shipped and one with the
# hook compiled out (-DVALKEY_CPP_NO_OBSERVER_HOOK, observe/probe.hpp), each
# as runs of N and 2N requests subtracted so start-up cancels out. The
# difference is the hook's cost (issue 11's target: at most 20 instructions).
# The LAST line of stdout is one JSON object.
#
# Environment (defaults in brackets):
#   BENCH_INSTR_REQUESTS [20000]  runs of N and 2N requests
#   BENCH_KEYSPACE [1000]         keys read (filled first), 100-byte values
#   BENCH_BUILD_DIR [<repo>/build/bench-release]  the shipped build (shared with bench.sh)
#   BENCH_NOHOOK_BUILD_DIR [<repo>/build/bench-release-nohook]
#   VALKEY_BUILD_JOBS [2], VALKEY_TEST_SKIP_SETUP=1
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cache="${VALKEY_CPP_CACHE:-$HOME/.cache/valkey-cpp}"
n="${BENCH_INSTR_REQUESTS:-20000}"
keyspace="${BENCH_KEYSPACE:-1000}"
shipped_dir="${BENCH_BUILD_DIR:-$repo/build/bench-release}"
nohook_dir="${BENCH_NOHOOK_BUILD_DIR:-$repo/build/bench-release-nohook}"

log() { printf '[observer-cost] %s\n' "$*" >&2; }
die() { printf '[observer-cost] ERROR: %s\n' "$*" >&2; exit 1; }

[ -n "${VALKEY_TEST_SKIP_SETUP:-}" ] || bash "$repo/scripts/setup.sh"
# shellcheck disable=SC1091
source "$cache/env.sh"
command -v valgrind >/dev/null 2>&1 || die "valgrind is needed"

launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
build() {  # build <dir> <extra CXX flags>
  local dir=$1 flags=$2
  log "building e2e_bench (Release${flags:+, $flags}) in $dir"
  mkdir -p "$dir"
  [ -f "$dir/build.ninja" ] || cmake -S "$repo" -B "$dir" -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DVALKEY_CPP_BUILD_TESTS=OFF -DVALKEY_CPP_BUILD_SAMPLES=OFF -DVALKEY_CPP_BUILD_TOOLS=OFF \
    -DVALKEY_CPP_BUILD_BENCH=ON "-DCMAKE_CXX_FLAGS=$flags" >"$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log" >&2; die "cmake configure failed"; }
  cmake --build "$dir" -j"${VALKEY_BUILD_JOBS:-2}" --target e2e_bench >"$dir.build.log" 2>&1 \
    || { tail -40 "$dir.build.log" >&2; die "build failed (log: $dir.build.log)"; }
}
build "$shipped_dir" ""
build "$nohook_dir" "-DVALKEY_CPP_NO_OBSERVER_HOOK"

work_dir="$(mktemp -d "${TMPDIR:-/tmp}/valkey-cpp-observer-cost.XXXXXX")"
server_pid=""
cleanup() {
  [ -z "$server_pid" ] || { kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
  rm -rf "$work_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
  candidate=$(( 20000 + RANDOM % 10000 ))
  port_in_use "$candidate" && continue
  "$VALKEY_SERVER" --bind 127.0.0.1 --port "$candidate" --save '' --appendonly no --dir "$work_dir" \
    --logfile "$work_dir/server.log" --daemonize no &
  server_pid=$!
  for _ in $(seq 100); do
    kill -0 "$server_pid" 2>/dev/null || break  # died: port taken, try another
    if "$VALKEY_CLI" -p "$candidate" ping 2>/dev/null | grep -q PONG; then port=$candidate; break; fi
    sleep 0.05
  done
  [ -n "$port" ] && break
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
done
[ -n "$port" ] || die "could not start valkey-server"
"$shipped_dir/bench/e2e_bench" populate --port "$port" --keyspace "$keyspace" --value-size 100 >/dev/null

declare -A ir
for build_dir in "$shipped_dir" "$nohook_dir"; do
  for command in get cached_get; do
    for m in "$n" $((2 * n)); do
      log "callgrind: $(basename "$build_dir") $command x $m"
      valgrind --tool=callgrind --callgrind-out-file="$work_dir/cg.out" "$build_dir/bench/e2e_bench" instructions \
        --command "$command" --port "$port" --keyspace "$keyspace" --requests "$m" >/dev/null 2>"$work_dir/cg.log" \
        || { tail -20 "$work_dir/cg.log" >&2; die "callgrind run failed"; }
      ir["$build_dir|$command|$m"]=$(sed -n 's/^summary: *//p' "$work_dir/cg.out")
    done
  done
done
per() { echo $(( (ir["$1|$2|$((2 * n))"] - ir["$1|$2|$n"]) / n )); }
json="{\"commit\":\"$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)\",\"requests\":$n"
for command in get cached_get; do
  with=$(per "$shipped_dir" "$command")
  without=$(per "$nohook_dir" "$command")
  printf '%-10s per request: %s with the hook, %s without: %+d (target <= +20)\n' "$command" "$with" "$without" \
    $((with - without))
  json+=",\"$command\":{\"with_hook\":$with,\"without_hook\":$without,\"cost\":$((with - without))}"
done
echo "$json}"
