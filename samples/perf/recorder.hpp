#pragma once
// What one lane of requesters (one I/O thread, or one --sync thread) measured:
// latencies of successful replies, failures by kind, and the time of the last
// success (for the longest stall). The lane writes, the once-a-second progress
// line and the final summary read; a mutex that only they contend guards it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "perf/histogram.hpp"

namespace perf {

using Clock = std::chrono::steady_clock;

inline std::uint64_t ns_since(Clock::time_point from, Clock::time_point to) noexcept {
  auto d = std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count();
  return d > 0 ? static_cast<std::uint64_t>(d) : 0;
}

// Error kind -> count; std::less<> finds by string_view without allocating.
using ErrorCounts = std::map<std::string, std::uint64_t, std::less<>>;

inline void add_errors(ErrorCounts& into, const ErrorCounts& from) {
  for (const auto& [kind, n] : from) into[kind] += n;
}

// The longest time in which no request of any lane succeeded. Lanes publish
// a success at most once a millisecond (so lanes on several threads do not
// fight over one cache line per request); the result is exact to ~1 ms.
class StallClock {
 public:
  explicit StallClock(Clock::time_point start) noexcept : start_(start), last_(0) {}

  // `at` as nanoseconds since start.
  void publish(std::uint64_t at) noexcept {
    std::uint64_t prev = last_.load(std::memory_order_relaxed);
    while (at > prev && !last_.compare_exchange_weak(prev, at, std::memory_order_relaxed)) {}
    if (at <= prev) return;
    const std::uint64_t gap = at - prev;
    std::uint64_t m = max_gap_.load(std::memory_order_relaxed);
    while (gap > m && !max_gap_.compare_exchange_weak(m, gap, std::memory_order_relaxed)) {}
  }
  // Once every lane stopped: the gap up to `end` counts too.
  std::uint64_t max_gap_ns(Clock::time_point end) noexcept {
    publish(ns_since(start_, end));
    return max_gap_.load(std::memory_order_relaxed);
  }
  Clock::time_point start() const noexcept { return start_; }

 private:
  Clock::time_point start_;
  std::atomic<std::uint64_t> last_;
  std::atomic<std::uint64_t> max_gap_{0};
};

class Recorder {
 public:
  explicit Recorder(StallClock& stall) noexcept : stall_(&stall) {}

  // `n` commands (a pipeline's) succeeded after `latency_ns`, completing at `now`.
  void success(std::uint64_t latency_ns, Clock::time_point now, std::uint64_t n = 1) {
    {
      std::lock_guard lk(mu_);
      total_.record(latency_ns, n);
      interval_.record(latency_ns, n);
      ops_ += n;
    }
    const std::uint64_t at = ns_since(stall_->start(), now);
    last_success_ = std::max(last_success_, at);
    if (at >= published_ + 1'000'000) {
      published_ = at;
      stall_->publish(at);
    }
  }

  void failure(std::string_view kind, std::uint64_t n = 1) {
    std::lock_guard lk(mu_);
    auto it = errors_.find(kind);
    if (it == errors_.end()) it = errors_.emplace(std::string(kind), 0).first;
    it->second += n;
    error_total_ += n;
  }

  // The lane stopped: publish its true last success.
  void finish() noexcept {
    if (last_success_ > published_) stall_->publish(last_success_);
  }

  struct Interval {
    std::uint64_t ops = 0;
    std::uint64_t errors = 0;
  };
  // Counts since the previous call; merges this interval's latencies into `h`.
  Interval take_interval(LatencyHistogram& h) {
    std::lock_guard lk(mu_);
    Interval r{ops_ - ops_seen_, error_total_ - errors_seen_};
    ops_seen_ = ops_;
    errors_seen_ = error_total_;
    h.merge(interval_);
    interval_.reset();
    return r;
  }

  // Totals (read once the lane stopped).
  std::uint64_t ops() const {
    std::lock_guard lk(mu_);
    return ops_;
  }
  void add_to(LatencyHistogram& h, ErrorCounts& e) const {
    std::lock_guard lk(mu_);
    h.merge(total_);
    add_errors(e, errors_);
  }

 private:
  mutable std::mutex mu_;
  LatencyHistogram total_;
  LatencyHistogram interval_;
  std::uint64_t ops_ = 0, ops_seen_ = 0;
  std::uint64_t error_total_ = 0, errors_seen_ = 0;
  ErrorCounts errors_;
  // Only the lane's own thread touches these.
  StallClock* stall_;
  std::uint64_t last_success_ = 0;
  std::uint64_t published_ = 0;
};

}  // namespace perf
