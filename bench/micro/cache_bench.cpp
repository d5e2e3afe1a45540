// CacheStore micro-benchmarks: a hit (copy into a reused buffer, and visit in
// place) for a 100-byte value, a miss, and a whole fill (ticket + insert)
// under LRU pressure; hits from several threads share the store's mutex.
// allocs/iter counts global operator new calls inside the timed loop.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <valkey/cache/store.hpp>

#include "alloc_counter.hpp"

namespace {

using valkey::bench::allocations;

std::string bulk(const std::string& s) { return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n"; }
std::string get_request(const std::string& key) { return "*2\r\n$3\r\nGET\r\n" + bulk(key); }

constexpr int key_count = 1000;

struct Filled {
  valkey::CacheStore store;
  std::vector<std::string> requests;
  explicit Filled(std::chrono::milliseconds max_ttl)
      : store(valkey::CacheConfig{.max_bytes = 64u * 1024 * 1024, .max_ttl = max_ttl}) {
    const std::string value = bulk(std::string(100, 'v'));
    for (int i = 0; i < key_count; ++i) {
      const std::string key = "key:" + std::to_string(i);
      requests.push_back(get_request(key));
      store.complete_read(store.begin_read(key), requests.back(), value);
    }
  }
};
// Entries without a deadline: a hit reads no clock.
Filled& filled() {
  static Filled f(std::chrono::milliseconds(0));
  return f;
}
// Entries with a deadline: a hit reads the clock to check it.
Filled& filled_with_ttl() {
  static Filled f(std::chrono::hours(1));
  return f;
}

void report(benchmark::State& state, std::uint64_t allocs) {
  state.counters["allocs/iter"] =
      benchmark::Counter(static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
}

void BM_cache_hit_copy(benchmark::State& state) {
  auto& f = filled();
  std::string out;
  out.reserve(256);
  std::size_t i = 0;
  const auto before = allocations();
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.store.lookup(f.requests[i], out));
    benchmark::DoNotOptimize(out.data());
    if (++i == f.requests.size()) i = 0;
  }
  report(state, allocations() - before);
}
BENCHMARK(BM_cache_hit_copy)->Name("cache/hit/copy100")->ThreadRange(1, 4);

void BM_cache_hit_copy_ttl(benchmark::State& state) {
  auto& f = filled_with_ttl();
  std::string out;
  out.reserve(256);
  std::size_t i = 0;
  const auto before = allocations();
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.store.lookup(f.requests[i], out));
    benchmark::DoNotOptimize(out.data());
    if (++i == f.requests.size()) i = 0;
  }
  report(state, allocations() - before);
}
BENCHMARK(BM_cache_hit_copy_ttl)->Name("cache/hit/copy100_ttl");

void BM_cache_hit_visit(benchmark::State& state) {
  auto& f = filled();
  std::size_t i = 0, bytes = 0;
  const auto before = allocations();
  for (auto _ : state) {
    f.store.visit(f.requests[i], [&bytes](std::string_view r) { bytes += r.size(); });
    if (++i == f.requests.size()) i = 0;
  }
  benchmark::DoNotOptimize(bytes);
  report(state, allocations() - before);
}
BENCHMARK(BM_cache_hit_visit)->Name("cache/hit/visit100");

void BM_cache_miss(benchmark::State& state) {
  auto& f = filled();
  const std::string absent = get_request("absent:key");
  std::string out;
  const auto before = allocations();
  for (auto _ : state) benchmark::DoNotOptimize(f.store.lookup(absent, out));
  report(state, allocations() - before);
}
BENCHMARK(BM_cache_miss)->Name("cache/miss");

// begin_read + complete_read of a new key in a full store: one eviction each.
void BM_cache_fill_evicting(benchmark::State& state) {
  const std::string value = bulk(std::string(100, 'v'));
  valkey::CacheStore store(valkey::CacheConfig{.max_bytes = 64 * 1024});
  std::vector<std::string> keys, requests;
  for (int i = 0; i < 4 * key_count; ++i) {
    keys.push_back("key:" + std::to_string(i));
    requests.push_back(get_request(keys.back()));
  }
  std::size_t i = 0;
  const auto before = allocations();
  for (auto _ : state) {
    benchmark::DoNotOptimize(store.complete_read(store.begin_read(keys[i]), requests[i], value));
    if (++i == keys.size()) i = 0;
  }
  report(state, allocations() - before);
  state.counters["evictions/iter"] =
      benchmark::Counter(static_cast<double>(store.stats().evictions), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_cache_fill_evicting)->Name("cache/fill/evicting");

}  // namespace
