#!/usr/bin/env bash
# What a hook of the request path costs when it is not configured: client
# instructions per sequential GET (and per cached GET hit) under callgrind,
# from two Release builds of the same commit, one as shipped and one with
# the hook compiled out, each as runs of N and 2N requests subtracted so
# start-up cancels out. The cost is the difference in the functions the hook
# is compiled into (the target of issues 10 and 11: at most 20 instructions);
# the other functions' counts, and the whole process's, are printed beside
# it, with the largest differences. The LAST line of stdout is one JSON
# object.
#
#   scripts/bench-hook-cost.sh [observer|policy]
#
# observer: Config::observer's test and probe (-DVALKEY_CPP_NO_OBSERVER_HOOK,
#           observe/probe.hpp).
# policy:   the resilience policies' checks (-DVALKEY_CPP_NO_POLICY_HOOK:
#           the Guard test in exec/sync.hpp, the queue-wait bound in
#           Multiplexer::enqueue).
#
# Environment (defaults in brackets):
#   BENCH_INSTR_REQUESTS [20000]  runs of N and 2N requests
#   BENCH_KEYSPACE [1000]         keys read (filled first), 100-byte values
#   BENCH_BUILD_DIR [<repo>/build/bench-release]  the shipped build (shared with bench.sh)
#   BENCH_NOHOOK_BUILD_DIR [<repo>/build/bench-release-no<hook>]
#   VALKEY_BUILD_JOBS [2], VALKEY_TEST_SKIP_SETUP=1
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cache="${VALKEY_CPP_CACHE:-$HOME/.cache/valkey-cpp}"
n="${BENCH_INSTR_REQUESTS:-20000}"
keyspace="${BENCH_KEYSPACE:-1000}"
shipped_dir="${BENCH_BUILD_DIR:-$repo/build/bench-release}"
hook="${1:-observer}"
case "$hook" in
  observer) macro=VALKEY_CPP_NO_OBSERVER_HOOK ;;
  policy) macro=VALKEY_CPP_NO_POLICY_HOOK ;;
  *) printf 'usage: %s [observer|policy]\n' "$0" >&2; exit 2 ;;
esac
nohook_dir="${BENCH_NOHOOK_BUILD_DIR:-$repo/build/bench-release-no$hook}"

log() { printf '[hook-cost] %s\n' "$*" >&2; }
die() { printf '[hook-cost] ERROR: %s\n' "$*" >&2; exit 1; }

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
build "$nohook_dir" "-D$macro"

work_dir="$(mktemp -d "${TMPDIR:-/tmp}/valkey-cpp-hook-cost.XXXXXX")"
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

# Per request: the whole process (runs of N and 2N subtracted), and the
# library and benchmark code alone (callgrind_annotate per function, libc and
# the dynamic loader left out). The whole-process totals move by tens of
# instructions between runs (how often a reply is already there when the
# client polls, thread hand-offs in libc); the code's own counts do not.
for build_dir in "$shipped_dir" "$nohook_dir"; do
  for command in get cached_get; do
    for m in "$n" $((2 * n)); do
      log "callgrind: $(basename "$build_dir") $command x $m"
      out="$work_dir/$(basename "$build_dir").$command.$m"
      valgrind --tool=callgrind --callgrind-out-file="$out" "$build_dir/bench/e2e_bench" instructions \
        --command "$command" --port "$port" --keyspace "$keyspace" --requests "$m" >/dev/null 2>"$work_dir/cg.log" \
        || { tail -20 "$work_dir/cg.log" >&2; die "callgrind run failed"; }
      callgrind_annotate --inclusive=no --threshold=100 "$out" >"$out.txt" 2>/dev/null
    done
  done
done
"${VALKEY_CPP_PYTHON:-python3}" - "$work_dir" "$n" "$(basename "$shipped_dir")" "$(basename "$nohook_dir")" "$hook" \
  "$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)" <<'PY'
import json, re, sys
work, n, shipped, nohook, hook, commit = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
def functions(path):
    out = {}
    for line in open(path):
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+(.*)$", line)
        if m and "PROGRAM TOTALS" not in line:
            name = re.sub(r"\s*\[[^\]]*\]$", "", m.group(2))
            out[name] = out.get(name, 0) + int(m.group(1).replace(",", ""))
    return out
def per_request(build, command):
    a = functions(f"{work}/{build}.{command}.{n}.txt")
    b = functions(f"{work}/{build}.{command}.{2 * n}.txt")
    return {k: (b.get(k, 0) - a.get(k, 0)) / n for k in set(a) | set(b)}
def own(f):  # not libc, libstdc++ or the loader: their files are named ./... or /usr/...
    return {k: v for k, v in f.items() if not k.startswith(("./", "/usr/"))}
# The functions the hooks are compiled into (the request path's templates,
# with the probe and the Guard test inlined, and the multiplexer's enqueue):
# the only code that differs between the two builds.
# Elsewhere a difference is the run, not the build (who drives the sync
# client's I/O, how often a poll finds the reply there).
HOOKED = re.compile(r"exec::run_sync<|cache_detail::run_cached_sync<|detail::SyncOp<|Multiplexer::enqueue")
def hooked(f):
    return {k: v for k, v in f.items() if HOOKED.search(k)}
result = {"hook": hook, "commit": commit, "requests": n}
for command in ("get", "cached_get"):
    w, wo = per_request(shipped, command), per_request(nohook, command)
    total_w, total_wo = sum(w.values()), sum(wo.values())
    own_w, own_wo = sum(own(w).values()), sum(own(wo).values())
    hook_w, hook_wo = sum(hooked(w).values()), sum(hooked(wo).values())
    print("%-10s per request: the hooked functions %.0f with the hook, %.0f without: %+.1f (target <= +20); "
          "all library and benchmark code %.0f / %.0f (%+.0f); the whole process %.0f / %.0f (%+.0f)"
          % (command, hook_w, hook_wo, hook_w - hook_wo, own_w, own_wo, own_w - own_wo, total_w, total_wo,
             total_w - total_wo))
    diffs = sorted(((w.get(k, 0) - wo.get(k, 0), k) for k in own(w).keys() | own(wo).keys()), key=lambda r: -abs(r[0]))
    for d, k in diffs[:4]:
        if abs(d) >= 0.5: print("    %+6.1f  %s" % (d, k[:110]))
    result[command] = {"hooked_with": round(hook_w, 1), "hooked_without": round(hook_wo, 1),
                       "cost": round(hook_w - hook_wo, 1), "code_with_hook": round(own_w, 1),
                       "code_without_hook": round(own_wo, 1), "process_with_hook": round(total_w),
                       "process_without_hook": round(total_wo)}
print(json.dumps(result, separators=(",", ":")))
PY
