# shellcheck shell=bash
# What the benchmarks share (scripts/bench-cluster.sh,
# scripts/bench-cluster-instructions.sh, scripts/bench-compare.sh,
# scripts/bench-cache.sh): the machine's tools, the Release build of
# valkey-cpp-perf, a scratch directory whose servers are stopped on exit,
# loopback port helpers and a throwaway valkey-server. Sourced, not run. The caller defines
# `repo`, `cache`, `build_dir`, log() and die() first.

# Runs scripts/setup.sh (unless VALKEY_TEST_SKIP_SETUP is set) and reads the
# tool paths from the cache's env.sh.
perf_bench_env() {
  [ -n "${VALKEY_TEST_SKIP_SETUP:-}" ] || bash "$repo/scripts/setup.sh"
  [ -f "$cache/env.sh" ] || die "$cache/env.sh is missing: run scripts/setup.sh"
  # shellcheck disable=SC1091
  source "$cache/env.sh"
  python="${VALKEY_CPP_PYTHON:-python3}"
}

# Sets `commit` to the commit the binary is built from (read before a commit
# made during the run; "+uncommitted" for a changed tree) and `perf` to a
# Release valkey-cpp-perf built in $build_dir. The build dir is shared with
# scripts/bench.sh, which configures it without the tools: turning them on
# keeps its other settings.
perf_bench_build() {
  commit="$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
  git -C "$repo" diff --quiet HEAD 2>/dev/null || commit+="+uncommitted"
  log "building valkey-cpp-perf (Release) in $build_dir"
  mkdir -p "$build_dir"
  local launcher=()
  command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S "$repo" -B "$build_dir" -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release -DVALKEY_CPP_BUILD_TESTS=OFF \
    -DVALKEY_CPP_BUILD_SAMPLES=OFF -DVALKEY_CPP_BUILD_TOOLS=ON >"$build_dir.configure.log" 2>&1 \
    || { cat "$build_dir.configure.log" >&2; die "cmake configure failed"; }
  cmake --build "$build_dir" -j"${VALKEY_BUILD_JOBS:-2}" --target valkey-cpp-perf >"$build_dir.build.log" 2>&1 \
    || { tail -40 "$build_dir.build.log" >&2; die "building valkey-cpp-perf failed (log: $build_dir.build.log)"; }
  perf="$build_dir/samples/perf/valkey-cpp-perf"
  [ -x "$perf" ] || die "the build did not produce $perf"
}

# Sets `work_dir` to a fresh scratch directory named after $1 and `pids` to
# the servers to stop: every pid added to it is stopped (TERM, then KILL
# after 5 s) and the directory removed when the script exits.
perf_bench_work_dir() {
  work_dir="$(mktemp -d "${TMPDIR:-/tmp}/valkey-cpp-$1.XXXXXX")"
  pids=()
  trap perf_bench_cleanup EXIT
  trap 'exit 130' INT TERM
}
perf_bench_cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work_dir"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
cli() { "$VALKEY_CLI" -h 127.0.0.1 -p "$@"; }

# A free port whose cluster bus port (+10000) is free too.
perf_bench_free_port() {
  local p
  for _ in $(seq 50); do
    p=$(( 20000 + RANDOM % 9990 ))
    port_in_use "$p" || port_in_use $((p + 10000)) || { echo "$p"; return; }
  done
  die "no free loopback port found"
}
# Starts valkey-server on 127.0.0.1:<port> in the scratch directory (stopped
# on exit) with <extra args...>, and waits until it answers PING.
perf_bench_start_server() {  # <port> <extra args...>
  local port=$1
  shift
  "$VALKEY_SERVER" --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$work_dir" \
    --logfile "$work_dir/node-$port.log" --daemonize no "$@" &
  pids+=($!)
  for _ in $(seq 100); do cli "$port" ping 2>/dev/null | grep -q PONG && return; sleep 0.05; done
  die "the server on port $port did not start (log: $work_dir/node-$port.log)"
}
