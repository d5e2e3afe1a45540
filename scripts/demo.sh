#!/usr/bin/env bash
# One command to see the client work: setup, build the quickstart sample,
# start a throwaway valkey-server on a free loopback port (unless VALKEY_URL
# points at one), run the quickstart against it, and always stop the server.
#
# Environment:
#   VALKEY_URL=valkey://host:port   use this server instead of starting one
#   VALKEY_BUILD_ROOT=DIR           build dirs (default <repo>/build, shared with scripts/test.sh)
#   VALKEY_TEST_SKIP_SETUP=1        do not run scripts/setup.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
build_dir="${VALKEY_BUILD_ROOT:-$repo/build}/default"
cache="${VALKEY_CPP_CACHE:-$HOME/.cache/valkey-cpp}"

log() { printf '[demo] %s\n' "$*" >&2; }
die() { printf '[demo] ERROR: %s\n' "$*" >&2; exit 1; }

if [ ! -f "$repo/samples/quickstart.cpp" ]; then
  die "samples/quickstart.cpp does not exist yet: the quickstart sample has not been written, so there is nothing to demo. scripts/test.sh runs what exists."
fi

[ -n "${VALKEY_TEST_SKIP_SETUP:-}" ] || bash "$repo/scripts/setup.sh"
[ -f "$cache/env.sh" ] || die "$cache/env.sh is missing: run scripts/setup.sh"
# shellcheck disable=SC1091
source "$cache/env.sh"

log "building the quickstart sample in $build_dir"
mkdir -p "$build_dir"
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build_dir.configure.log" 2>&1 \
    || { cat "$build_dir.configure.log" >&2; die "cmake configure failed"; }
fi
cmake --build "$build_dir" -j"${VALKEY_BUILD_JOBS:-2}" --target sample_quickstart >"$build_dir.demo-build.log" 2>&1 \
  || { tail -40 "$build_dir.demo-build.log" >&2; die "building the quickstart failed (log: $build_dir.demo-build.log)"; }
program="$build_dir/samples/quickstart"
[ -x "$program" ] || die "the build did not produce $program"

server_pid=""
server_dir=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  [ -z "$server_dir" ] || rm -rf "$server_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_server() {
  [ -x "${VALKEY_SERVER:-}" ] || die "VALKEY_SERVER is not set to an executable: run scripts/setup.sh"
  server_dir="$(mktemp -d "${TMPDIR:-/tmp}/valkey-cpp-demo.XXXXXX")"
  local attempt port
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    port=$(( 20000 + RANDOM % 10000 ))
    port_in_use "$port" && continue
    "$VALKEY_SERVER" --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
      --dir "$server_dir" --logfile "$server_dir/server.log" --daemonize no &
    server_pid=$!
    local i
    for i in $(seq 100); do
      if ! kill -0 "$server_pid" 2>/dev/null; then break; fi  # died: port taken, try another
      if "$VALKEY_CLI" -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
        VALKEY_URL="valkey://127.0.0.1:$port"
        log "started a throwaway valkey-server (pid $server_pid) at $VALKEY_URL"
        return 0
      fi
      sleep 0.05
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  done
  cat "$server_dir/server.log" >&2 2>/dev/null || true
  die "could not start valkey-server on a free loopback port"
}

if [ -n "${VALKEY_URL:-}" ]; then
  log "using VALKEY_URL=$VALKEY_URL"
else
  start_server
fi

log "running $program"
echo
rc=0
VALKEY_URL="$VALKEY_URL" "$program" || rc=$?
echo
log "quickstart exited with status $rc"
exit "$rc"
