// The cluster client through a failover: a primary killed with SIGKILL, its
// replica promoted; requests for its slots fail or are retried while no node
// serves them, and succeed at the new primary once the cluster promoted it.
#include <catch2/catch_test_macros.hpp>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

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
  // The client may be served by the promoted replica before every other
  // node has heard of the promotion (a node's CLUSTER SLOTS leaves the slot
  // out meanwhile): ask the cluster once all live nodes agree.
  cluster.wait_ready(20s);
  CHECK(cluster.port_for_slot(slot) != old_port);
  CHECK(db.stats().refreshes >= 2);
  INFO("failed calls while the slot had no primary: " << failures);
}

TEST_CASE("cluster client: under Config::retry a killed primary's INCRs succeed or report unknown_outcome; "
          "GETs are resent until the promoted replica answers",
          "[cluster][cluster-failover][policy][threads]") {
  valkey::test::ClusterOptions o;
  o.node.cluster_node_timeout_ms = 1000;
  Cluster cluster(o);
  auto cfg = valkey::ClusterConfig::from_url(cluster.seed_url());
  cfg.node.request_timeout = 10s;
  cfg.node.connect_timeout = 500ms;
  cfg.node.retry = valkey::retry::standard;
  cfg.node.retry->max_attempts = 5;
  cfg.max_retries = 100;
  cfg.retry_max_delay = 200ms;
  valkey::ClusterClient writer{cfg};
  valkey::ClusterClient reader{cfg};

  const std::string counter = "{failover}counter";
  const std::string key = "{failover}key";
  writer.set(key, "before");
  const int slot = Cluster::key_slot(key);
  const int old_port = cluster.port_for_slot(slot);
  std::size_t victim = 0;
  while (cluster.node(victim).port() != old_port) ++victim;
  REQUIRE(cluster.node(victim).command({"WAIT", "1", "2000"}).integer == 1);

  // INCRs in flight on one thread, GETs on another, while the primary dies.
  std::atomic<bool> stop{false};
  std::atomic<int> acked{0};  // the main thread watches it while the writer counts
  int unknown = 0, unsent = 0, other = 0;
  std::string other_error;
  std::thread incrs([&] {
    while (!stop) {
      std::error_code ec;
      valkey::Diagnostics diag;
      writer.incr(counter, ec, diag);
      if (!ec) ++acked;
      else if (ec == valkey::errc::unknown_outcome && diag.outcome == valkey::policy::Outcome::sent_no_reply) ++unknown;
      else if (diag.outcome == valkey::policy::Outcome::not_sent) ++unsent;
      else if (other++ == 0) other_error = diag.message;
    }
  });
  int reads = 0, read_failures = 0;
  std::string read_error;
  std::thread gets([&] {
    while (!stop) {
      std::error_code ec;
      valkey::Diagnostics diag;
      auto v = reader.get(key, ec, diag);
      if (!ec && v == std::optional<std::string>("before")) ++reads;
      else if (read_failures++ == 0) read_error = diag.message;
    }
  });
  std::this_thread::sleep_for(200ms);
  const auto killed = std::chrono::steady_clock::now();
  cluster.node(victim).kill(SIGKILL);
  // Until a write succeeds at the promoted replica (bounded: the test's own limit).
  const int acked_at_kill = acked;
  while (std::chrono::steady_clock::now() - killed < 15s && cluster.port_for_slot(slot) == old_port)
    std::this_thread::sleep_for(50ms);
  const auto promoted = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - promoted < 5s && acked == acked_at_kill)
    std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(200ms);
  stop = true;
  incrs.join();
  gets.join();
  INFO("acked " << acked.load() << ", unknown " << unknown << ", unsent " << unsent << ", other " << other << ": "
                << other_error << "; reads " << reads << ", read failures " << read_failures << ": " << read_error);
  CHECK(cluster.port_for_slot(slot) != old_port);
  CHECK(acked.load() > acked_at_kill);  // writing resumed at the new primary
  CHECK(other == 0);             // every failed INCR: unknown_outcome, or never sent
  CHECK(read_failures == 0);     // every GET answered, resent across the failover
  CHECK(reads > 0);
  // The server kept at most what was acknowledged plus the unknown ones.
  const std::int64_t total = std::stoll(writer.get(counter).value_or("0"));
  CHECK(total <= acked + unknown);
}
