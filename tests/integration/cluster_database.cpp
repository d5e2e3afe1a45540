// The cluster clients' with() and database(n) against a real 3+3 cluster with
// `cluster-databases 4` (Valkey 9): keys written through database(2) land in
// database 2 of their slot's owner, also when the slot moved and the write
// followed a MOVED; pipelines and transactions through the handle run there;
// calls without the handle stay in database 0.
#include <catch2/catch_test_macros.hpp>

#include <optional>
#include <string>
#include <vector>

#include <asio/io_context.hpp>

#include <valkey/cluster/async_cluster_client.hpp>
#include <valkey/cluster/cluster_client.hpp>
#include <valkey/valkey.hpp>

#include "client_test_util.hpp"
#include "support/cluster.hpp"
#include "support/server_version.hpp"

using namespace std::chrono_literals;
using valkey::test::Cluster;

namespace {

valkey::test::ClusterOptions with_databases() {
  valkey::test::ClusterOptions o;
  o.node.config.push_back("cluster-databases 4");
  return o;
}

// GET `key` in database `db` of the node on `port`.
std::optional<std::string> get_at(int port, int db, const std::string& key) {
  valkey::Config cfg = valkey::Config::from_url("valkey://127.0.0.1:" + std::to_string(port));
  cfg.database = db;
  valkey::Client node{cfg};
  return node.get(key);
}

// The index of the primary that does not own `slot`.
std::size_t other_primary(Cluster& c, int slot) {
  const int owner = c.port_for_slot(slot);
  for (std::size_t i = 0; i < c.size(); ++i)
    if (c.node(i).port() != owner && c.role(i) == "master") return i;
  FAIL("no other primary");
  return 0;
}

}  // namespace

TEST_CASE("cluster database(n): writes land in database n at the slot's owner, also after a MOVED",
          "[cluster][cluster-client][database]") {
  valkey::test::require_server(valkey::test::valkey_at_least<9, 0>, "cluster-databases is new in Valkey 9.0");
  Cluster cluster(with_databases());
  valkey::ClusterClient db{cluster.seed_url()};

  const std::vector<std::string> keys{"db:a", "db:b", "db:c", "db:{x}1"};
  for (const auto& k : keys) CHECK(db.database(2).set(k, "in-two:" + k));
  CHECK(db.set("db:a", "in-zero"));
  for (const auto& k : keys) {
    const int port = cluster.port_for_slot(Cluster::key_slot(k));
    CHECK(get_at(port, 2, k) == "in-two:" + k);
    CHECK(db.database(2).get(k) == "in-two:" + k);
  }
  CHECK(get_at(cluster.port_for_slot(Cluster::key_slot("db:a")), 0, "db:a") == "in-zero");
  CHECK(db.get("db:b") == std::nullopt);  // database 0 has no db:b

  // Batches through the handle.
  auto [ok, v] = db.database(2).pipeline().set("db:p", "1").get("db:a").exec();
  CHECK(ok);
  CHECK(v == "in-two:db:a");
  auto [one, two] = db.database(2).transaction().incr("db:{t}n").incr("db:{t}n").exec();
  CHECK(one == 1);
  CHECK(two == 2);
  CHECK(get_at(cluster.port_for_slot(Cluster::key_slot("db:{t}n")), 2, "db:{t}n") == "2");

  // An empty slot moved behind the client's back: the write is answered
  // MOVED by the old owner and lands in database 2 at the new one.
  const std::string moved_key = "db:moved";
  const int slot = Cluster::key_slot(moved_key);
  const std::size_t target = other_primary(cluster, slot);
  const auto moved_before = db.stats().moved;
  cluster.give_slot(slot, target);
  CHECK(db.database(2).set(moved_key, "after-move"));
  CHECK(db.stats().moved > moved_before);
  CHECK(get_at(cluster.node(target).port(), 2, moved_key) == "after-move");
  CHECK(get_at(cluster.node(target).port(), 0, moved_key) == std::nullopt);
}

TEST_CASE("cluster database(n): the async client, and a database the servers lack", "[cluster][cluster-client][database]") {
  valkey::test::require_server(valkey::test::valkey_at_least<9, 0>, "cluster-databases is new in Valkey 9.0");
  Cluster cluster(with_databases());
  asio::io_context ioc;
  std::optional<valkey::AsyncClusterClient> c{std::in_place, ioc.get_executor(), cluster.seed_url()};
  bool done = false;
  std::error_code set_ec, bad_ec;
  valkey::Diagnostics diag;
  c->database(3).set("db:async", "three", [&](std::error_code ec, bool) {
    set_ec = ec;
    c->database(9).get("db:async", diag, [&](std::error_code e, std::optional<std::string>) {
      bad_ec = e;
      done = true;
    });
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return done; }));
  CHECK_FALSE(set_ec);
  CHECK(get_at(cluster.port_for_slot(Cluster::key_slot("db:async")), 3, "db:async") == "three");
  // cluster-databases 4: database 9 does not exist; the server says so.
  CHECK(bad_ec == valkey::errc::server_error);
  INFO(diag.message);
  CHECK(diag.message.find("DB index is out of range") != std::string::npos);
  c->close();
  ioc.restart();
  ioc.run_for(2s);
}
