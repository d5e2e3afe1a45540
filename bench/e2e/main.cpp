// e2e_bench: end-to-end workloads against a running server, one per run,
// each printing one JSON line. Driven by scripts/bench.sh, which starts the
// server and runs valkey-benchmark alternately with these.
#include <cstdio>
#include <exception>
#include <string_view>

#include "common.hpp"

int main(int argc, char** argv) {
  const e2e::Options o = e2e::parse_options(argc, argv);
  try {
    const std::string_view m = o.mode;
    if (m == "sequential") return e2e::run_sequential(o);
    if (m == "paced") return e2e::run_paced(o);
    if (m == "threads") return e2e::run_threads(o);
    if (m == "async") return e2e::run_async(o);
    if (m == "pipeline") return e2e::run_pipeline(o);
    if (m == "pipeline-sync") return e2e::run_pipeline_sync(o);
    if (m == "allocs") return e2e::run_allocs(o);
    if (m == "instructions") return e2e::run_instructions(o);
    if (m == "instructions-async") return e2e::run_async_instructions(o);
    if (m == "populate") return e2e::run_populate(o);
    std::fprintf(stderr, "e2e_bench: unknown mode %s\n", o.mode.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "e2e_bench %s: %s\n", o.mode.c_str(), e.what());
    return 1;
  }
}
