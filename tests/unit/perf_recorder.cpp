// valkey-cpp-perf's per-lane counts and the longest stall across lanes.
#include <catch2/catch_test_macros.hpp>

#if __has_include("perf/recorder.hpp")
#include <chrono>
#include <cstdint>
#include <memory>

#include "perf/recorder.hpp"

using namespace std::chrono_literals;
using perf::Clock;

namespace {
std::uint64_t ns(std::chrono::nanoseconds d) { return static_cast<std::uint64_t>(d.count()); }
}  // namespace

TEST_CASE("perf stall: the longest gap between successes of any lane", "[perf][perf-recorder]") {
  const auto t0 = Clock::now();
  perf::StallClock stall{t0};
  auto a = std::make_unique<perf::Recorder>(stall);
  auto b = std::make_unique<perf::Recorder>(stall);
  // Lane a succeeds every 2 ms up to 100 ms; lane b covers 100..150 ms; then
  // nothing until a succeeds again at 450 ms: a 300 ms stall.
  for (auto t = 2ms; t <= 100ms; t += 2ms) a->success(1000, t0 + t);
  for (auto t = 102ms; t <= 150ms; t += 2ms) b->success(1000, t0 + t);
  a->success(1000, t0 + 450ms);
  a->success(1000, t0 + 451ms);
  a->finish();
  b->finish();
  const double gap_ms = static_cast<double>(stall.max_gap_ns(t0 + 452ms)) / 1e6;
  CHECK(gap_ms >= 299.0);
  CHECK(gap_ms <= 301.0);  // lanes publish at most once a millisecond
}

TEST_CASE("perf stall: time before the first and after the last success counts", "[perf][perf-recorder]") {
  const auto t0 = Clock::now();
  {
    perf::StallClock stall{t0};
    perf::Recorder r{stall};
    r.success(1000, t0 + 40ms);
    r.finish();
    CHECK(stall.max_gap_ns(t0 + 50ms) == ns(40ms));
  }
  {
    perf::StallClock stall{t0};
    perf::Recorder r{stall};
    r.success(1000, t0 + 1ms);
    r.finish();
    CHECK(stall.max_gap_ns(t0 + 201ms) == ns(200ms));
  }
  perf::StallClock never{t0};
  CHECK(never.max_gap_ns(t0 + 5ms) == ns(5ms));  // no success at all
}

TEST_CASE("perf recorder: totals, errors by kind, and per-interval counts", "[perf][perf-recorder]") {
  const auto t0 = Clock::now();
  perf::StallClock stall{t0};
  auto r = std::make_unique<perf::Recorder>(stall);
  r->success(2'000, t0 + 1ms, 16);  // a pipeline of 16
  r->failure("timeout");
  r->failure("timeout", 2);
  r->failure("server_error:LOADING");

  auto interval = std::make_unique<perf::LatencyHistogram>();
  auto i1 = r->take_interval(*interval);
  CHECK(i1.ops == 16);
  CHECK(i1.errors == 4);
  CHECK(interval->count() == 16);
  interval->reset();
  auto i2 = r->take_interval(*interval);  // nothing new
  CHECK(i2.ops == 0);
  CHECK(i2.errors == 0);
  CHECK(interval->count() == 0);

  r->success(3'000, t0 + 2ms);
  CHECK(r->ops() == 17);
  auto total = std::make_unique<perf::LatencyHistogram>();
  perf::ErrorCounts errors;
  r->add_to(*total, errors);
  CHECK(total->count() == 17);
  CHECK(total->max() == 3'000);
  CHECK(errors.size() == 2);
  CHECK(errors["timeout"] == 3);
  CHECK(errors["server_error:LOADING"] == 1);
}
#else
TEST_CASE("perf recorder: valkey-cpp-perf not configured", "[perf][perf-recorder]") {
  SKIP("samples/perf is not part of this build (VALKEY_BUILD_SAMPLES=OFF)");
}
#endif
