#pragma once
// The results of a run and how they are printed: a human-readable summary, or
// one JSON object (the last line of stdout with --json), and the
// once-a-second progress line for stderr.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "perf/histogram.hpp"
#include "perf/options.hpp"
#include "perf/recorder.hpp"
#include "perf/verify.hpp"

namespace perf {

struct PhaseResult {
  Test test = Test::get;
  std::uint64_t ops = 0;        // commands that got a (non-error) reply
  double seconds = 0;           // wall time of the phase
  LatencyHistogram latency;     // per command, in ns (a pipeline's commands share its time)
  ErrorCounts errors;           // failed commands by kind
  double max_stall_ms = 0;      // longest time without a successful reply

  double ops_per_sec() const noexcept { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
};

struct RunResult {
  std::vector<PhaseResult> phases;
  std::optional<VerifyVerdict> verify;
};

// Totals over the phases: ops, seconds and errors summed, latencies merged,
// the longest stall.
PhaseResult totals(const RunResult& run);

// One line, e.g. {"ops":100000,"ops_per_sec":1.2e5,"p50_us":..., "errors":{},
// "max_stall_ms":1.0,"tests":[...],"config":{...},"verify":{...}}.
std::string to_json(const RunResult& run, const Options& options);
// Several lines, one block per test, then the verdict.
std::string to_text(const RunResult& run, const Options& options);
// "get  3s: 123456 ops/s, 0 errors, p50 45.1 us"
std::string progress_line(Test test, unsigned second, double ops_per_sec, std::uint64_t errors, std::uint64_t p50_ns);

}  // namespace perf
