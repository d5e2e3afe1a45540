#!/usr/bin/env bash
# Instructions per iteration of the parse/* micro-benchmarks, counted by
# callgrind (deterministic, unlike timings; works where perf has no hardware
# counters). Each iteration parses one reply, so the count is
#   instructions inside the benchmark function / calls of Parser::consume.
#
# usage: bench/micro/instructions.sh BUILD_DIR [NAME...]
#   BUILD_DIR: a Release build with micro_bench built
#              (cmake -DCMAKE_BUILD_TYPE=Release -DVALKEY_CPP_BUILD_TESTS=OFF ...)
#   NAME:      benchmark names, e.g. parse/typed/int64 (default: every parse/* one)
set -euo pipefail
build=${1:?usage: instructions.sh BUILD_DIR [NAME...]}
shift
bench="$build/bench/micro_bench"
[[ -x $bench ]] || { echo "no $bench: build the micro_bench target first" >&2; exit 2; }
if [[ $# -eq 0 ]]; then
  mapfile -t names < <("$bench" --benchmark_list_tests | grep -E '^parse/')
else
  names=("$@")
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%-36s %12s\n' benchmark 'Ir/reply'
for name in "${names[@]}"; do
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" --collect-atstart=no \
    '--toggle-collect=*BM_*' "$bench" "--benchmark_filter=^${name}\$" --benchmark_min_time=0.05 \
    >/dev/null 2>&1
  callgrind_annotate --inclusive=yes --tree=calling "$work/cg.out" 2>/dev/null |
    awk -v name="$name" '
      /^ *[0-9,]+ .*\*  .*BM_/ { gsub(",", "", $1); total += $1 }
      /^ *[0-9,]+ .*>   .*Parser::consume\(/ {
        if (match($0, /\(([0-9,]+)x\)/)) { c = substr($0, RSTART + 1, RLENGTH - 3); gsub(",", "", c); calls += c }
      }
      END {
        if (calls == 0) { printf "%-36s %12s\n", name, "n/a"; exit }
        printf "%-36s %12.0f\n", name, total / calls
      }'
done
