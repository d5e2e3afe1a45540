// valkeys+sentinel://: the sentinels, the nodes and the replication between
// them all over TLS (one CA); the client resolves, checks ROLE, writes and
// follows a failover without a plaintext connection.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <string>

#include <valkey/valkey.hpp>

#include "support/sentinel.hpp"
#include "support/valkey_test.hpp"
#include "support/wait.hpp"

using valkey::test::ReplicatedSet;
using valkey::test::ReplicatedSetOptions;
using valkey::test::Sentinels;
using valkey::test::SentinelOptions;
using namespace std::chrono_literals;

TEST_CASE("sentinel tls: valkeys+sentinel:// resolves, writes and follows a failover over TLS",
          "[sentinel][tls][slow][threads]") {
  ReplicatedSetOptions ro;
  ro.replicas = 1;
  ro.node.tls = true;
  ro.node.tls_replication = true;
  ReplicatedSet set(ro);
  SentinelOptions so;
  so.tls = true;
  Sentinels sentinels(set, so);
  // The sentinels know the nodes by their TLS ports.
  REQUIRE(sentinels.master_port(0) == set.primary().tls_port());

  const std::string ca = set.primary().tls_files()->ca_cert;
  const std::string query = "/mymaster?ca_file=" + ca + "&connect_timeout=2s&recheck_interval=1s";
  valkey::Client db{"valkeys+sentinel://" + sentinels.tls_addresses() + query};
  CHECK(db.config().port == set.primary().tls_port());
  CHECK(db.config().tls.enabled);
  db.set("k", "v1");
  CHECK(set.primary().command({"GET", "k"}).as_string() == "v1");
  CHECK(db.call({"ROLE"})[0].as_string() == "master");

  // The event subscription and the ROLE check of the new primary run over
  // TLS too.
  auto reply = sentinels.sentinel(0).command({"SENTINEL", "FAILOVER", "mymaster"});
  REQUIRE_FALSE(reply.is_error());
  const int new_port = set.replica(0).tls_port();
  sentinels.wait_master(new_port, 20s);
  valkey::test::wait_until("a write on the new primary", 10s, [&](std::string& state) {
    std::error_code ec;
    db.set("k", "v2", ec);
    state = ec.message();
    return !ec && set.replica(0).command({"GET", "k"}).as_string() == "v2";
  }, 20ms);
  CHECK(db.call({"ROLE"})[0].as_string() == "master");

  // The sentinels' plaintext ports do not speak TLS: a TLS client gets no
  // answer there.
  std::error_code ec;
  valkey::SentinelConfig plain = valkey::SentinelConfig::from_url(
      "valkeys+sentinel://" + sentinels.addresses() + "/mymaster?ca_file=" + ca + "&connect_timeout=500ms");
  try {
    valkey::Client refused{plain};
    FAIL("resolved through a plaintext port over TLS");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::sentinel_unreachable);
  }
}
