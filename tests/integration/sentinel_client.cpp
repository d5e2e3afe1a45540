// The sentinel client against real sentinels (tests/support/sentinel.hpp):
// resolution through a list whose first sentinel is a closed port, the
// errors when none answers or none knows the name, separate passwords for
// sentinels and nodes, replica reads, and the ROLE check rejecting an
// address that is not what the sentinel said.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <chrono>
#include <optional>
#include <string>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <valkey/valkey.hpp>

#include "support/sentinel.hpp"
#include "support/valkey_test.hpp"
#include "support/wait.hpp"

using Catch::Matchers::ContainsSubstring;
using valkey::test::ReplicatedSet;
using valkey::test::ReplicatedSetOptions;
using valkey::test::Sentinels;
using valkey::test::SentinelOptions;
using namespace std::chrono_literals;

namespace {

// A loopback port nothing listens on (bound, then released).
int closed_port() {
  asio::io_context ioc;
  asio::ip::tcp::acceptor a(ioc, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const int p = a.local_endpoint().port();
  a.close();
  return p;
}

std::string role_of(valkey::Client& db) {
  valkey::Reply r = db.call({"ROLE"});
  return std::string(r[0].as_string());
}

}  // namespace

TEST_CASE("sentinel client: resolves past a closed first sentinel, with separate passwords for sentinels and nodes",
          "[sentinel][slow][threads]") {
  ReplicatedSetOptions ro;
  ro.node.password = "node-secret";
  ReplicatedSet set(ro);
  SentinelOptions so;
  so.password = "sentinel-secret";
  Sentinels sentinels(set, so);
  const std::string list = "127.0.0.1:" + std::to_string(closed_port()) + "," + sentinels.addresses();

  const std::string url = "valkey+sentinel://:sentinel-secret@" + list + "/mymaster?node_password=node-secret&connect_timeout=1s";
  valkey::Client db{url};
  CHECK(db.config().port == set.primary().port());
  db.set("k", "v");
  CHECK(valkey::test::send_command(set.primary().port(), {"GET", "k"}, "node-secret").as_string() == "v");
  CHECK(role_of(db) == "master");
  CHECK_THAT(db.config().to_string(), !ContainsSubstring("secret"));

  SECTION("a SIGSTOPped sentinel after the closed one only costs its connect timeout") {
    sentinels.sentinel(0).pause();
    valkey::Client paused{"valkey+sentinel://:sentinel-secret@" + list +
                          "/mymaster?node_password=node-secret&connect_timeout=500ms"};
    CHECK(role_of(paused) == "master");
    CHECK(paused.config().port == set.primary().port());
    sentinels.sentinel(0).resume();
  }

  SECTION("role=replica reads land on a replica") {
    valkey::Client replica{"valkey+sentinel://:sentinel-secret@" + list +
                           "/mymaster?role=replica&node_password=node-secret&connect_timeout=1s"};
    CHECK(role_of(replica) == "slave");
    const int port = replica.config().port;
    CHECK((port == set.replica(0).port() || port == set.replica(1).port()));
    db.set("r", "1");
    // WAIT can return early on a loaded machine (it answers with the count
    // acknowledged so far), so the read is polled, within a bound.
    INFO("WAIT acknowledged by " << set.primary().command({"WAIT", "2", "2000"}).integer << " replicas");
    std::optional<std::string> seen;
    valkey::test::wait_until("the replica to serve the write", 10s, [&](std::string& state) {
      seen = replica.get("r");
      state = seen ? *seen : "nil";
      return seen == "1";
    });
    CHECK(seen == "1");
  }

  SECTION("the async client follows the same URL") {
    asio::io_context ioc;
    valkey::AsyncClient c{ioc.get_executor(), url};
    std::optional<std::string> got;
    std::error_code ec{valkey::errc::timeout};
    bool done = false;
    c.get("k", [&](std::error_code e, std::optional<std::string> v) {
      ec = e;
      got = std::move(v);
      done = true;
    });
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (!done && std::chrono::steady_clock::now() < until) ioc.run_for(10ms);
    CHECK_FALSE(ec);
    CHECK(got == "v");
    CHECK(c.config().port == set.primary().port());
    // Closing stops the sentinel side too; its last handlers run here.
    c.close();
    ioc.run_for(200ms);
  }

  SECTION("a wrong sentinel password names the sentinels, never the password") {
    try {
      valkey::Client bad{"valkey+sentinel://:wrong-pw@" + list + "/mymaster?node_password=node-secret&connect_timeout=1s"};
      FAIL("connected with a wrong sentinel password");
    } catch (const valkey::Error& e) {
      CHECK(e.code() == valkey::errc::sentinel_unreachable);
      const std::string what = e.what();
      for (int p : sentinels.ports()) CHECK_THAT(what, ContainsSubstring("127.0.0.1:" + std::to_string(p)));
      CHECK_THAT(what, !ContainsSubstring("wrong-pw"));
      CHECK_THAT(what, !ContainsSubstring("node-secret"));
    }
  }

  SECTION("a name no sentinel knows fails with sentinel_unknown_primary") {
    try {
      valkey::Client bad{"valkey+sentinel://:sentinel-secret@" + list + "/nosuch?node_password=node-secret&connect_timeout=1s"};
      FAIL("connected to an unknown primary");
    } catch (const valkey::Error& e) {
      CHECK(e.code() == valkey::errc::sentinel_unknown_primary);
      CHECK_THAT(std::string(e.what()), ContainsSubstring("nosuch"));
    }
  }
}

TEST_CASE("sentinel client: no sentinel answering fails at once with every sentinel and why", "[sentinel]") {
  const int a = closed_port(), b = closed_port();
  const std::string url = "valkey+sentinel://:pw@127.0.0.1:" + std::to_string(a) + ",127.0.0.1:" + std::to_string(b) +
                          "/mymaster?connect_timeout=500ms";
  try {
    valkey::Client db{url};
    FAIL("connected without sentinels");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::sentinel_unreachable);
    CHECK_THAT(std::string(e.what()), ContainsSubstring("127.0.0.1:" + std::to_string(a)));
    CHECK_THAT(std::string(e.what()), ContainsSubstring("127.0.0.1:" + std::to_string(b)));
    CHECK_THAT(std::string(e.what()), ContainsSubstring("refused"));
  }
  // Configuration errors come before any connection.
  valkey::SentinelConfig empty;
  empty.primary_name = "mymaster";
  CHECK_THROWS_AS(valkey::Client{empty}, valkey::Error);
  asio::io_context ioc;
  CHECK_THROWS_AS((valkey::AsyncClient{ioc.get_executor(), empty}), valkey::Error);
}
