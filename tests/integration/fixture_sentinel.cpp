// Tests of the ReplicatedSet and Sentinels fixtures.
#include <catch2/catch_test_macros.hpp>
#include <signal.h>

#include <chrono>
#include <string>

#include "support/sentinel.hpp"
#include "support/wait.hpp"

using valkey::test::info_field;
using valkey::test::ReplicatedSet;
using valkey::test::ReplicatedSetOptions;
using valkey::test::Sentinels;
using namespace std::chrono_literals;

namespace {

// WAIT counts the replicas' acknowledgements; a replica may answer a read a
// moment before it applied what it acknowledged (seen on Valkey 8.0).
void wait_for_value(ReplicatedSet& set, std::size_t replica, const std::string& key, const std::string& value) {
  valkey::test::wait_until("the write on replica " + std::to_string(replica), 5s, [&](std::string& state) {
    const auto reply = set.replica(replica).command({"GET", key});
    state = reply.to_string();
    return !reply.is_null() && reply.as_string() == value;
  });
}

}  // namespace

TEST_CASE("fixture: a replicated set replicates writes", "[fixture]") {
  ReplicatedSet set;
  REQUIRE(set.replica_count() == 2);
  CHECK(set.primary().command({"SET", "k", "v"}).as_string() == "OK");
  CHECK(set.primary().command({"WAIT", "2", "5000"}).integer == 2);
  for (std::size_t r = 0; r < 2; ++r) wait_for_value(set, r, "k", "v");
  CHECK(info_field(set.replica(1).command({"INFO", "replication"}).as_string(), "role") == "slave");
}

TEST_CASE("fixture: a password-protected replicated set syncs with masterauth", "[fixture]") {
  ReplicatedSetOptions o;
  o.replicas = 1;
  o.node.password = "pw";
  ReplicatedSet set(o);
  CHECK(set.primary().command({"SET", "k", "v"}).as_string() == "OK");
  CHECK(set.primary().command({"WAIT", "1", "5000"}).integer == 1);
  wait_for_value(set, 0, "k", "v");
}

TEST_CASE("fixture: sentinels report the primary via SENTINEL GET-MASTER-ADDR-BY-NAME", "[fixture][slow]") {
  ReplicatedSet set;
  Sentinels sentinels(set);
  REQUIRE(sentinels.size() == 3);
  for (std::size_t i = 0; i < sentinels.size(); ++i) {
    auto addr = sentinels.sentinel(i).command({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"});
    REQUIRE(addr.elements.size() == 2);
    CHECK(addr.elements[0].as_string() == "127.0.0.1");
    CHECK(addr.elements[1].as_string() == std::to_string(set.primary().port()));
  }
  CHECK(sentinels.addresses().find(std::to_string(sentinels.ports().at(2))) != std::string::npos);
}

TEST_CASE("fixture: sentinels fail over when the primary dies", "[fixture][slow]") {
  ReplicatedSet set;
  Sentinels sentinels(set);
  const int old_port = set.primary().port();
  set.primary().kill(SIGKILL);
  valkey::test::wait_until("a new primary", std::chrono::seconds(60), [&](std::string& state) {
    int p = sentinels.master_port(0);
    state = "sentinel 0 names " + std::to_string(p);
    return p != old_port;
  }, std::chrono::milliseconds(200));
  const int new_port = sentinels.master_port(0);
  CHECK((new_port == set.replica(0).port() || new_port == set.replica(1).port()));
  sentinels.wait_master(new_port);
  CHECK(valkey::test::send_command(new_port, {"SET", "after", "failover"}).as_string() == "OK");
}
