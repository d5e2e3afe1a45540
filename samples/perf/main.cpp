// valkey-cpp-perf: a load generator on valkey-cpp, for comparing with
// valkey-benchmark and for running load through faults (docs/perf-tool.md).
#include <csignal>
#include <exception>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <valkey/valkey.hpp>

#include "perf/options.hpp"
#include "perf/report.hpp"
#include "perf/runner.hpp"
#include "perf/verify_counters.hpp"
#include "perf/workload.hpp"

namespace {

constexpr int exit_verify_failed = 1;
constexpr int exit_usage = 2;
constexpr int exit_cannot_run = 3;  // the server is unreachable, or the run could not start

extern "C" void on_interrupt(int) { perf::stop_requested.store(true, std::memory_order_relaxed); }

// Runs every test of `o` on runners made from `config`, and --verify with
// `control` (made from `config` when null). Control is valkey::Client or
// valkey::ClusterClient; ClientConfig is what the runners' clients take.
template <class Control, class ClientConfig>
perf::RunResult run_tests(const perf::Options& o, const ClientConfig& config, std::unique_ptr<Control> control) {
  perf::RunResult run;
  std::vector<perf::CounterTally> tallies;
  if (o.verify) {
    if (!control) control = std::make_unique<Control>(config);
    perf::reset_counters(*control, o.concurrency);
    tallies.resize(o.concurrency);
  }
  auto runner = o.sync ? perf::make_sync_runner(o, config) : perf::make_async_runner(o, config);
  for (perf::Test t : o.tests) {
    run.phases.push_back(runner->run(t, t == perf::Test::incr ? std::span(tallies) : std::span<perf::CounterTally>{}));
    if (perf::stop_requested) break;
  }
  runner.reset();
  if (o.verify) {
    std::string why;
    if (perf::read_counters(*control, tallies, why)) {
      run.verify = perf::verdict(tallies);
    } else {
      std::fprintf(stderr, "valkey-cpp-perf: --verify: %s\n", why.c_str());
      run.verify = perf::VerifyVerdict{};  // ok = false
    }
  }
  return run;
}

// --retry N: the runners' clients (and the --verify control client) resend
// what is safe to resend, up to N attempts, with the default backoff and
// budget.
valkey::Config with_retry(valkey::Config c, const perf::Options& o) {
  if (o.retry) {
    valkey::policy::RetryPolicy p;
    p.max_attempts = static_cast<int>(o.retry);
    c.retry = p;
  }
  return c;
}
valkey::ClusterConfig with_retry(valkey::ClusterConfig c, const perf::Options& o) {
  c.node = with_retry(std::move(c.node), o);
  return c;
}

// Prints the run's report; returns the exit status.
int report(const perf::RunResult& run, const perf::Options& o) {
  if (o.json) std::printf("%s\n", perf::to_json(run, o).c_str());
  else std::fputs(perf::to_text(run, o).c_str(), stdout);
  return run.verify && !run.verify->ok ? exit_verify_failed : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  perf::ParseResult parsed = perf::parse_options(args, std::getenv("VALKEY_URL"));
  if (!parsed.ok()) {
    std::fprintf(stderr, "valkey-cpp-perf: %s\n%s", parsed.error.c_str(), perf::usage_text().c_str());
    return exit_usage;
  }
  const perf::Options& o = parsed.options;
  if (o.help) {
    std::fputs(perf::usage_text().c_str(), stdout);
    return 0;
  }
  // Ctrl-C ends the current test early; the summary is still printed.
  std::signal(SIGINT, on_interrupt);
  perf::RunResult run;
  try {
    if (o.cluster) {
      // --cluster: the runners' clients and the --verify control client are
      // cluster clients made from the seed URL.
      run = run_tests(o, with_retry(valkey::ClusterConfig::from_url(o.url), o),
                      std::unique_ptr<valkey::ClusterClient>{});
    } else if (valkey::SentinelConfig::is_sentinel_url(o.url)) {
      // The control client's Config carries its sentinel resolver: the
      // runners' clients, made from copies of it, find their node (and follow
      // failovers) through it while it lives.
      auto control = std::make_unique<valkey::Client>(valkey::SentinelConfig::from_url(o.url));
      const valkey::Config config = with_retry(control->config(), o);
      run = run_tests(o, config, std::move(control));
    } else {
      run = run_tests(o, with_retry(valkey::Config::from_url(o.url), o), std::unique_ptr<valkey::Client>{});
    }
  } catch (const std::exception& e) {
    // valkey::Error from connecting (its message never holds the password),
    // or a resource the run needs (threads) that the system refused.
    std::fprintf(stderr, "valkey-cpp-perf: %s\n", e.what());
    return exit_cannot_run;
  }
  return report(run, o);
}
