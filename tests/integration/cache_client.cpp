// Client-side caching through the clients against a real server: hits that
// never reach it, invalidations from other clients, read-your-writes,
// reconnects, FLUSHALL, TTLs, the server's tracking table overflowing, the
// memory bound, and RESP2 refused.
#include <catch2/catch_test_macros.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/valkey.hpp>

#include "client_test_util.hpp"
#include "support/server_process.hpp"
#include "support/wait.hpp"

using namespace std::chrono_literals;

namespace {

valkey::Config cached_config(const valkey::test::ServerProcess& server, valkey::CacheConfig cache = {}) {
  valkey::Config c = valkey::Config::from_url(server.url());
  c.cache = std::move(cache);
  return c;
}

// calls=N of `cmdstat_<name>` in INFO commandstats (0 when absent).
std::int64_t calls(const valkey::test::ServerProcess& server, const std::string& name) {
  const std::string stats = server.command({"INFO", "commandstats"}).as_string();
  const std::string tag = "cmdstat_" + name + ":calls=";
  const auto at = stats.find(tag);
  if (at == std::string::npos) return 0;
  return std::stoll(stats.substr(at + tag.size()));
}

}  // namespace

TEST_CASE("cache: a second cached GET does not reach the server", "[cache]") {
  valkey::test::ServerProcess server;
  valkey::Client db{cached_config(server)};
  db.set("k", "v1");
  CHECK(db.cached(5s).get("k") == "v1");
  const std::int64_t gets = calls(server, "get");
  for (int i = 0; i < 100; ++i) REQUIRE(db.cached(5s).get("k") == "v1");
  CHECK(calls(server, "get") == gets);
  const valkey::CacheStats s = db.cache_stats();
  CHECK(s.hits == 100);
  CHECK(s.misses == 1);
  CHECK(s.entries == 1);
  // Other cacheable reads, and MGET: hits locally, misses in one MGET.
  db.hset("h", "f", "x");
  CHECK(db.cached(5s).hget("h", "f") == "x");
  CHECK(db.cached(5s).hget("h", "f") == "x");
  CHECK(db.cached(5s).mget({"k", "missing", "k2"}) ==
        std::vector<std::optional<std::string>>{"v1", std::nullopt, std::nullopt});
  const std::int64_t mgets = calls(server, "mget");
  db.set("k2", "v2");
  CHECK(db.cached(5s).mget({"k", "k2"}) == std::vector<std::optional<std::string>>{"v1", "v2"});
  CHECK(calls(server, "mget") == mgets + 1);
  CHECK(db.cached(5s).get("k2") == "v2");  // stored by the MGET as k2's GET entry
  CHECK(calls(server, "mget") == mgets + 1);
}

TEST_CASE("cache: another client's SET then one PING on ours: the next cached GET has the new value", "[cache]") {
  valkey::test::ServerProcess server;
  valkey::Client db{cached_config(server)};
  valkey::Client other{server.url()};
  db.set("k", "old");
  for (int i = 0; i < 200; ++i) {
    const std::string expect = "v" + std::to_string(i);
    REQUIRE(db.cached(10s).get("k").has_value());
    other.set("k", expect);
    db.ping();
    REQUIRE(db.cached(10s).get("k") == expect);
  }
  CHECK(db.cache_stats().invalidations >= 199);
}

TEST_CASE("cache: our own SET then a cached GET, 10,000 times (read-your-writes)", "[cache]") {
  valkey::test::ServerProcess server;
  valkey::Config cfg = cached_config(server);
  valkey::Client db{cfg};
  for (int i = 0; i < 10'000; ++i) {
    const std::string v = std::to_string(i);
    db.set("k", v);
    REQUIRE(db.cached(10s).get("k") == v);
    if (i % 2 == 0) REQUIRE(db.cached(10s).get("k") == v);  // a hit
  }
  CHECK(db.cache_stats().hits >= 5'000);
  // Through call(), a pipeline and a transaction as well.
  db.call({"SET", "k", "by-call"});
  CHECK(db.cached(10s).get("k") == "by-call");
  db.pipeline().set("k", "by-pipeline").exec();
  CHECK(db.cached(10s).get("k") == "by-pipeline");
  db.transaction().set("k", "by-transaction").exec();
  CHECK(db.cached(10s).get("k") == "by-transaction");
}

TEST_CASE("cache: CLIENT KILL and a change while disconnected: the old value is never served", "[cache]") {
  valkey::test::ServerProcess server;
  valkey::Config cfg = cached_config(server);
  cfg.max_connections = 1;
  valkey::Client db{cfg};
  valkey::Client other{server.url()};
  db.set("k", "before");
  REQUIRE(db.cached(60s).get("k") == "before");
  REQUIRE(db.cached(60s).get("k") == "before");
  const std::int64_t id = db.client_id();
  other.call({"CLIENT", "KILL", "ID", std::to_string(id)});
  other.set("k", "after");
  // Our next request learns of the kill (it fails, or goes out on the new
  // connection): from then on the cache was flushed.
  std::error_code ec;
  db.ping(ec);
  if (ec) db.ping();
  CHECK(db.cached(60s).get("k") == "after");
  CHECK(db.cache_stats().flushes >= 1);
  // Tracking is on again on the new connection.
  const valkey::Reply info = db.call({"CLIENT", "TRACKINGINFO"});
  const std::string text = info.to_string();
  INFO(text);
  CHECK(text.find("on") != std::string::npos);
  CHECK(text.find("optin") != std::string::npos);
  other.set("k", "after-reconnect");
  db.ping();
  CHECK(db.cached(60s).get("k") == "after-reconnect");
}

TEST_CASE("cache: FLUSHALL empties it", "[cache]") {
  valkey::test::ServerProcess server;
  valkey::Client db{cached_config(server)};
  valkey::Client other{server.url()};
  for (int i = 0; i < 50; ++i) db.set("k" + std::to_string(i), "v");
  for (int i = 0; i < 50; ++i) REQUIRE(db.cached(60s).get("k" + std::to_string(i)) == "v");
  CHECK(db.cache_stats().entries == 50);
  other.flushall();
  db.ping();
  CHECK(db.cache_stats().entries == 0);
  CHECK(db.cached(60s).get("k1") == std::nullopt);
  // Our own FLUSHALL as well.
  db.set("k1", "v");
  REQUIRE(db.cached(60s).get("k1") == "v");
  db.flushall();
  CHECK(db.cached(60s).get("k1") == std::nullopt);
}

TEST_CASE("cache: PEXPIRE 100 ms is honoured", "[cache]") {
  valkey::test::ServerProcess server;
  valkey::Client db{cached_config(server)};
  valkey::Client other{server.url()};
  db.set("k", "v");
  other.pexpire("k", 100ms);
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(db.cached(60s).get("k") == "v");
  // Served from the cache while the key lives, never after its TTL. The
  // server counts whole milliseconds and deletes a key once its clock is
  // past the expiry, so the key itself lives up to 1 ms beyond the 100 ms
  // (and the entry's deadline, the PTTL counted from when the read was
  // sent, can reach that far but no further).
  while (std::chrono::steady_clock::now() - start < 2s) {
    const auto before = std::chrono::steady_clock::now();
    const std::optional<std::string> v = db.cached(60s).get("k");
    if (!v) break;
    REQUIRE(before - start < 101ms);
    std::this_thread::sleep_for(5ms);
  }
  CHECK(db.cached(60s).get("k") == std::nullopt);
  CHECK(db.cache_stats().expirations >= 1);
}

TEST_CASE("cache: the per-call TTL and max_ttl bound an entry", "[cache]") {
  valkey::test::ServerProcess server;
  valkey::Client db{cached_config(server, {.max_ttl = 50ms})};
  db.set("k", "v");
  REQUIRE(db.cached().get("k") == "v");
  REQUIRE(db.cached().get("k") == "v");
  CHECK(db.cache_stats().hits == 1);
  std::this_thread::sleep_for(80ms);
  REQUIRE(db.cached().get("k") == "v");
  CHECK(db.cache_stats().hits == 1);  // expired: read again
}

TEST_CASE("cache: tracking-table-max-keys 100 with 10,000 keys stays correct", "[cache]") {
  valkey::test::ServerOptions options;
  options.config = {"tracking-table-max-keys 100"};
  valkey::test::ServerProcess server(options);
  valkey::Client db{cached_config(server)};
  valkey::Client other{server.url()};
  constexpr int n = 10'000;
  for (int i = 0; i < n; i += 500) {
    valkey::Batch<valkey::Client> b{db};
    for (int j = i; j < i + 500; ++j) b.set("key:" + std::to_string(j), "a");
    b.exec();
  }
  for (int i = 0; i < n; ++i) REQUIRE(db.cached(60s).get("key:" + std::to_string(i)) == "a");
  for (int i = 0; i < n; i += 500) {
    valkey::Batch<valkey::Client> b{other};
    for (int j = i; j < i + 500; ++j) b.set("key:" + std::to_string(j), "b");
    b.exec();
  }
  db.ping();
  for (int i = 0; i < n; ++i) REQUIRE(db.cached(60s).get("key:" + std::to_string(i)) == "b");
  // The server dropped keys from its table and said so: entries went.
  CHECK(db.cache_stats().invalidations >= n - 100);
}

TEST_CASE("cache: 10,000 values of 1 KiB with max_bytes = 1 MiB stay within 1 MiB", "[cache]") {
  valkey::test::ServerProcess server;
  valkey::Client db{cached_config(server, {.max_bytes = 1u << 20})};
  const std::string value(1024, 'x');
  for (int i = 0; i < 10'000; i += 500) {
    valkey::Batch<valkey::Client> b{db};
    for (int j = i; j < i + 500; ++j) b.set("big:" + std::to_string(j), value);
    b.exec();
  }
  for (int i = 0; i < 10'000; ++i) {
    REQUIRE(db.cached(60s).get("big:" + std::to_string(i)) == value);
    REQUIRE(db.cache_stats().bytes <= (1u << 20));
  }
  const valkey::CacheStats s = db.cache_stats();
  CHECK(s.evictions > 0);
  CHECK(s.entries > 0);
  CHECK(s.entries < 1'000);
  // The most recent ones are hits.
  CHECK(db.cached(60s).get("big:9999") == value);
  CHECK(db.cache_stats().hits == s.hits + 1);
}

TEST_CASE("cache: the observer hears hits, misses, evictions and expirations as the store counts them",
          "[cache][observe]") {
  struct CacheCounts final : valkey::Observer {
    std::array<std::atomic<std::size_t>, 6> n{};
    void on_cache(const valkey::CacheEvent& e) override { n[static_cast<std::size_t>(e.kind)] += e.count; }
    std::size_t of(valkey::CacheEvent::Kind k) const { return n[static_cast<std::size_t>(k)].load(); }
  };
  using Kind = valkey::CacheEvent::Kind;
  valkey::test::ServerProcess server;
  auto counts = std::make_shared<CacheCounts>();
  valkey::Config config = cached_config(server, {.max_bytes = 16u << 10});
  config.observer = counts;
  valkey::Client db{config};
  const std::string value(512, 'x');
  for (int i = 0; i < 100; ++i) db.set("obs:" + std::to_string(i), value);
  for (int i = 0; i < 100; ++i) REQUIRE(db.cached(60s).get("obs:" + std::to_string(i)) == value);
  REQUIRE(db.cached(60s).get("obs:99") == value);  // a hit
  // An entry past its per-call TTL, found by the next lookup.
  REQUIRE(db.cached(20ms).get("obs:0") == value);
  std::this_thread::sleep_for(40ms);
  REQUIRE(db.cached(20ms).get("obs:0") == value);

  const valkey::CacheStats s = db.cache_stats();
  CHECK(s.evictions > 0);
  CHECK(s.expirations > 0);
  CHECK(counts->of(Kind::eviction) == s.evictions);
  CHECK(counts->of(Kind::expiration) == s.expirations);
  CHECK(counts->of(Kind::hit) == s.hits);
  CHECK(counts->of(Kind::miss) == s.misses);
}

TEST_CASE("cache: BCAST caches keys under the prefixes only", "[cache]") {
  valkey::test::ServerProcess server;
  valkey::Client db{cached_config(server, {.mode = valkey::CacheMode::bcast, .prefixes = {"user:"}})};
  valkey::Client other{server.url()};
  db.set("user:1", "ada");
  db.set("item:1", "pen");
  CHECK(db.cached(60s).get("user:1") == "ada");
  CHECK(db.cached(60s).get("item:1") == "pen");
  CHECK(db.cache_stats().entries == 1);
  other.set("user:1", "grace");
  db.ping();
  CHECK(db.cached(60s).get("user:1") == "grace");
}

TEST_CASE("cache: RESP2 is refused at construction", "[cache]") {
  valkey::Config c;
  c.protocol = valkey::Protocol::resp2;
  c.cache.emplace();  // (assigning a CacheConfig{} makes g++ 12 warn of a maybe-uninitialized vector)
  try {
    valkey::Client db{c};
    FAIL("a RESP2 configuration with a cache was accepted");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::invalid_argument);
    CHECK(std::string(e.what()).find("Config::cache needs protocol resp3") != std::string::npos);
  }
  asio::io_context ioc;
  CHECK_THROWS_AS((valkey::AsyncClient{ioc.get_executor(), c}), valkey::Error);
}

TEST_CASE("cache: AsyncClient serves hits without I/O and sees invalidations", "[cache]") {
  valkey::test::ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), cached_config(server)};
  valkey::Client other{server.url()};
  other.set("k", "v1");
  bool done = false;
  std::int64_t gets_between = -1;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        auto v = co_await c.cached(10s).get("k", asio::use_awaitable);
        CHECK(v == "v1");
        const std::int64_t before = calls(server, "get");
        for (int i = 0; i < 50; ++i) {
          v = co_await c.cached(10s).get("k", asio::use_awaitable);
          CHECK(v == "v1");
        }
        gets_between = calls(server, "get") - before;
        other.set("k", "v2");
        co_await c.ping(asio::use_awaitable);
        v = co_await c.cached(10s).get("k", asio::use_awaitable);
        CHECK(v == "v2");
        co_await c.set("k", "v3", asio::use_awaitable);
        v = co_await c.cached(10s).get("k", asio::use_awaitable);
        CHECK(v == "v3");
        done = true;
      },
      asio::detached);
  REQUIRE(valkey::test::run_until(ioc, [&] { return done; }, 20s));
  CHECK(gets_between == 0);
  CHECK(c.cache_stats().hits >= 50);
}

TEST_CASE("cache: MGET through AsyncClient::cached() serves hits locally and fetches the misses in one MGET",
          "[cache]") {
  valkey::test::ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), cached_config(server)};
  valkey::Client other{server.url()};
  other.set("a", "1");
  other.set("b", "2");
  using Values = std::vector<std::optional<std::string>>;
  bool done = false;
  std::int64_t mgets_all_hits = -1, gets_after = -1;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        // (co_await outside CHECK: g++ 12 evaluates a co_await inside the
        // macro's expression more than once, and each would be a request)
        auto a = co_await c.cached(10s).get("a", asio::use_awaitable);  // a is cached
        CHECK(a == "1");
        const std::int64_t mgets = calls(server, "mget");
        // a from the cache; b and the missing c in one MGET, in key order.
        const std::vector<std::string> keys{"b", "a", "c"};
        const Values first{"2", "1", std::nullopt};  // (no braced list inside co_await: a g++ 12 bug)
        auto got = co_await c.cached(10s).mget(keys, asio::use_awaitable);
        CHECK(got == first);
        CHECK(calls(server, "mget") == mgets + 1);
        // b was stored by that MGET: now every key but c is a hit...
        const std::int64_t gets = calls(server, "get");
        auto b = co_await c.cached(10s).get("b", asio::use_awaitable);
        CHECK(b == "2");
        gets_after = calls(server, "get") - gets;
        // ...and an MGET of hits only sends nothing.
        const std::vector<std::string> hits{"a", "b"};
        const std::int64_t before = calls(server, "mget");
        const Values cached_values{"1", "2"};
        got = co_await c.cached(10s).mget(hits, asio::use_awaitable);
        CHECK(got == cached_values);
        mgets_all_hits = calls(server, "mget") - before;
        // Another client's write invalidates b: the next MGET fetches it again.
        other.set("b", "3");
        co_await c.ping(asio::use_awaitable);
        const Values refreshed{"1", "3"};
        got = co_await c.cached(10s).mget(hits, asio::use_awaitable);
        CHECK(got == refreshed);
        done = true;
      },
      asio::detached);
  REQUIRE(valkey::test::run_until(ioc, [&] { return done; }, 20s));
  CHECK(gets_after == 0);
  CHECK(mgets_all_hits == 0);
}

TEST_CASE("cache: an asynchronous cached MGET built with a deferred token outlives its key list", "[cache]") {
  valkey::test::ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), cached_config(server)};
  valkey::Client other{server.url()};
  other.set("k1", "v1");
  other.set("k2", "v2");
  std::optional<std::vector<std::optional<std::string>>> got;
  {
    std::vector<std::string> keys{"k1", "k2"};
    auto op = c.cached(10s).mget(keys, asio::experimental::deferred);
    keys.assign({"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"});  // the caller's strings change
    std::move(op)([&](std::error_code ec, std::vector<std::optional<std::string>> v) {
      CHECK_FALSE(ec);
      got = std::move(v);
    });
  }
  REQUIRE(valkey::test::run_until(ioc, [&] { return got.has_value(); }, 10s));
  CHECK(*got == std::vector<std::optional<std::string>>{"v1", "v2"});
}
