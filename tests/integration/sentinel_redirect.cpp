// A sentinel-managed connection whose node is demoted under it: the node
// answers -REDIRECT host:port (Valkey 8.0+, after the handshake's CLIENT CAPA
// redirect) or READONLY (Redis 7), and that reply alone makes the client ask
// the sentinels again and move to the primary they name. Events and
// rechecks are off, and the demotion (FAILOVER TO on the node itself) closes
// no connection, so nothing else can move it.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <chrono>
#include <string>

#include <valkey/valkey.hpp>

#include "support/sentinel.hpp"
#include "support/server_version.hpp"
#include "support/valkey_test.hpp"
#include "support/wait.hpp"

using Catch::Matchers::StartsWith;
using valkey::test::ReplicatedSet;
using valkey::test::ReplicatedSetOptions;
using valkey::test::ServerProcess;
using namespace std::chrono_literals;

namespace {

std::string role_at(const ServerProcess& node) {
  return valkey::test::info_field(node.command({"INFO", "replication"}).as_string(), "role");
}

}  // namespace

TEST_CASE("sentinel redirect: a write on a demoted primary gets REDIRECT (READONLY on Redis 7) and moves the client",
          "[sentinel][slow][threads]") {
  ReplicatedSetOptions ro;
  ro.replicas = 1;
  ReplicatedSet set(ro);
  ServerProcess& old_primary = set.primary();
  ServerProcess& replica = set.replica(0);
  // One sentinel the test steers: it never fails anything over (down-after
  // of a minute), and names whichever node it is told to monitor.
  valkey::test::ServerOptions so;
  so.kind = valkey::test::ServerKind::sentinel;
  so.config = {"sentinel monitor mymaster 127.0.0.1 " + std::to_string(old_primary.port()) + " 1",
               "sentinel down-after-milliseconds mymaster 60000", "sentinel failover-timeout mymaster 60000"};
  ServerProcess sentinel(so);

  valkey::SentinelConfig config = valkey::SentinelConfig::from_url(
      "valkey+sentinel://127.0.0.1:" + std::to_string(sentinel.port()) + "/mymaster?connect_timeout=2s");
  config.follow_events = false;
  config.recheck_interval = 0ms;
  valkey::Client db{config};
  db.set("k", "v1");
  const auto connects = db.stats().connects;

  // The primary hands over to its replica by itself (its clients stay
  // connected), and only then does the sentinel learn the new primary.
  auto failover = old_primary.command({"FAILOVER", "TO", "127.0.0.1", std::to_string(replica.port())});
  REQUIRE_FALSE(failover.is_error());
  valkey::test::wait_until("the handover", 10s, [&](std::string& state) {
    state = role_at(old_primary) + " / " + role_at(replica);
    return state == "slave / master";
  });
  CHECK(sentinel.command({"SENTINEL", "REMOVE", "mymaster"}).as_string() == "OK");
  CHECK(sentinel.command({"SENTINEL", "MONITOR", "mymaster", "127.0.0.1", std::to_string(replica.port()), "1"})
            .as_string() == "OK");

  // The first write reaches the demoted node, still connected.
  std::error_code ec;
  valkey::Diagnostics diag;
  db.call({"SET", "k", "v2"}, ec, diag);
  INFO(diag.message);
  REQUIRE(ec == valkey::errc::server_error);
  if (valkey::test::valkey_at_least<8, 0>(valkey::test::server_version()))
    CHECK_THAT(diag.server_message, StartsWith("REDIRECT 127.0.0.1:" + std::to_string(replica.port())));
  else
    CHECK_THAT(diag.server_message, StartsWith("READONLY"));

  // That reply made the client ask the sentinel, check the new primary's
  // ROLE and move there.
  const auto t0 = std::chrono::steady_clock::now();
  valkey::test::wait_until("a write on the new primary", 5s, [&](std::string& state) {
    std::error_code e;
    valkey::Diagnostics d;
    db.call({"SET", "k", "v3"}, e, d);
    state = e ? d.message : "ok";
    return !e;
  }, 10ms);
  WARN("writes resumed " << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count()
                         << " ms after the first redirected write");
  CHECK(replica.command({"GET", "k"}).as_string() == "v3");
  CHECK(db.call({"ROLE"})[0].as_string() == "master");
  CHECK(db.stats().connects > connects);
}
