#pragma once
// One phase (one test) from the outside: wait for its requesters while
// printing a progress line a second on stderr, then gather what the lanes
// recorded into a PhaseResult.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "perf/recorder.hpp"
#include "perf/report.hpp"

namespace perf {

// Counts finished requesters; the phase is over at zero.
class Countdown {
 public:
  explicit Countdown(std::size_t n) : left_(n) {}
  void count_down() {
    std::lock_guard lk(mu_);
    if (left_ > 0 && --left_ == 0) cv_.notify_all();
  }
  // True once zero; false when `until` passed first.
  bool wait_until(Clock::time_point until) {
    std::unique_lock lk(mu_);
    return cv_.wait_until(lk, until, [&] { return left_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t left_;
};

struct PhaseLanes {
  std::vector<std::unique_ptr<Recorder>> recorders;
  std::unique_ptr<StallClock> stall;
};

// Fresh recorders for `lanes` lanes, the stall clock started now.
PhaseLanes make_lanes(std::size_t lanes);

// Blocks until `done` reaches zero, then builds the result.
PhaseResult finish_phase(Test test, Countdown& done, PhaseLanes& lanes);

}  // namespace perf
