// Availability-zone aware replica reads against a real cluster: one primary
// with two replicas, each node with its own `availability-zone`; INFO
// commandstats show where the reads landed. A killed replica is skipped by
// the next read.
#include <catch2/catch_test_macros.hpp>
#include <signal.h>

#include <chrono>
#include <string>
#include <vector>

#include <valkey/cluster/cluster_client.hpp>

#include "support/cluster.hpp"
#include "support/resp_client.hpp"
#include "support/server_version.hpp"
#include "support/wait.hpp"

using namespace std::chrono_literals;
using valkey::test::Cluster;

namespace {

// Node i of the fixture is in zone "zone-i".
std::string zone(std::size_t i) { return "zone-" + std::to_string(i); }

// One primary (node 0) and two replicas (nodes 1, 2), zones set and known to
// every node's CLUSTER SHARDS.
Cluster& zoned_cluster() {
  valkey::test::require_server(valkey::test::valkey_at_least<9, 0>,
                               "availability zones in CLUSTER SHARDS need the availability-zone setting (Valkey 9)");
  static Cluster cluster{[] {
    valkey::test::ClusterOptions o;
    o.primaries = 1;
    o.replicas_per_primary = 2;
    return o;
  }()};
  static const bool zoned = [] {
    for (std::size_t i = 0; i < cluster.size(); ++i)
      cluster.node(i).command({"CONFIG", "SET", "availability-zone", zone(i)});
    valkey::test::wait_until("every node's zone in every node's CLUSTER SHARDS", 15s, [](std::string& state) {
      for (std::size_t i = 0; i < cluster.size(); ++i) {
        const std::string shards = cluster.node(i).command({"CLUSTER", "SHARDS"}).to_string();
        for (std::size_t z = 0; z < cluster.size(); ++z)
          if (shards.find(zone(z)) == std::string::npos) {
            state = "node " + std::to_string(i) + " does not list " + zone(z);
            return false;
          }
      }
      return true;
    });
    return true;
  }();
  (void)zoned;
  return cluster;
}

// GET calls each node served since the last reset.
std::vector<std::int64_t> get_calls(Cluster& c) {
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const std::string stats = c.node(i).command({"INFO", "commandstats"}).as_string();
    const auto at = stats.find("cmdstat_get:calls=");
    out.push_back(at == std::string::npos ? 0 : std::stoll(stats.substr(at + 18)));
  }
  return out;
}

void reset_stats(Cluster& c) {
  for (std::size_t i = 0; i < c.size(); ++i) c.node(i).command({"CONFIG", "RESETSTAT"});
}

valkey::ClusterClient zoned_client(Cluster& c, valkey::ReadFrom mode, std::string client_az) {
  auto cfg = valkey::ClusterConfig::from_url(c.seed_url());
  cfg.read_from = mode;
  cfg.client_az = std::move(client_az);
  cfg.node.connect_timeout = 500ms;
  cfg.node.request_timeout = 2s;
  return valkey::ClusterClient{cfg};
}

// Until both replicas have `key` (replication is asynchronous).
void wait_replicated(Cluster& c, const std::string& key) {
  REQUIRE(c.node(0).command({"WAIT", "2", "5000"}).integer == 2);
  (void)key;
}

}  // namespace

TEST_CASE("cluster zones: the topology names each node's availability zone", "[cluster][cluster-zones]") {
  Cluster& cluster = zoned_cluster();
  valkey::ClusterClient db{cluster.seed_url()};
  const auto nodes = db.nodes();
  REQUIRE(nodes.size() == 3);
  for (const auto& n : nodes) {
    std::size_t i = 0;
    while (i < cluster.size() && cluster.address(i) != n.address) ++i;
    REQUIRE(i < cluster.size());
    CHECK(n.zone == zone(i));
  }
  // read_from and client_az as URL options; the others stay the node Config's.
  auto cfg = valkey::ClusterConfig::from_url(cluster.seed_url() +
                                             "?read_from=az_affinity_replicas_and_primary&client_az=zone-1&connect_timeout=700ms");
  CHECK(cfg.read_from == valkey::ReadFrom::az_affinity_replicas_and_primary);
  CHECK(cfg.client_az == "zone-1");
  CHECK(cfg.node.connect_timeout == 700ms);
  CHECK(cfg.seeds.size() == cluster.size());
  std::error_code ec;
  valkey::ClusterConfig::from_url(cluster.seed_url() + "?read_from=nearest", ec);
  CHECK(ec == valkey::errc::invalid_url);
}

TEST_CASE("cluster zones: az_affinity reads from the replica in the client's zone, else any replica",
          "[cluster][cluster-zones]") {
  Cluster& cluster = zoned_cluster();
  {
    valkey::ClusterClient db = zoned_client(cluster, valkey::ReadFrom::az_affinity, zone(2));
    db.set("zones:k", "v");
    wait_replicated(cluster, "zones:k");
    reset_stats(cluster);
    for (int i = 0; i < 20; ++i) CHECK(db.get("zones:k") == "v");
    auto calls = get_calls(cluster);
    CHECK(calls == std::vector<std::int64_t>{0, 0, 20});
    // Writes still go to the primary.
    db.set("zones:k", "w");
    CHECK(cluster.node(0).command({"GET", "zones:k"}).as_string() == "w");
  }
  {
    // No replica in the client's zone: any replica, never the primary.
    valkey::ClusterClient db = zoned_client(cluster, valkey::ReadFrom::az_affinity, "elsewhere");
    wait_replicated(cluster, "zones:k");
    reset_stats(cluster);
    for (int i = 0; i < 40; ++i) db.get("zones:k");
    auto calls = get_calls(cluster);
    CHECK(calls[0] == 0);
    CHECK(calls[1] + calls[2] == 40);
    CHECK(calls[1] > 0);
    CHECK(calls[2] > 0);
  }
}

TEST_CASE("cluster zones: az_affinity_replicas_and_primary prefers a local replica, then the local primary",
          "[cluster][cluster-zones]") {
  Cluster& cluster = zoned_cluster();
  {
    // The client is in the primary's zone, no replica there: the primary.
    valkey::ClusterClient db = zoned_client(cluster, valkey::ReadFrom::az_affinity_replicas_and_primary, zone(0));
    db.set("zones:p", "v");
    reset_stats(cluster);
    for (int i = 0; i < 10; ++i) CHECK(db.get("zones:p") == "v");
    CHECK(get_calls(cluster) == std::vector<std::int64_t>{10, 0, 0});
  }
  {
    valkey::ClusterClient db = zoned_client(cluster, valkey::ReadFrom::az_affinity_replicas_and_primary, zone(1));
    wait_replicated(cluster, "zones:p");
    reset_stats(cluster);
    for (int i = 0; i < 10; ++i) CHECK(db.get("zones:p") == "v");
    CHECK(get_calls(cluster) == std::vector<std::int64_t>{0, 10, 0});
  }
}

// Last in this file: it kills a replica of the shared cluster.
TEST_CASE("cluster zones: the next read after the local replica is killed succeeds elsewhere",
          "[cluster][cluster-zones]") {
  Cluster& cluster = zoned_cluster();
  valkey::ClusterClient db = zoned_client(cluster, valkey::ReadFrom::az_affinity, zone(1));
  db.set("zones:kill", "v");
  wait_replicated(cluster, "zones:kill");
  reset_stats(cluster);
  CHECK(db.get("zones:kill") == "v");
  CHECK(get_calls(cluster) == std::vector<std::int64_t>{0, 1, 0});

  cluster.node(1).kill(SIGKILL);
  // At once: no wait for the cluster to notice, no timeout on the way.
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  auto v = db.get("zones:kill", ec);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK_FALSE(ec);
  CHECK(v == "v");
  CHECK(took < 1s);
  // Every read after it too, served by the other replica.
  for (int i = 0; i < 10; ++i) CHECK(db.get("zones:kill") == "v");
  const std::string stats = cluster.node(2).command({"INFO", "commandstats"}).as_string();
  CHECK(stats.find("cmdstat_get:calls=") != std::string::npos);
}
