// Eight threads on one store: readers hitting it, "connection" threads
// filling it through tickets, writers changing the value and invalidating.
// The check is the cache's promise: once the invalidation of a change has
// been handed to the store, no hit returns a value older than that change.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "cache_support.hpp"

using cache_test::bulk;
using cache_test::get;

namespace {
constexpr int key_count = 16;
constexpr int iterations = 20000;

// The value of a reply made by bulk(std::to_string(n)).
std::uint64_t value_of(std::string_view reply) {
  const auto body = reply.substr(reply.find('\n') + 1);
  std::uint64_t v = 0;
  std::from_chars(body.data(), body.data() + body.size(), v);
  return v;
}
}  // namespace

TEST_CASE("cache threads: no hit older than a change whose invalidation was handed in", "[cache][threads]") {
  const std::size_t max_bytes = 8 * (valkey::CacheStore::entry_overhead + valkey::CacheStore::key_overhead + 64);
  valkey::CacheStore store(valkey::CacheConfig{.max_bytes = max_bytes});
  std::array<std::string, key_count> keys, requests;
  for (int i = 0; i < key_count; ++i) {
    keys[i] = "key:" + std::to_string(i);
    requests[i] = get(keys[i]);
  }
  // version: the "server's" current value; floor: the newest version whose
  // invalidation has been handed to the store.
  std::array<std::atomic<std::uint64_t>, key_count> version{}, floor{};
  std::atomic<long> violations{0}, hits{0}, stored{0}, stale{0};
  // Readers go on until the writers and fillers are done, so that on a busy
  // machine they still overlap them instead of finishing first.
  std::atomic<int> producers_left{5};

  auto writer = [&](int id) {
    for (int i = 0; i < iterations; ++i) {
      const int k = (i * 7 + id) % key_count;
      const std::uint64_t v = version[k].fetch_add(1) + 1;
      if (i % 2 == 0) store.invalidate(keys[k]);
      else store.evict_written({keys[k]});
      std::uint64_t f = floor[k].load();
      while (f < v && !floor[k].compare_exchange_weak(f, v)) {
      }
      if (i % 5000 == 4999) store.flush_all(valkey::FlushReason::user);
    }
    producers_left.fetch_sub(1);
  };
  auto filler = [&](int id) {
    for (int i = 0; i < iterations; ++i) {
      const int k = (i * 5 + id) % key_count;
      auto t = store.begin_read(keys[k]);
      const std::uint64_t v = version[k].load();  // the server answers the read
      if (i % 64 == 0) std::this_thread::yield();  // a slower round trip
      if (i % 97 == 0) continue;                   // a failed read: the ticket is abandoned
      const auto r = store.complete_read(std::move(t), requests[k], bulk(std::to_string(v)));
      if (r == valkey::CacheInsert::stored) stored.fetch_add(1);
      else if (r == valkey::CacheInsert::stale) stale.fetch_add(1);
    }
    producers_left.fetch_sub(1);
  };
  auto reader = [&](int id) {
    std::string out;
    out.reserve(64);
    for (int i = 0; i < iterations || producers_left.load() > 0; ++i) {
      const int k = (i * 3 + id) % key_count;
      const std::uint64_t f = floor[k].load();
      if (store.lookup(requests[k], out)) {
        hits.fetch_add(1);
        if (value_of(out) < f) violations.fetch_add(1);
      }
    }
  };

  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) threads.emplace_back(writer, i);
  for (int i = 0; i < 3; ++i) threads.emplace_back(filler, i);
  for (int i = 0; i < 3; ++i) threads.emplace_back(reader, i);
  for (auto& t : threads) t.join();

  CHECK(violations.load() == 0);
  CHECK(hits.load() > 0);     // the readers did hit the cache
  CHECK(stored.load() > 0);
  const auto s = store.stats();
  CHECK(s.bytes <= max_bytes);
  CHECK(s.stale_reads == static_cast<std::uint64_t>(stale.load()));
  CHECK(s.hits == static_cast<std::uint64_t>(hits.load()));
  CHECK(s.flushes == 8);
  // The accounting went back and forth consistently: empty means zero.
  store.flush_all(valkey::FlushReason::user);
  CHECK(store.stats().bytes == 0);
  CHECK(store.stats().entries == 0);
}
