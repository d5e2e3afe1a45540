#!/usr/bin/env bash
# Client user-space instructions per sequential GET under callgrind (runs of
# N and 2N GETs subtracted, so start-up cancels out; only the client process
# is instrumented). Same build and throwaway server as scripts/bench.sh;
# BENCH_INSTR_REQUESTS sets N (default 20000).
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/bench.sh" --instructions-only "$@"
