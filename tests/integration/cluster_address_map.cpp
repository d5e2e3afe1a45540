// ClusterConfig::address_map against a real cluster whose nodes announce
// host names nobody can resolve (cluster-announce-hostname *.invalid with
// cluster-preferred-endpoint-type hostname), as behind NAT: the callback maps
// them to 127.0.0.1, for the topology's nodes and for a MOVED alike, while
// the client keeps naming the nodes as the cluster does.
#include <catch2/catch_test_macros.hpp>

#include <mutex>
#include <set>
#include <string>

#include <valkey/cluster/cluster_client.hpp>

#include "support/cluster.hpp"
#include "support/wait.hpp"

using namespace std::chrono_literals;
using valkey::test::Cluster;

namespace {

std::string hostname(std::size_t i) { return "node-" + std::to_string(i) + ".invalid"; }

}  // namespace

TEST_CASE("cluster address_map: announced host names are remapped, redirects included", "[cluster][cluster-address-map]") {
  valkey::test::ClusterOptions o;
  o.primaries = 2;
  o.replicas_per_primary = 0;
  Cluster cluster(o);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    REQUIRE(cluster.node(i).command({"CONFIG", "SET", "cluster-announce-hostname", hostname(i)}).as_string() == "OK");
    REQUIRE(cluster.node(i).command({"CONFIG", "SET", "cluster-preferred-endpoint-type", "hostname"}).as_string() ==
            "OK");
  }
  valkey::test::wait_until("every node's host name in every node's CLUSTER SHARDS", 15s, [&](std::string& state) {
    for (std::size_t i = 0; i < cluster.size(); ++i) {
      const std::string shards = cluster.node(i).command({"CLUSTER", "SHARDS"}).to_string();
      for (std::size_t h = 0; h < cluster.size(); ++h)
        if (shards.find(hostname(h)) == std::string::npos) {
          state = "node " + std::to_string(i) + " does not name " + hostname(h);
          return false;
        }
    }
    return true;
  });

  std::mutex m;
  std::set<std::string> seen;  // host:port as the callback received them
  auto cfg = valkey::ClusterConfig::from_url(cluster.seed_url());
  cfg.node.connect_timeout = 1s;
  cfg.address_map = [&](valkey::ClusterNodeAddress& a) {
    std::lock_guard lock(m);
    seen.insert(a.host + ":" + std::to_string(a.port));
    if (a.host.ends_with(".invalid")) {
      a.tls_server_name = a.host;  // what a TLS cluster's certificates would name
      a.host = "127.0.0.1";
    }
  };
  valkey::ClusterClient db{cfg};

  // Keys on both primaries.
  std::string keys[2];
  for (int i = 0, found = 0; found < 2; ++i) {
    const std::string k = "map:" + std::to_string(i);
    const int port = cluster.port_for_slot(Cluster::key_slot(k));
    const std::size_t owner = port == cluster.node(0).port() ? 0 : 1;
    if (keys[owner].empty()) keys[owner] = k, ++found;
  }
  for (const auto& k : keys) db.set(k, "v-" + k);
  for (const auto& k : keys) CHECK(db.get(k) == "v-" + k);

  // The client names the nodes as the cluster announces them.
  for (const auto& n : db.nodes()) CHECK(n.address.find(".invalid:") != std::string::npos);
  {
    std::lock_guard lock(m);
    for (std::size_t i = 0; i < cluster.size(); ++i)
      CHECK(seen.count(hostname(i) + ":" + std::to_string(cluster.node(i).port())) == 1);
  }

  // A MOVED names a host name too: followed through the map.
  const int slot = Cluster::key_slot(keys[0]);
  const std::string moved_key = keys[0];
  db.del(moved_key);
  cluster.give_slot(slot, 1);
  const auto moved_before = db.stats().moved;
  db.set(moved_key, "after the move");
  CHECK(db.stats().moved == moved_before + 1);
  CHECK(cluster.node(1).command({"GET", moved_key}).as_string() == "after the move");
  CHECK(db.get(moved_key) == "after the move");
}
