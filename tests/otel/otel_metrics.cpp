// The adapter's metrics, read back through the SDK's in-memory metric
// exporter: one duration measurement per request, connections counted, a
// CLIENT KILL counted as a reconnect, a cluster MOVED counted as a topology
// change, the client-side cache's hits, misses, drops and invalidations.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <string>
#include <thread>

#include <valkey/cluster/cluster_client.hpp>
#include <valkey/otel/observer.hpp>
#include <valkey/valkey.hpp>

#include "support/cluster.hpp"
#include "support/server_process.hpp"
#include "support/wait.hpp"
#include "telemetry.hpp"

using namespace std::chrono_literals;
using valkey::test::ServerProcess;
using valkey::test::Telemetry;

TEST_CASE("otel metrics: the duration histogram counts every command sent", "[otel]") {
  ServerProcess server;
  Telemetry t;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.observer = valkey::otel::make_observer(t.options());
  valkey::Client db{cfg};
  for (int i = 0; i < 25; ++i) db.incr("n");
  db.get("n");
  t.flush();
  CHECK(t.histogram_count("db.client.operation.duration") == 26);
  CHECK(t.sum("db.client.connection.count") == 1);
  CHECK(t.histogram_count("db.client.connection.create_time") == 1);
  CHECK(t.sum("db.client.connection.pending_requests") == 0);
}

TEST_CASE("otel metrics: CLIENT KILL is counted as a reconnect", "[otel]") {
  ServerProcess server;
  Telemetry t;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.observer = valkey::otel::make_observer(t.options());
  cfg.reconnect.initial_delay = 10ms;
  cfg.max_connections = 1;
  valkey::Client db{cfg};
  const std::int64_t id = db.call({"CLIENT", "ID"}).as_integer();
  server.command({"CLIENT", "KILL", "ID", std::to_string(id)});
  valkey::test::wait_until("a new connection", 10s, [&](std::string& state) {
    std::error_code ec;
    const valkey::Reply r = db.call({"CLIENT", "ID"}, ec);
    state = ec ? ec.message() : "same connection";
    return !ec && r.as_integer() != id;
  });
  CHECK(db.incr("after") == 1);
  t.flush();
  CHECK(t.sum("valkey.client.reconnects") >= 1);
  CHECK(t.histogram_count("db.client.connection.create_time") == 2);
  CHECK(t.sum("db.client.connection.count") == 1);  // one lost, one new
}

TEST_CASE("otel metrics: the client-side cache's hits, misses, drops and invalidations", "[otel][cache]") {
  ServerProcess server;
  Telemetry t;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.observer = valkey::otel::make_observer(t.options());
  cfg.cache = valkey::CacheConfig{.max_bytes = 16u << 10};
  cfg.max_connections = 1;
  valkey::Client db{cfg};
  valkey::Client other{server.url()};
  const std::string value(512, 'x');
  for (int i = 0; i < 100; ++i) db.set("otel:" + std::to_string(i), value);
  for (int i = 0; i < 100; ++i) REQUIRE(db.cached(60s).get("otel:" + std::to_string(i)) == value);
  REQUIRE(db.cached(60s).get("otel:99") == value);  // a hit
  REQUIRE(db.cached(20ms).get("otel:0") == value);  // stored with a 20 ms TTL...
  std::this_thread::sleep_for(40ms);
  REQUIRE(db.cached(20ms).get("otel:0") == value);  // ...and found expired
  REQUIRE(db.cached(60s).get("otel:98") == value);
  other.set("otel:98", "changed");  // the server invalidates it on db's connection
  valkey::test::wait_until("the invalidation", 10s, [&](std::string& state) {
    state = std::to_string(db.cache_stats().invalidations) + " invalidations";
    db.ping();
    return db.cache_stats().invalidations >= 1;
  });

  const valkey::CacheStats s = db.cache_stats();
  REQUIRE(s.evictions > 0);
  REQUIRE(s.expirations > 0);
  t.flush();
  CHECK(t.sum("valkey.client.cache.hits") == static_cast<std::int64_t>(s.hits));
  CHECK(t.sum("valkey.client.cache.misses") == static_cast<std::int64_t>(s.misses));
  CHECK(t.sum("valkey.client.cache.drops", "valkey.cache.drop.reason", "size") == static_cast<std::int64_t>(s.evictions));
  CHECK(t.sum("valkey.client.cache.drops", "valkey.cache.drop.reason", "ttl") == static_cast<std::int64_t>(s.expirations));
  CHECK(t.sum("valkey.client.cache.invalidations", "valkey.cache.invalidation", "key") >= 1);
}

TEST_CASE("otel metrics: a cluster MOVED is counted as a topology change", "[otel][cluster]") {
  valkey::test::ClusterOptions o;
  o.primaries = 3;
  o.replicas_per_primary = 0;
  valkey::test::Cluster cluster{o};
  Telemetry t;
  auto cfg = valkey::ClusterConfig::from_url(cluster.seed_url());
  cfg.node.observer = valkey::otel::make_observer(t.options());
  valkey::ClusterClient c{cfg};

  const std::string key = "otel:moving";
  const int slot = valkey::test::Cluster::key_slot(key);
  CHECK_FALSE(c.get(key).has_value());
  t.flush();
  CHECK(t.sum("valkey.client.topology.changes", "valkey.topology.change", "discovered") == 1);
  CHECK(t.sum("valkey.client.topology.changes", "valkey.topology.change", "moved") == 0);

  // Give the (empty) slot to another primary behind the client's back.
  const int old_port = cluster.port_for_slot(slot);
  std::size_t target = 0;
  while (cluster.node(target).port() == old_port) ++target;
  cluster.give_slot(slot, target);

  c.set(key, "moved");  // MOVED, followed
  REQUIRE(c.stats().moved >= 1);
  t.flush();
  CHECK(t.sum("valkey.client.topology.changes", "valkey.topology.change", "moved") ==
        static_cast<std::int64_t>(c.stats().moved));
}
