// The cluster client through a failover: a primary killed with SIGKILL, its
// replica promoted; requests for its slots fail or are retried while no node
// serves them, and succeed at the new primary once the cluster promoted it.
#include <catch2/catch_test_macros.hpp>
#include <signal.h>

#include <chrono>
#include <string>

#include <valkey/cluster/cluster_client.hpp>

#include "support/cluster.hpp"
#include "support/resp_client.hpp"

using namespace std::chrono_literals;
using valkey::test::Cluster;

TEST_CASE("cluster client: a killed primary's slots are served by its promoted replica", "[cluster][cluster-failover][threads]") {
  valkey::test::ClusterOptions o;
  o.node.cluster_node_timeout_ms = 1000;
  Cluster cluster(o);
  auto cfg = valkey::ClusterConfig::from_url(cluster.seed_url());
  cfg.node.request_timeout = 2s;
  cfg.node.connect_timeout = 500ms;
  cfg.max_retries = 40;
  cfg.retry_max_delay = 200ms;
  valkey::ClusterClient db{cfg};

  const std::string key = "failover:key";
  db.set(key, "before");
  const int slot = Cluster::key_slot(key);
  const int old_port = cluster.port_for_slot(slot);
  std::size_t victim = 0;
  while (cluster.node(victim).port() != old_port) ++victim;
  // The replica has the value before its primary dies.
  REQUIRE(cluster.node(victim).command({"WAIT", "1", "2000"}).integer == 1);
  cluster.node(victim).kill(SIGKILL);

  // Each call either succeeds or fails with an error (never hangs past its
  // deadline); once the replica is promoted they succeed.
  const auto start = std::chrono::steady_clock::now();
  std::optional<std::string> got;
  int failures = 0;
  while (std::chrono::steady_clock::now() - start < 15s) {
    std::error_code ec;
    auto v = db.get(key, ec);
    if (!ec) {
      got = v.value_or("(nil)");
      break;
    }
    ++failures;
  }
  REQUIRE(got.has_value());
  CHECK(*got == "before");
  db.set(key, "after");
  CHECK(db.get(key) == "after");
  CHECK(cluster.port_for_slot(slot) != old_port);
  CHECK(db.stats().refreshes >= 2);
  INFO("failed calls while the slot had no primary: " << failures);
}
