// The in-flight rule: a reply is stored only if nothing invalidated its key
// (or flushed the cache) between begin_read and complete_read. Each
// interleaving of a read with an invalidation, a write of ours, a flush or a
// second read of the same key.
#include <catch2/catch_test_macros.hpp>

#include <optional>
#include <string>

#include <valkey/error.hpp>

#include "cache_support.hpp"

using cache_test::bulk;
using cache_test::cached;
using cache_test::get;
using valkey::CacheConfig;
using valkey::CacheInsert;
using valkey::CacheStore;

TEST_CASE("cache in flight: an invalidation of the key makes the reply stale", "[cache]") {
  CacheStore store(CacheConfig{});
  auto t = store.begin_read("k");
  REQUIRE(t.tracked());
  store.invalidate("k");
  CHECK(store.complete_read(std::move(t), get("k"), bulk("old")) == CacheInsert::stale);
  CHECK(cached(store, "k") == "<miss>");
  CHECK(store.stats().stale_reads == 1);
  // The next read, begun after the invalidation, is stored.
  CHECK(cache_test::fill(store, "k", "new") == CacheInsert::stored);
  CHECK(cached(store, "k") == bulk("new"));
}

TEST_CASE("cache in flight: an invalidation before begin_read or after the insert", "[cache]") {
  CacheStore store(CacheConfig{});
  store.invalidate("k");  // before: nothing to do with the read
  auto t = store.begin_read("k");
  CHECK(store.complete_read(std::move(t), get("k"), bulk("v")) == CacheInsert::stored);
  store.invalidate("k");  // after: the entry goes
  CHECK(cached(store, "k") == "<miss>");
}

TEST_CASE("cache in flight: other keys' invalidations do not matter", "[cache]") {
  CacheStore store(CacheConfig{});
  auto t = store.begin_read("k");
  store.invalidate({"j", "kk", "k2"});
  store.evict_written({"other"});
  CHECK(store.complete_read(std::move(t), get("k"), bulk("v")) == CacheInsert::stored);
}

TEST_CASE("cache in flight: a write of ours to the key makes the reply stale", "[cache]") {
  CacheStore store(CacheConfig{});
  auto t = store.begin_read("k");
  store.evict_written({"k"});
  CHECK(store.complete_read(std::move(t), get("k"), bulk("before-our-write")) == CacheInsert::stale);
  CHECK(cached(store, "k") == "<miss>");
}

TEST_CASE("cache in flight: a flush makes every read in flight stale", "[cache]") {
  CacheStore store(CacheConfig{});
  auto a = store.begin_read("a");
  auto b = store.begin_read("b");
  store.flush_all(valkey::FlushReason::disconnect);
  auto c = store.begin_read("c");  // after the flush: fine
  CHECK(store.complete_read(std::move(a), get("a"), bulk("v")) == CacheInsert::stale);
  CHECK(store.complete_read(std::move(b), get("b"), bulk("v")) == CacheInsert::stale);
  CHECK(store.complete_read(std::move(c), get("c"), bulk("v")) == CacheInsert::stored);
  CHECK(store.stats().stale_reads == 2);
}

TEST_CASE("cache in flight: two reads of one key, the invalidation between their starts", "[cache]") {
  CacheStore store(CacheConfig{});
  auto first = store.begin_read("k");
  store.invalidate("k");
  auto second = store.begin_read("k");

  SECTION("completing in order") {
    CHECK(store.complete_read(std::move(first), get("k"), bulk("old")) == CacheInsert::stale);
    CHECK(store.complete_read(std::move(second), get("k"), bulk("new")) == CacheInsert::stored);
  }
  SECTION("completing in reverse order") {
    CHECK(store.complete_read(std::move(second), get("k"), bulk("new")) == CacheInsert::stored);
    CHECK(store.complete_read(std::move(first), get("k"), bulk("old")) == CacheInsert::stale);
  }
  CHECK(cached(store, "k") == bulk("new"));
}

TEST_CASE("cache in flight: an invalidation after both started makes both stale", "[cache]") {
  CacheStore store(CacheConfig{});
  auto first = store.begin_read("k");
  auto second = store.begin_read("k");
  CHECK(store.complete_read(std::move(first), get("k"), bulk("v1")) == CacheInsert::stored);
  store.invalidate("k");  // drops v1 and stales the second
  CHECK(store.complete_read(std::move(second), get("k"), bulk("v1")) == CacheInsert::stale);
  CHECK(cached(store, "k") == "<miss>");
}

TEST_CASE("cache in flight: the invalidation arriving while the key has an entry and a read", "[cache]") {
  CacheStore store(CacheConfig{});
  REQUIRE(cache_test::fill(store, "k", "v1") == CacheInsert::stored);
  auto t = store.begin_read("k");  // a refresh, e.g. another command on the key
  store.invalidate("k");
  CHECK(cached(store, "k") == "<miss>");
  CHECK(store.complete_read(std::move(t), cache_test::request({"STRLEN", "k"}), ":2\r\n") == CacheInsert::stale);
  CHECK(store.stats().entries == 0);
}

TEST_CASE("cache in flight: an abandoned read leaves nothing behind", "[cache]") {
  CacheStore store(CacheConfig{});
  {
    auto t = store.begin_read("k");  // the request failed: the ticket is dropped
  }
  std::optional<CacheStore::ReadTicket> moved_from;
  {
    auto t = store.begin_read("k");
    moved_from.emplace(std::move(t));
    CHECK_FALSE(t.tracked());
    CHECK(moved_from->tracked());
  }
  moved_from.reset();
  // Assigning over a live ticket abandons the old read.
  auto a = store.begin_read("a");
  a = store.begin_read("b");
  CHECK(store.complete_read(std::move(a), get("b"), bulk("v")) == CacheInsert::stored);
  CHECK_FALSE(a.tracked());
  // A used-up ticket stores nothing.
  CHECK(store.complete_read(std::move(a), get("b"), bulk("again")) == CacheInsert::untracked);
  CHECK(cached(store, "b") == bulk("v"));
  const auto s = store.stats();
  CHECK(s.entries == 1);
  CHECK(s.stale_reads == 0);
}

TEST_CASE("cache in flight: a key's generation survives the removal of its entries", "[cache]") {
  // The key node stays while a read is in flight even when LRU eviction takes
  // its last entry, so a later invalidation still reaches the read.
  const std::string value(100, 'v');
  const std::size_t one = CacheStore::entry_overhead + get("k").size() + bulk(value).size() + CacheStore::key_overhead + 1;
  CacheStore store(CacheConfig{.max_bytes = one});
  REQUIRE(cache_test::fill(store, "k", value) == CacheInsert::stored);
  auto t = store.begin_read("k");
  REQUIRE(cache_test::fill(store, "j", value) == CacheInsert::stored);  // evicts k's entry
  CHECK(cached(store, "k") == "<miss>");
  store.invalidate("k");
  CHECK(store.complete_read(std::move(t), get("k"), bulk(value)) == CacheInsert::stale);
}

TEST_CASE("cache in flight: a ticket completes only on its own store", "[cache]") {
  CacheStore a(CacheConfig{}), b(CacheConfig{});
  auto t = a.begin_read("k");
  CHECK_THROWS_AS(b.complete_read(std::move(t), get("k"), bulk("v")), valkey::Error);
  CHECK(t.tracked());  // still a's, released on a by its destructor
  CHECK(a.complete_read(std::move(t), get("k"), bulk("v")) == CacheInsert::stored);
}
