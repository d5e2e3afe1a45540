// CacheStore without threads: hits, LRU eviction and memory accounting,
// expiry, prefixes, invalidation, flushes and stats.
#include <catch2/catch_test_macros.hpp>

#include <string>

#include "cache_support.hpp"

using namespace std::chrono_literals;
using cache_test::bulk;
using cache_test::cached;
using cache_test::fill;
using cache_test::get;
using valkey::CacheConfig;
using valkey::CacheInsert;
using valkey::CacheStore;

namespace {
// The accounted size of one GET entry whose key has no other entry.
std::size_t cost_of(std::string_view key, std::string_view value) {
  return CacheStore::entry_overhead + get(key).size() + bulk(value).size() + CacheStore::key_overhead + key.size();
}
}  // namespace

TEST_CASE("cache store: a stored reply is served by request, byte for byte", "[cache]") {
  CacheStore store(CacheConfig{});
  CHECK(cached(store, "k") == "<miss>");
  REQUIRE(fill(store, "k", "v1") == CacheInsert::stored);
  CHECK(cached(store, "k") == bulk("v1"));
  // Another command on the same key is another entry.
  std::string out;
  CHECK_FALSE(store.lookup(cache_test::request({"HGETALL", "k"}), out));
  const auto hgetall = cache_test::request({"HGETALL", "k"});
  const std::string map_reply = "%1\r\n$1\r\nf\r\n$1\r\nx\r\n";
  REQUIRE(store.complete_read(store.begin_read("k"), hgetall, map_reply) == CacheInsert::stored);
  REQUIRE(store.lookup(hgetall, out));
  CHECK(out == map_reply);
  // visit hands out the bytes in place.
  std::string_view seen;
  CHECK(store.visit(get("k"), [&](std::string_view r) { seen = r; }));
  CHECK(seen == bulk("v1"));

  const auto s = store.stats();
  CHECK(s.entries == 2);
  CHECK(s.hits == 3);
  CHECK(s.misses == 2);
  CHECK(s.bytes == cost_of("k", "v1") + CacheStore::entry_overhead + hgetall.size() + map_reply.size());
}

TEST_CASE("cache store: the output buffer is reused on a hit", "[cache]") {
  CacheStore store(CacheConfig{});
  const std::string value(100, 'x');
  REQUIRE(fill(store, "k", value) == CacheInsert::stored);
  std::string out;
  out.reserve(256);
  const char* data = out.data();
  const auto req = get("k");
  for (int i = 0; i < 3; ++i) {
    REQUIRE(store.lookup(req, out));
    CHECK(out.data() == data);
    CHECK(out == bulk(value));
  }
}

TEST_CASE("cache store: error replies are not stored", "[cache]") {
  CacheStore store(CacheConfig{});
  CHECK(store.complete_read(store.begin_read("k"), get("k"), "-WRONGTYPE Operation\r\n") == CacheInsert::error_reply);
  CHECK(store.complete_read(store.begin_read("k"), get("k"), "!3\r\nERR\r\n") == CacheInsert::error_reply);
  CHECK(cached(store, "k") == "<miss>");
  CHECK(store.stats().entries == 0);
}

TEST_CASE("cache store: memory stays within max_bytes, least recently used first out", "[cache]") {
  const std::string value(100, 'v');
  const std::size_t one = cost_of("k0", value);
  CacheStore store(CacheConfig{.max_bytes = 3 * one});
  REQUIRE(fill(store, "k0", value) == CacheInsert::stored);
  REQUIRE(fill(store, "k1", value) == CacheInsert::stored);
  REQUIRE(fill(store, "k2", value) == CacheInsert::stored);
  CHECK(store.stats().bytes == 3 * one);
  CHECK(cached(store, "k0") != "<miss>");  // k0 now most recent, k1 the oldest
  REQUIRE(fill(store, "k3", value) == CacheInsert::stored);
  CHECK(cached(store, "k1") == "<miss>");
  CHECK(cached(store, "k0") != "<miss>");
  CHECK(cached(store, "k2") != "<miss>");
  CHECK(cached(store, "k3") != "<miss>");
  auto s = store.stats();
  CHECK(s.evictions == 1);
  CHECK(s.entries == 3);
  CHECK(s.bytes == 3 * one);

  // A bigger entry evicts as many as it needs.
  const std::string big(2 * one - CacheStore::entry_overhead - CacheStore::key_overhead - 40, 'b');
  REQUIRE(fill(store, "kb", big) == CacheInsert::stored);
  s = store.stats();
  CHECK(s.bytes <= 3 * one);
  CHECK(s.evictions == 3);  // k2 and k0, the two least recently used
  CHECK(s.entries == 2);
  CHECK(cached(store, "kb") == bulk(big));
  CHECK(cached(store, "k3") != "<miss>");
}

TEST_CASE("cache store: an entry larger than max_bytes is not cached and evicts nothing", "[cache]") {
  const std::string value(100, 'v');
  CacheStore store(CacheConfig{.max_bytes = cost_of("k", value)});
  CHECK(fill(store, "k", value) == CacheInsert::stored);
  CHECK(fill(store, "other", std::string(101, 'v')) == CacheInsert::too_large);
  CHECK(cached(store, "k") == bulk(value));
  CHECK(store.stats().evictions == 0);
}

TEST_CASE("cache store: many values under a small budget never exceed it", "[cache]") {
  const std::size_t budget = 64 * 1024;
  CacheStore store(CacheConfig{.max_bytes = budget});
  const std::string value(1024, 'v');
  for (int i = 0; i < 2000; ++i) {
    const std::string key = "key:" + std::to_string(i);
    REQUIRE(fill(store, key, value) == CacheInsert::stored);
    if (i % 3 == 0) {  // a second command on the same key shares its key accounting
      const auto req = cache_test::request({"STRLEN", key});
      REQUIRE(store.complete_read(store.begin_read(key), req, ":1024\r\n") == CacheInsert::stored);
    }
    REQUIRE(store.stats().bytes <= budget);
  }
  const auto s = store.stats();
  CHECK(s.evictions > 1900);
  CHECK(s.entries > 40);
  CHECK(cached(store, "key:1999") == bulk(value));
  CHECK(cached(store, "key:0") == "<miss>");
}

TEST_CASE("cache store: replacing a request's entry keeps one entry and exact bytes", "[cache]") {
  CacheStore store(CacheConfig{});
  REQUIRE(fill(store, "k", "old") == CacheInsert::stored);
  REQUIRE(fill(store, "k", "newer") == CacheInsert::stored);
  CHECK(cached(store, "k") == bulk("newer"));
  const auto s = store.stats();
  CHECK(s.entries == 1);
  CHECK(s.bytes == cost_of("k", "newer"));
  CHECK(s.evictions == 0);
}

TEST_CASE("cache store: expiry at the earliest of max_ttl, the per-call TTL and the server's TTL", "[cache]") {
  cache_test::ManualClock clock;
  CacheStore store(CacheConfig{.max_ttl = 1000ms}, clock);

  SECTION("max_ttl") {
    REQUIRE(fill(store, "k", "v") == CacheInsert::stored);
    clock.advance(999ms);
    CHECK(cached(store, "k") == bulk("v"));
    clock.advance(1ms);
    CHECK(cached(store, "k") == "<miss>");
    const auto s = store.stats();
    CHECK(s.expirations == 1);
    CHECK(s.entries == 0);
    CHECK(s.bytes == 0);
  }
  SECTION("per-call TTL shorter") {
    REQUIRE(fill(store, "k", "v", {.ttl = 200ms}) == CacheInsert::stored);
    clock.advance(199ms);
    CHECK(cached(store, "k") == bulk("v"));
    clock.advance(1ms);
    CHECK(cached(store, "k") == "<miss>");
  }
  SECTION("server TTL shortest") {
    REQUIRE(fill(store, "k", "v", {.ttl = 200ms, .server_deadline = clock.now() + 50ms}) == CacheInsert::stored);
    clock.advance(49ms);
    CHECK(cached(store, "k") == bulk("v"));
    clock.advance(1ms);
    CHECK(cached(store, "k") == "<miss>");
  }
  SECTION("per-call TTL longer than max_ttl") {
    REQUIRE(fill(store, "k", "v", {.ttl = 5000ms}) == CacheInsert::stored);
    clock.advance(1000ms);
    CHECK(cached(store, "k") == "<miss>");
  }
  SECTION("counted from begin_read, not from the reply") {
    auto t = store.begin_read("k");
    clock.advance(600ms);  // a slow round trip
    REQUIRE(store.complete_read(std::move(t), get("k"), bulk("v")) == CacheInsert::stored);
    clock.advance(400ms);
    CHECK(cached(store, "k") == "<miss>");
  }
  SECTION("already expired on arrival") {
    auto t = store.begin_read("k");
    clock.advance(1000ms);
    CHECK(store.complete_read(std::move(t), get("k"), bulk("v")) == CacheInsert::expired);
    CHECK(fill(store, "k", "v", {.server_deadline = clock.now()}) == CacheInsert::expired);
    CHECK(store.stats().entries == 0);
  }
}

TEST_CASE("cache store: without any TTL an entry lives until invalidated", "[cache]") {
  cache_test::ManualClock clock;
  CacheStore store(CacheConfig{}, clock);
  REQUIRE(fill(store, "k", "v") == CacheInsert::stored);
  clock.advance(std::chrono::hours(24 * 365));
  CHECK(cached(store, "k") == bulk("v"));
}

TEST_CASE("cache store: expired entries at the LRU tail count as expirations", "[cache]") {
  cache_test::ManualClock clock;
  const std::string value(100, 'v');
  CacheStore store(CacheConfig{.max_bytes = 2 * cost_of("k0", value)}, clock);
  REQUIRE(fill(store, "k0", value, {.ttl = 10ms}) == CacheInsert::stored);
  REQUIRE(fill(store, "k1", value) == CacheInsert::stored);
  clock.advance(10ms);
  REQUIRE(fill(store, "k2", value) == CacheInsert::stored);
  const auto s = store.stats();
  CHECK(s.expirations == 1);
  CHECK(s.evictions == 0);
}

TEST_CASE("cache store: the drop listener hears each eviction and expiration once, after the lock", "[cache]") {
  cache_test::ManualClock clock;
  const std::string value(100, 'v');
  CacheStore store(CacheConfig{.max_bytes = 2 * cost_of("k0", value)}, clock);
  std::size_t evicted = 0, expired = 0, calls = 0;
  store.on_drop([&](valkey::CacheDrop drop, std::size_t n) {
    ++calls;
    (drop == valkey::CacheDrop::eviction ? evicted : expired) += n;
    (void)store.stats();  // the store's lock is free: this would deadlock under it
  });
  REQUIRE(fill(store, "k0", value, {.ttl = 10ms}) == CacheInsert::stored);
  REQUIRE(fill(store, "k1", value) == CacheInsert::stored);
  CHECK(calls == 0);
  // k0 expired at the LRU tail: dropped as an expiration to make room.
  clock.advance(10ms);
  REQUIRE(fill(store, "k2", value) == CacheInsert::stored);
  CHECK(expired == 1);
  CHECK(evicted == 0);
  // k1 is the tail now and live: an eviction.
  REQUIRE(fill(store, "k3", value) == CacheInsert::stored);
  CHECK(evicted == 1);
  // An expired entry found by a lookup.
  REQUIRE(fill(store, "k4", value, {.ttl = 5ms}) == CacheInsert::stored);
  CHECK(evicted == 2);  // k2 made room for k4
  clock.advance(5ms);
  CHECK(cached(store, "k4") == "<miss>");
  CHECK(expired == 2);
  // A plain miss, a hit, an invalidation and a flush are not the store's own drops.
  const std::size_t before = calls;
  CHECK(cached(store, "nothing") == "<miss>");
  CHECK(cached(store, "k3") == bulk(value));
  store.invalidate("k3");
  store.flush_all(valkey::FlushReason::user);
  CHECK(calls == before);
  const auto s = store.stats();
  CHECK(s.evictions == evicted);
  CHECK(s.expirations == expired);
}

TEST_CASE("cache store: BCAST keeps only keys under the prefixes", "[cache]") {
  CacheStore store(CacheConfig{.mode = valkey::CacheMode::bcast, .prefixes = {"user:", "item:"}});
  CHECK(store.keeps("user:1"));
  CHECK(store.keeps("item:"));
  CHECK_FALSE(store.keeps("session:1"));
  CHECK_FALSE(store.keeps("use"));
  auto t = store.begin_read("session:1");
  CHECK_FALSE(t.tracked());
  CHECK(store.complete_read(std::move(t), get("session:1"), bulk("v")) == CacheInsert::untracked);
  CHECK(cached(store, "session:1") == "<miss>");
  CHECK(fill(store, "user:1", "v") == CacheInsert::stored);
  CHECK(cached(store, "user:1") == bulk("v"));

  CacheStore all(CacheConfig{.mode = valkey::CacheMode::bcast});
  CHECK(all.keeps("anything"));
}

TEST_CASE("cache store: invalidation, own writes and flushes drop entries", "[cache]") {
  CacheStore store(CacheConfig{});
  for (const char* k : {"a", "b", "c", "d"}) REQUIRE(fill(store, k, "v") == CacheInsert::stored);
  const auto strlen_a = cache_test::request({"STRLEN", "a"});
  REQUIRE(store.complete_read(store.begin_read("a"), strlen_a, ":1\r\n") == CacheInsert::stored);

  store.invalidate("a");  // both entries of the key
  std::string out;
  CHECK(cached(store, "a") == "<miss>");
  CHECK_FALSE(store.lookup(strlen_a, out));
  CHECK(cached(store, "b") == bulk("v"));
  store.invalidate("never-cached");  // nothing to drop, nothing kept for it
  store.invalidate({"b", "c"});
  CHECK(cached(store, "b") == "<miss>");
  CHECK(cached(store, "c") == "<miss>");
  auto s = store.stats();
  CHECK(s.invalidations == 4);
  CHECK(s.entries == 1);

  store.evict_written({"d"});
  CHECK(cached(store, "d") == "<miss>");
  s = store.stats();
  CHECK(s.write_evictions == 1);
  CHECK(s.bytes == 0);

  for (const char* k : {"a", "b"}) REQUIRE(fill(store, k, "v") == CacheInsert::stored);
  for (auto reason : {valkey::FlushReason::null_invalidation, valkey::FlushReason::disconnect,
                      valkey::FlushReason::health_check_failed}) {
    REQUIRE(fill(store, "a", "v") == CacheInsert::stored);
    store.flush_all(reason);
    CHECK(cached(store, "a") == "<miss>");
    CHECK(cached(store, "b") == "<miss>");
    CHECK(store.stats().entries == 0);
    CHECK(store.stats().bytes == 0);
  }
  CHECK(store.stats().flushes == 3);
}

TEST_CASE("cache store: extreme TTLs neither overflow nor store a negative one", "[cache]") {
  cache_test::ManualClock clock;
  CacheStore store(CacheConfig{.max_ttl = std::chrono::milliseconds::max()}, clock);
  REQUIRE(fill(store, "k", "v", {.ttl = std::chrono::milliseconds::max()}) == CacheInsert::stored);
  clock.advance(std::chrono::hours(24 * 365 * 100));
  CHECK(cached(store, "k") == bulk("v"));
  CHECK(fill(store, "j", "v", {.ttl = -1ms}) == CacheInsert::expired);
  CHECK(cached(store, "j") == "<miss>");
}
