// Client-side caching through the cluster clients against a real 3+3
// cluster: hits that never reach the key's primary, another client's write
// seen after one round trip to that node, read-your-writes over every slot, a
// slot moved (the cache flushed at the MOVED), MGET mixing hits and misses,
// AsyncClusterClient, threads, and RESP2 refused.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/cluster/async_cluster_client.hpp>
#include <valkey/cluster/cluster_client.hpp>

#include "client_test_util.hpp"
#include "support/cluster.hpp"
#include "support/wait.hpp"

using namespace std::chrono_literals;
using valkey::test::Cluster;

namespace {

Cluster& shared_cluster() {
  static Cluster cluster;  // started on first use, stopped at exit
  return cluster;
}

valkey::ClusterConfig cached_config(const Cluster& cluster, valkey::CacheConfig cache = {}) {
  valkey::ClusterConfig c = valkey::ClusterConfig::from_url(cluster.seed_url());
  c.node.cache = std::move(cache);
  return c;
}

// calls=N of `cmdstat_<name>` in INFO commandstats of node `i` (0 when absent).
std::int64_t calls(Cluster& c, std::size_t i, const std::string& name) {
  const std::string stats = c.node(i).command({"INFO", "commandstats"}).as_string();
  const std::string tag = "cmdstat_" + name + ":calls=";
  const auto at = stats.find(tag);
  if (at == std::string::npos) return 0;
  return std::stoll(stats.substr(at + tag.size()));
}

}  // namespace

TEST_CASE("cluster cache: a second cached GET does not reach the key's primary", "[cluster][cache]") {
  Cluster& cluster = shared_cluster();
  valkey::ClusterClient db{cached_config(cluster)};
  const std::string key = "cc:hit";
  const std::size_t owner = cluster.owner_of(key);
  db.set(key, "v1");
  CHECK(db.cached(5s).get(key) == "v1");
  const std::int64_t gets = calls(cluster, owner, "get");
  for (int i = 0; i < 100; ++i) REQUIRE(db.cached(5s).get(key) == "v1");
  CHECK(calls(cluster, owner, "get") == gets);
  const valkey::CacheStats s = db.cache_stats();
  CHECK(s.hits == 100);
  CHECK(s.misses == 1);
  CHECK(s.entries == 1);
  // The read went out framed: the owner counted one CLIENT CACHING and one PTTL.
  CHECK(calls(cluster, owner, "client|caching") >= 1);
  CHECK(calls(cluster, owner, "pttl") >= 1);
  // Another cacheable read.
  db.hset("cc:h", "f", "x");
  CHECK(db.cached(5s).hget("cc:h", "f") == "x");
  const std::size_t hash_owner = cluster.owner_of("cc:h");
  const std::int64_t hgets = calls(cluster, hash_owner, "hget");
  CHECK(db.cached(5s).hget("cc:h", "f") == "x");
  CHECK(calls(cluster, hash_owner, "hget") == hgets);
  db.flush_cache();
  CHECK(db.cache_stats().entries == 0);
}

TEST_CASE("cluster cache: another client's SET then a PING to that node on ours: the next cached GET has the new value",
          "[cluster][cache]") {
  Cluster& cluster = shared_cluster();
  valkey::ClusterClient db{cached_config(cluster)};
  const std::string key = "cc:other";
  const std::size_t owner = cluster.owner_of(key);
  const std::string node = cluster.address(owner);
  db.set(key, "old");
  for (int i = 0; i < 100; ++i) {
    const std::string expect = "v" + std::to_string(i);
    REQUIRE(db.cached(10s).get(key).has_value());
    REQUIRE(db.cached(10s).get(key).has_value());  // a hit
    cluster.node(owner).command({"SET", key, expect});
    // The invalidation comes on our connection to the owner before this PONG.
    db.call_on(node, {"PING"});
    REQUIRE(db.cached(10s).get(key) == expect);
  }
  CHECK(db.cache_stats().invalidations >= 99);
  CHECK(db.cache_stats().hits >= 100);
}

TEST_CASE("cluster cache: our own SET then a cached GET, 1,000 keys over all slots (read-your-writes)",
          "[cluster][cache]") {
  Cluster& cluster = shared_cluster();
  valkey::ClusterClient db{cached_config(cluster)};
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "cc:ryw:" + std::to_string(i);
    db.set(key, "a" + std::to_string(i));
    REQUIRE(db.cached(10s).get(key) == "a" + std::to_string(i));
    REQUIRE(db.cached(10s).get(key) == "a" + std::to_string(i));  // a hit
    db.set(key, "b" + std::to_string(i));
    REQUIRE(db.cached(10s).get(key) == "b" + std::to_string(i));
  }
  CHECK(db.cache_stats().hits >= 1000);
  CHECK(db.cache_stats().write_evictions >= 1000);
  // Through call() and a pipeline as well.
  db.call({"SET", "cc:ryw:0", "by-call"});
  CHECK(db.cached(10s).get("cc:ryw:0") == "by-call");
  db.pipeline().set("cc:ryw:0", "by-pipeline").exec();
  CHECK(db.cached(10s).get("cc:ryw:0") == "by-pipeline");
}

TEST_CASE("cluster cache: with read_from = prefer_replica, cached reads go to the primary", "[cluster][cache]") {
  Cluster& cluster = shared_cluster();
  valkey::ClusterConfig cfg = cached_config(cluster);
  cfg.read_from = valkey::ReadFrom::prefer_replica;
  valkey::ClusterClient db{cfg};
  const std::string key = "cc:replica";
  const std::size_t owner = cluster.owner_of(key);
  const std::string node = cluster.address(owner);
  db.set(key, "v1");
  for (int i = 0; i < 20; ++i) {
    const std::int64_t gets = calls(cluster, owner, "get");
    REQUIRE(db.cached(10s).get(key) == "v" + std::to_string(i + 1));  // the miss, on the primary
    REQUIRE(calls(cluster, owner, "get") == gets + 1);
    REQUIRE(db.cached(10s).get(key) == "v" + std::to_string(i + 1));  // a hit
    REQUIRE(calls(cluster, owner, "get") == gets + 1);
    db.set(key, "v" + std::to_string(i + 2));  // read right after our write: never a replica's lag
    // The SET's invalidation of our entry comes after its reply: read before
    // the next read's ticket, which it would otherwise make stale (not stored).
    db.call_on(node, {"PING"});
  }
}

TEST_CASE("cluster cache: a slot moved to another primary flushes the cache at the MOVED; the next read is right",
          "[cluster][cache]") {
  Cluster& cluster = shared_cluster();
  valkey::ClusterConfig cfg = cached_config(cluster);
  cfg.topology_check_interval = 0ms;  // the MOVED is what tells the client
  valkey::ClusterClient db{cfg};
  const std::string key = "{cc-moving}k";
  const int slot = Cluster::key_slot(key);
  const std::size_t source = cluster.owner_of(key);
  // The slot is empty: the nil answer is cached (and tracked on the source).
  CHECK(db.cached(60s).get(key) == std::nullopt);
  CHECK(db.cached(60s).get(key) == std::nullopt);
  CHECK(db.cache_stats().hits == 1);
  std::size_t target = source;
  for (std::size_t i = 0; i < cluster.initial_primary_count(); ++i)
    if (i != source && cluster.role(i) == "master") target = i;
  REQUIRE(target != source);
  cluster.give_slot(slot, target);
  // Written on the new owner, which never tracked the key for us.
  cluster.node(target).command({"SET", key, "after"});
  const std::uint64_t flushes = db.cache_stats().flushes;
  // Any request of ours to the slot learns of the move.
  db.set("{cc-moving}other", "x");
  CHECK(db.stats().moved >= 1);
  CHECK(db.cache_stats().flushes > flushes);
  CHECK(db.cache_stats().entries == 0);
  CHECK(db.cached(60s).get(key) == "after");
  CHECK(db.cached(60s).get(key) == "after");
  // Now tracked on the new owner: its writes invalidate.
  cluster.node(target).command({"SET", key, "later"});
  db.call_on(cluster.address(target), {"PING"});
  CHECK(db.cached(60s).get(key) == "later");
}

TEST_CASE("cluster cache: MGET through the cache mixes hits and misses in key order", "[cluster][cache]") {
  Cluster& cluster = shared_cluster();
  valkey::ClusterClient db{cached_config(cluster)};
  const std::vector<std::string> keys{"cc:m:a", "cc:m:b", "cc:m:c", "cc:m:d", "cc:m:e"};
  for (const auto& k : keys) db.set(k, "v-" + k);
  REQUIRE(db.cached(10s).get("cc:m:a") == "v-cc:m:a");
  REQUIRE(db.cached(10s).get("cc:m:d") == "v-cc:m:d");
  const valkey::CacheStats before = db.cache_stats();
  const auto got = db.cached(10s).mget({"cc:m:a", "cc:m:b", "cc:m:missing", "cc:m:c", "cc:m:d", "cc:m:e"});
  CHECK(got == std::vector<std::optional<std::string>>{"v-cc:m:a", "v-cc:m:b", std::nullopt, "v-cc:m:c", "v-cc:m:d",
                                                       "v-cc:m:e"});
  const valkey::CacheStats after = db.cache_stats();
  CHECK(after.hits == before.hits + 2);
  CHECK(after.misses == before.misses + 4);
  // Every key a hit: no MGET reaches any node.
  std::int64_t mgets = 0;
  for (std::size_t i = 0; i < cluster.size(); ++i) mgets += calls(cluster, i, "mget");
  CHECK(db.cached(10s).mget({"cc:m:d", "cc:m:a"}) == std::vector<std::optional<std::string>>{"v-cc:m:d", "v-cc:m:a"});
  std::int64_t mgets_after = 0;
  for (std::size_t i = 0; i < cluster.size(); ++i) mgets_after += calls(cluster, i, "mget");
  CHECK(mgets_after == mgets);
  // A write between: the next MGET reads the new value.
  db.set("cc:m:a", "new");
  CHECK(db.cached(10s).mget({"cc:m:a", "cc:m:d"}) == std::vector<std::optional<std::string>>{"new", "v-cc:m:d"});
}

TEST_CASE("cluster cache: AsyncClusterClient serves hits posted, sees invalidations and its own writes",
          "[cluster][cache]") {
  Cluster& cluster = shared_cluster();
  asio::io_context ioc;
  std::optional<valkey::AsyncClusterClient> holder{std::in_place, ioc.get_executor(), cached_config(cluster)};
  valkey::AsyncClusterClient& c = *holder;
  const std::string key = "cc:async";
  const std::size_t owner = cluster.owner_of(key);
  cluster.node(owner).command({"SET", key, "v1"});
  bool done = false;
  std::int64_t gets_between = -1;
  bool completed_inside = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        auto v = co_await c.cached(10s).get(key, asio::use_awaitable);
        CHECK(v == "v1");
        const std::int64_t before = calls(cluster, owner, "get");
        for (int i = 0; i < 50; ++i) {
          v = co_await c.cached(10s).get(key, asio::use_awaitable);
          CHECK(v == "v1");
        }
        gets_between = calls(cluster, owner, "get") - before;
        // A hit completes through a post, never inside the call.
        bool called = false;
        c.cached(10s).get(key, [&](std::error_code ec, std::optional<std::string> got) {
          CHECK_FALSE(ec);
          CHECK(got == "v1");
          called = true;
        });
        completed_inside = called;
        cluster.node(owner).command({"SET", key, "v2"});
        const std::vector<std::string> ping{"PING"};  // (no braced list inside co_await: a g++ 12 bug)
        co_await c.call_on(cluster.address(owner), ping, asio::use_awaitable);
        v = co_await c.cached(10s).get(key, asio::use_awaitable);
        CHECK(v == "v2");
        co_await c.set(key, "v3", asio::use_awaitable);
        v = co_await c.cached(10s).get(key, asio::use_awaitable);
        CHECK(v == "v3");
        const std::vector<std::string> keys{key, "cc:async:none", key};
        const std::vector<std::optional<std::string>> expect{"v3", std::nullopt, "v3"};
        auto many = co_await c.cached(10s).mget(keys, asio::use_awaitable);
        CHECK(many == expect);
        done = true;
      },
      asio::detached);
  REQUIRE(valkey::test::run_until(ioc, [&] { return done; }, 30s));
  CHECK(gets_between == 0);
  CHECK_FALSE(completed_inside);
  // The 50 hits and the posted one; the MGET's depend on whether the
  // invalidation our SET caused (sent after its reply) came before the next
  // read's ticket: if not, that read is not stored (stale_reads).
  CHECK(c.cache_stats().hits >= 51);
  holder.reset();
  ioc.restart();
  ioc.run_for(3s);
}

TEST_CASE("cluster cache threads: 4 threads write and read their own keys through one cache, always their last write",
          "[cluster][cache][threads]") {
  Cluster& cluster = shared_cluster();
  valkey::ClusterClient db{cached_config(cluster)};
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const std::string key = "cc:t" + std::to_string(t) + ":" + std::to_string(i % 50);
        const std::string v = std::to_string(i);
        db.set(key, v);
        if (db.cached(10s).get(key) != v) ++wrong[static_cast<std::size_t>(t)];
        if (db.cached(10s).get(key) != v) ++wrong[static_cast<std::size_t>(t)];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int w : wrong) CHECK(w == 0);
  // A read right after our SET of a key we had read is stored only when the
  // invalidation that SET caused (sent after its reply) was read before the
  // read's ticket; the rest count as stale_reads.
  const valkey::CacheStats s = db.cache_stats();
  CHECK(s.hits > 0);
  CHECK(s.hits + s.misses == 2400);
}

TEST_CASE("cluster cache: RESP2 is refused at construction", "[cluster][cache]") {
  valkey::ClusterConfig c = valkey::ClusterConfig::from_url("valkey://127.0.0.1:1");
  c.node.protocol = valkey::Protocol::resp2;
  c.node.cache = valkey::CacheConfig{};
  try {
    valkey::ClusterClient db{c};
    FAIL("a RESP2 configuration with a cache was accepted");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::invalid_argument);
    CHECK(std::string(e.what()).find("Config::cache needs protocol resp3") != std::string::npos);
  }
  asio::io_context ioc;
  CHECK_THROWS_AS((valkey::AsyncClusterClient{ioc.get_executor(), c}), valkey::Error);
}
