// Tests of the Cluster fixture itself.
#include <catch2/catch_test_macros.hpp>
#include <signal.h>

#include <set>

#include "support/cluster.hpp"

using valkey::test::Cluster;
using valkey::test::ClusterOptions;
using valkey::test::info_field;

TEST_CASE("fixture: a 3+3 cluster reaches cluster_state:ok and is stopped after scope", "[fixture][slow]") {
  std::vector<pid_t> pids;
  {
    Cluster cluster;
    REQUIRE(cluster.size() == 6);
    auto all = cluster.ports();
    std::set<int> ports(all.begin(), all.end());
    CHECK(ports.size() == 6);
    for (std::size_t i = 0; i < cluster.size(); ++i) {
      pids.push_back(cluster.node(i).pid());
      auto info = cluster.node(i).command({"CLUSTER", "INFO"}).as_string();
      CHECK(info_field(info, "cluster_state") == "ok");
      CHECK(info_field(info, "cluster_slots_assigned") == "16384");
      CHECK(info_field(info, "cluster_known_nodes") == "6");
      CHECK(cluster.role(i) == (i < 3 ? "master" : "slave"));
    }
    // Three slot ranges, each with its primary and one replica.
    auto slots = cluster.node(4).command({"CLUSTER", "SLOTS"});
    REQUIRE(slots.elements.size() == 3);
    for (const auto& range : slots.elements) CHECK(range.elements.size() == 4);
    // The slot helper agrees with the server.
    for (const char* key : {"a", "user:{42}:name", "{42}", "foo"})
      CHECK(cluster.node(0).command({"CLUSTER", "KEYSLOT", key}).integer == Cluster::key_slot(key));
    // A write through the owner is readable from the owner.
    int port = cluster.port_for_slot(Cluster::key_slot("k"));
    CHECK(valkey::test::send_command(port, {"SET", "k", "v"}).as_string() == "OK");
    CHECK(valkey::test::send_command(port, {"GET", "k"}).as_string() == "v");
    CHECK(cluster.seed_url().rfind("valkey://127.0.0.1:", 0) == 0);
  }
  for (pid_t pid : pids) CHECK(::kill(pid, 0) != 0);
}

TEST_CASE("fixture: a cluster replica takes over after its primary is killed", "[fixture][slow]") {
  ClusterOptions o;
  o.node.cluster_node_timeout_ms = 1000;
  Cluster cluster(o);
  const int slot = Cluster::key_slot("failover-key");
  const int old_port = cluster.port_for_slot(slot);
  std::size_t victim = 0;
  while (cluster.node(victim).port() != old_port) ++victim;
  cluster.node(victim).kill(SIGKILL);
  cluster.wait_ready(std::chrono::seconds(30));
  const int new_port = cluster.port_for_slot(slot);
  CHECK(new_port != old_port);
  CHECK(valkey::test::send_command(new_port, {"SET", "failover-key", "1"}).as_string() == "OK");
}

TEST_CASE("fixture: a TLS cluster (tls-cluster, tls-replication) comes up with one shared CA", "[fixture][slow][tls]") {
  ClusterOptions o;
  o.primaries = 3;
  o.replicas_per_primary = 1;
  o.node.tls = true;
  o.node.tls_replication = true;
  Cluster cluster(o);
  const auto* ca = cluster.node(0).tls_files();
  REQUIRE(ca != nullptr);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    REQUIRE(cluster.node(i).tls_files() != nullptr);
    CHECK(cluster.node(i).tls_files()->ca_cert == ca->ca_cert);
    CHECK(cluster.node(i).tls_port() > 0);
  }
  // Replication runs over TLS: the replica's link is up and data flows.
  int port = cluster.port_for_slot(Cluster::key_slot("tls-key"));
  CHECK(valkey::test::send_command(port, {"SET", "tls-key", "v"}).as_string() == "OK");
  CHECK(valkey::test::send_command(port, {"WAIT", "1", "5000"}).integer == 1);
}
