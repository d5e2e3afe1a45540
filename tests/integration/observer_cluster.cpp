// valkey::Observer on a real cluster: the topology as it is discovered, a
// slot moved behind the client's back (MOVED) as a topology change, and one
// start/end pair per request with the node that answered.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <valkey/cluster/cluster_client.hpp>
#include <valkey/observe/observer.hpp>

#include "observer_recorder.hpp"
#include "support/cluster.hpp"
#include "support/wait.hpp"

using namespace std::chrono_literals;
using valkey::TopologyEvent;
using valkey::test::Cluster;
using valkey::test::RecordingObserver;

TEST_CASE("observer: a cluster MOVED reply is a topology change; requests end with their node",
          "[observer][cluster]") {
  valkey::test::ClusterOptions o;
  o.primaries = 3;
  o.replicas_per_primary = 0;
  Cluster cluster{o};
  auto obs = std::make_shared<RecordingObserver>();
  auto cfg = valkey::ClusterConfig::from_url(cluster.seed_url());
  cfg.node.observer = obs;
  valkey::ClusterClient c{cfg};

  const std::string key = "observed:moving";
  const int slot = Cluster::key_slot(key);
  CHECK_FALSE(c.get(key).has_value());
  {
    const auto topo = obs->topology();
    REQUIRE(topo.size() == 1);
    CHECK(topo[0].kind == TopologyEvent::Kind::discovered);
    CHECK(topo[0].shards == 3);
  }
  const int old_port = cluster.port_for_slot(slot);
  {
    const auto ends = obs->ends();
    REQUIRE(ends.size() == 1);
    CHECK(ends[0].node == "127.0.0.1:" + std::to_string(old_port));
    const auto starts = obs->starts();
    REQUIRE(starts.size() == 1);
    CHECK(starts[0].name == "GET");
    CHECK(starts[0].host.empty());  // the node is chosen after submission
  }

  // Give the (empty) slot to another primary behind the client's back.
  std::size_t target = 0;
  while (cluster.node(target).port() == old_port) ++target;
  cluster.give_slot(slot, target);

  c.set(key, "moved");  // MOVED, followed
  CHECK(c.stats().moved >= 1);
  const auto topo = obs->topology();
  const auto targets = obs->topology_targets();
  bool seen = false;
  for (std::size_t i = 0; i < topo.size(); ++i) {
    if (topo[i].kind == TopologyEvent::Kind::moved) {
      seen = true;
      CHECK(topo[i].slot == slot);
      CHECK(targets[i] == cluster.address(target));
    }
  }
  CHECK(seen);
  const auto ends = obs->ends();
  REQUIRE(ends.size() == 2);
  CHECK_FALSE(ends[1].ec);
  CHECK(ends[1].node == cluster.address(target));
}
