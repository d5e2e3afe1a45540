// What outlives a cluster client: its router (the slot map, the node
// connections) must go with the client and its io_context even when the
// context is destroyed without running again after the client, so that the
// client's close() never ran. The router's own requests (a topology query,
// a COMMAND INFO lookup, a replica's READONLY) still unanswered at that point
// must not keep it alive. The router is watched through a weak_ptr: it is
// gone once that expires.
#include <catch2/catch_test_macros.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <valkey/cluster/async_cluster_client.hpp>
#include <valkey/cluster/cluster_client.hpp>

#include "client_test_util.hpp"
#include "support/cluster.hpp"
#include "support/scripted_server.hpp"

using namespace std::chrono_literals;
using valkey::test::ScriptedServer;

namespace {

// CLUSTER SLOTS of one shard serving every slot: `primary`, then `replicas`.
std::string one_shard(int primary, const std::vector<int>& replicas = {}) {
  auto node = [](int port) { return "*2\r\n$9\r\n127.0.0.1\r\n:" + std::to_string(port) + "\r\n"; };
  std::string out = "*1\r\n*" + std::to_string(3 + replicas.size()) + "\r\n:0\r\n:16383\r\n" + node(primary);
  for (int r : replicas) out += node(r);
  return out;
}

// The timeouts of the router's own requests far beyond the test, so that a
// request left unanswered is still pending when the client goes.
valkey::ClusterConfig config_for(int seed_port) {
  valkey::ClusterConfig c;
  c.seeds.push_back({"127.0.0.1", static_cast<std::uint16_t>(seed_port)});
  c.node.request_timeout = 60s;
  c.bootstrap_timeout = 60s;
  c.min_refresh_interval = 0ms;
  return c;
}

// A client on an io_context of its own, each destroyed when the test says
// (the client first).
struct Owned {
  std::optional<asio::io_context> ioc{std::in_place};
  std::optional<valkey::AsyncClusterClient> client;
  explicit Owned(valkey::ClusterConfig cfg) { client.emplace(ioc->get_executor(), std::move(cfg)); }
  std::weak_ptr<valkey::cluster::Router> router() const { return client->router(); }
  bool run_until(const std::function<bool()>& done) { return valkey::test::run_until(*ioc, done, 10s); }
  // The client first, then its io_context, which does not run in between.
  void destroy_without_running() {
    client.reset();
    ioc.reset();
  }
};

// A node's answer to GET, and the handshake's.
std::string answer_get(const std::vector<std::string>& a) {
  if (a[0] == "GET") return "$1\r\nv\r\n";
  return ScriptedServer::standard(a);
}

// A seed that never answers a topology query: the bootstrap stays in flight.
std::string never_describes_the_cluster(const std::vector<std::string>& a, int) {
  if (a[0] == "CLUSTER") return {};
  return ScriptedServer::standard(a);
}

}  // namespace

TEST_CASE("cluster lifetime: destroying the client, then its io_context unrun, frees the router of a bootstrap query",
          "[cluster][cluster-lifetime]") {
  // The seed never answers the topology query: the bootstrap is in flight.
  ScriptedServer seed(never_describes_the_cluster);
  Owned o(config_for(seed.port()));
  const std::weak_ptr<valkey::cluster::Router> router = o.router();
  REQUIRE(o.run_until([&] { return seed.seen("CLUSTER") > 0; }));
  o.destroy_without_running();
  CHECK(router.expired());
}

TEST_CASE("cluster lifetime: a refresh query in flight does not keep the router alive", "[cluster][cluster-lifetime]") {
  // The seed describes the cluster once; later topology queries go unanswered.
  std::atomic<int> slots_asked{0};
  std::string topology;
  ScriptedServer seed([&](const std::vector<std::string>& a, int) -> std::string {
    if (a[0] == "CLUSTER" && a.size() > 1 && a[1] == "SLOTS") return slots_asked++ == 0 ? topology : std::string();
    if (a[0] == "CLUSTER") return "-ERR unknown subcommand\r\n";  // SHARDS: the client falls back to SLOTS
    return answer_get(a);
  });
  topology = one_shard(seed.port());
  Owned o(config_for(seed.port()));
  const std::weak_ptr<valkey::cluster::Router> router = o.router();
  bool got = false;
  o.client->get("k", [&](std::error_code ec, std::optional<std::string> v) {
    CHECK_FALSE(ec);
    CHECK(v == "v");
    got = true;
  });
  REQUIRE(o.run_until([&] { return got; }));
  o.client->router()->request_refresh();  // as a MOVED or a lost connection would
  REQUIRE(o.run_until([&] { return slots_asked.load() == 2; }));
  CHECK(o.client->stats().refreshes == 2);
  o.destroy_without_running();
  CHECK(router.expired());
}

TEST_CASE("cluster lifetime: a COMMAND INFO lookup in flight does not keep the router alive",
          "[cluster][cluster-lifetime]") {
  // The node never describes commands: a command the generated table does
  // not know waits for an answer that does not come.
  std::string topology;
  ScriptedServer node([&](const std::vector<std::string>& a, int) -> std::string {
    if (a[0] == "CLUSTER" && a.size() > 1 && a[1] == "SLOTS") return topology;
    if (a[0] == "CLUSTER") return "-ERR unknown subcommand\r\n";
    if (a[0] == "COMMAND") return {};
    return answer_get(a);
  });
  topology = one_shard(node.port());
  Owned o(config_for(node.port()));
  const std::weak_ptr<valkey::cluster::Router> router = o.router();
  // The caller's request ends (cancelled while it waits for the
  // description); the lookup stays in flight.
  asio::cancellation_signal cancel;
  std::optional<std::error_code> ec;
  o.client->call({"MOD.GET", "k"},
                 asio::bind_cancellation_slot(cancel.slot(), [&](std::error_code e, valkey::Reply) { ec = e; }));
  REQUIRE(o.run_until([&] { return node.seen("COMMAND") > 0; }));
  CHECK_FALSE(ec.has_value());
  cancel.emit(asio::cancellation_type::terminal);
  REQUIRE(o.run_until([&] { return ec.has_value(); }));
  CHECK(*ec == valkey::errc::cancelled);
  o.destroy_without_running();
  CHECK(router.expired());
}

// The READONLY request holds no router; its leak (before the router owned
// it) shows under LeakSanitizer at exit only.
TEST_CASE("cluster lifetime: a replica's unanswered READONLY is freed with the router", "[cluster][cluster-lifetime]") {
  std::string topology;
  ScriptedServer replica([&](const std::vector<std::string>& a, int) -> std::string {
    if (a[0] == "READONLY" || a[0] == "GET") return {};
    return ScriptedServer::standard(a);
  });
  ScriptedServer primary([&](const std::vector<std::string>& a, int) -> std::string {
    if (a[0] == "CLUSTER" && a.size() > 1 && a[1] == "SLOTS") return topology;
    if (a[0] == "CLUSTER") return "-ERR unknown subcommand\r\n";
    return answer_get(a);
  });
  topology = one_shard(primary.port(), {replica.port()});
  valkey::ClusterConfig cfg = config_for(primary.port());
  cfg.read_from = valkey::ReadFrom::prefer_replica;
  Owned o(std::move(cfg));
  const std::weak_ptr<valkey::cluster::Router> router = o.router();
  asio::cancellation_signal cancel;
  std::optional<std::error_code> ec;
  o.client->get("k", asio::bind_cancellation_slot(cancel.slot(),
                                                  [&](std::error_code e, std::optional<std::string>) { ec = e; }));
  REQUIRE(o.run_until([&] { return replica.seen("GET") > 0; }));
  CHECK(replica.seen("READONLY") == 1);
  cancel.emit(asio::cancellation_type::terminal);  // written: its reply will be discarded
  REQUIRE(o.run_until([&] { return ec.has_value(); }));
  CHECK(*ec == valkey::errc::cancelled);
  o.destroy_without_running();
  CHECK(router.expired());
}

TEST_CASE("cluster lifetime: a client closed with a query in flight keeps its router until the query completed",
          "[cluster][cluster-lifetime]") {
  ScriptedServer seed(never_describes_the_cluster);
  Owned o(config_for(seed.port()));
  const std::weak_ptr<valkey::cluster::Router> router = o.router();
  // A request waiting for the topology fails with connection_closed.
  std::optional<std::error_code> ec;
  o.client->get("k", [&](std::error_code e, std::optional<std::string>) { ec = e; });
  REQUIRE(o.run_until([&] { return seed.seen("CLUSTER") > 0; }));
  o.client.reset();
  // The close runs here, and so do the query's completion and whatever the
  // router posted: nothing may touch the router after it went.
  REQUIRE(o.run_until([&] { return router.expired() && ec.has_value(); }));
  CHECK(*ec == valkey::errc::connection_closed);
  o.ioc.reset();
}

TEST_CASE("cluster lifetime: a client destroyed inside a completion handler while a refresh is in flight",
          "[cluster][cluster-lifetime]") {
  // One shard: the primary describes it once, then leaves topology queries
  // unanswered; reads go to the replica, on a connection of their own (a
  // reply on the primary's would be taken for the query's).
  std::atomic<int> slots_asked{0};
  std::string topology;
  ScriptedServer primary([&](const std::vector<std::string>& a, int) -> std::string {
    if (a[0] == "CLUSTER" && a.size() > 1 && a[1] == "SLOTS") return slots_asked++ == 0 ? topology : std::string();
    if (a[0] == "CLUSTER") return "-ERR unknown subcommand\r\n";
    return answer_get(a);
  });
  ScriptedServer replica([](const std::vector<std::string>& a, int) -> std::string {
    if (a[0] == "READONLY") return "+OK\r\n";
    return answer_get(a);
  });
  topology = one_shard(primary.port(), {replica.port()});
  valkey::ClusterConfig cfg = config_for(primary.port());
  cfg.read_from = valkey::ReadFrom::prefer_replica;
  cfg.refresh_sources = 1;  // primaries first: the primary alone
  Owned o(std::move(cfg));
  const std::weak_ptr<valkey::cluster::Router> router = o.router();
  bool got = false;
  o.client->get("k", [&](std::error_code ec, std::optional<std::string>) {
    CHECK_FALSE(ec);
    got = true;
  });
  REQUIRE(o.run_until([&] { return got; }));
  o.client->router()->request_refresh();
  REQUIRE(o.run_until([&] { return slots_asked.load() == 2; }));
  // The reply's handler runs inside the router's delivery: the close too.
  bool done = false;
  o.client->get("k", [&](std::error_code ec, std::optional<std::string> v) {
    CHECK_FALSE(ec);
    CHECK(v == "v");
    o.client.reset();
    done = true;
  });
  REQUIRE(o.run_until([&] { return done && router.expired(); }));
  CHECK(replica.seen("GET") == 2);
  CHECK(primary.seen("GET") == 0);
  o.ioc.reset();
}

TEST_CASE("cluster lifetime: ClusterClient destroyed while its bootstrap query is unanswered",
          "[cluster][cluster-lifetime][threads]") {
  ScriptedServer seed(never_describes_the_cluster);
  const auto start = std::chrono::steady_clock::now();
  {
    // The internal thread asks the seed; this thread closes and finishes.
    valkey::ClusterClient c(config_for(seed.port()));
    REQUIRE(valkey::test::eventually([&] { return seed.seen("CLUSTER") > 0; }));
  }
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("cluster lifetime: against a real cluster, the router of a client destroyed during a periodic check",
          "[cluster][cluster-lifetime]") {
  valkey::test::ClusterOptions options;
  options.replicas_per_primary = 0;
  valkey::test::Cluster cluster(options);
  valkey::ClusterConfig cfg = valkey::ClusterConfig::from_url(cluster.seed_url());
  cfg.topology_check_interval = 20ms;
  Owned o(std::move(cfg));
  const std::weak_ptr<valkey::cluster::Router> router = o.router();
  bool set = false;
  o.client->set("lifetime:k", "v", [&](std::error_code ec, auto) {
    CHECK_FALSE(ec);
    set = true;
  });
  REQUIRE(o.run_until([&] { return set; }));
  // A topology query leaves inside the timer's handler; its answer cannot be
  // read before the next handler, which never runs.
  const std::uint64_t asked = o.client->stats().refresh_queries;
  REQUIRE(o.run_until([&] { return o.client->stats().refresh_queries > asked; }));
  o.destroy_without_running();
  CHECK(router.expired());
}
