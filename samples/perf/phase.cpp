#include "perf/phase.hpp"

#include <cstdio>

namespace perf {

PhaseLanes make_lanes(std::size_t lanes) {
  PhaseLanes p;
  p.stall = std::make_unique<StallClock>(Clock::now());
  for (std::size_t i = 0; i < lanes; ++i) p.recorders.push_back(std::make_unique<Recorder>(*p.stall));
  return p;
}

PhaseResult finish_phase(Test test, Countdown& done, PhaseLanes& lanes) {
  const auto start = lanes.stall->start();
  auto tick = start + std::chrono::seconds(1);
  unsigned second = 0;
  LatencyHistogram interval;
  while (!done.wait_until(tick)) {
    ++second;
    interval.reset();
    Recorder::Interval sum;
    for (auto& r : lanes.recorders) {
      auto i = r->take_interval(interval);
      sum.ops += i.ops;
      sum.errors += i.errors;
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - (tick - std::chrono::seconds(1))).count();
    std::fprintf(stderr, "%s\n",
                 progress_line(test, second, elapsed > 0 ? static_cast<double>(sum.ops) / elapsed : 0, sum.errors,
                               interval.percentile(0.5))
                     .c_str());
    tick += std::chrono::seconds(1);
  }
  const auto end = Clock::now();

  PhaseResult p;
  p.test = test;
  p.seconds = std::chrono::duration<double>(end - start).count();
  for (auto& r : lanes.recorders) {
    r->finish();
    p.ops += r->ops();
    r->add_to(p.latency, p.errors);
  }
  p.max_stall_ms = static_cast<double>(lanes.stall->max_gap_ns(end)) / 1e6;
  return p;
}

}  // namespace perf
