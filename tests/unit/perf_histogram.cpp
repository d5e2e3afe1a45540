// valkey-cpp-perf's latency histogram: bucket layout, precision, percentiles.
#include <catch2/catch_test_macros.hpp>

#if __has_include("perf/histogram.hpp")
#include <cstdint>
#include <memory>

#include "perf/histogram.hpp"

using perf::LatencyHistogram;

TEST_CASE("perf histogram: buckets tile the range without gaps", "[perf][perf-histogram]") {
  // Each bucket starts right after the previous one ends.
  std::uint64_t next = 0;
  for (std::size_t i = 0; i < LatencyHistogram::bucket_count; ++i) {
    CHECK(LatencyHistogram::index_of(next) == i);
    const std::uint64_t hi = LatencyHistogram::highest_in(i);
    CHECK(LatencyHistogram::index_of(hi) == i);
    REQUIRE(hi >= next);
    next = hi + 1;
  }
  CHECK(next == LatencyHistogram::max_trackable + 1);
  // Beyond the range: the last bucket.
  CHECK(LatencyHistogram::index_of(~std::uint64_t{0}) == LatencyHistogram::bucket_count - 1);
}

TEST_CASE("perf histogram: a bucket is at most 1/64 wide relative to its values", "[perf][perf-histogram]") {
  for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 129ull, 1000ull, 45'678ull, 1'000'000ull, 123'456'789ull,
                          999'999'999'999ull}) {
    const std::uint64_t hi = LatencyHistogram::highest_in(LatencyHistogram::index_of(v));
    CHECK(hi >= v);
    CHECK((hi - v) * 64 <= v);
  }
}

TEST_CASE("perf histogram: percentiles of known samples", "[perf][perf-histogram]") {
  auto h = std::make_unique<LatencyHistogram>();  // 18 KiB: not on the test's stack
  CHECK(h->percentile(0.5) == 0);                 // empty
  for (std::uint64_t v = 1; v <= 100; ++v) h->record(v);  // exact below 128
  CHECK(h->count() == 100);
  CHECK(h->max() == 100);
  CHECK(h->percentile(0.0) == 1);
  CHECK(h->percentile(0.5) == 50);
  CHECK(h->percentile(0.99) == 99);
  CHECK(h->percentile(0.999) == 100);
  CHECK(h->percentile(1.0) == 100);
  CHECK(h->percentile(7.0) == 100);  // clamped

  h->reset();
  CHECK(h->count() == 0);
  // 990 fast samples, 10 slow ones: p50 fast, p99 fast, p99.9 slow.
  h->record(50'000, 990);
  h->record(20'000'000, 10);
  CHECK(h->count() == 1000);
  const std::uint64_t p50 = h->percentile(0.5);
  CHECK(p50 >= 50'000);
  CHECK(p50 <= 50'000 + 50'000 / 64);
  CHECK(h->percentile(0.99) == p50);
  CHECK(h->percentile(0.991) >= 20'000'000);
  CHECK(h->percentile(0.999) == 20'000'000);  // never above the largest sample
}

TEST_CASE("perf histogram: merge adds counts and keeps the larger max", "[perf][perf-histogram]") {
  auto a = std::make_unique<LatencyHistogram>();
  auto b = std::make_unique<LatencyHistogram>();
  a->record(10, 3);
  b->record(1'000, 1);
  a->merge(*b);
  CHECK(a->count() == 4);
  CHECK(a->max() == 1'000);
  CHECK(a->percentile(0.75) == 10);
  CHECK(a->percentile(1.0) == 1'000);
}
#else
TEST_CASE("perf histogram: valkey-cpp-perf not configured", "[perf][perf-histogram]") {
  SKIP("samples/perf is not part of this build (VALKEY_BUILD_SAMPLES=OFF)");
}
#endif
