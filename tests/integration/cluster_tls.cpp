// The cluster client against a 3+3 cluster that speaks TLS to its clients,
// to its replicas and on the cluster bus (tls-cluster, tls-replication):
// seeded with valkeys://, the client learns the nodes' TLS ports from the
// cluster itself and routes, splits, fans out, reads from replicas and
// follows a moved slot without a plaintext connection; a CA that signed
// nothing fails the first request with tls_error instead of connecting.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <valkey/cluster/cluster_client.hpp>

#include "support/cluster.hpp"
#include "support/resp_client.hpp"

using namespace std::chrono_literals;
using valkey::test::Cluster;
using valkey::test::ClusterOptions;

namespace {

int port_of(const std::string& address) { return std::stoi(address.substr(address.rfind(':') + 1)); }

}  // namespace

TEST_CASE("cluster tls: valkeys:// seeds; routing, split, fan-out, replica reads and a moved slot all over TLS",
          "[cluster][tls][slow]") {
  ClusterOptions o;
  o.node.tls = true;
  o.node.tls_replication = true;  // tls-cluster too: the nodes announce their TLS ports to TLS clients
  Cluster cluster(o);

  std::string seeds;
  std::map<int, std::size_t> by_tls_port;  // TLS port -> node index
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (!seeds.empty()) seeds += ',';
    seeds += "127.0.0.1:" + std::to_string(cluster.node(i).tls_port());
    by_tls_port[cluster.node(i).tls_port()] = i;
  }
  const auto* files = cluster.node(0).tls_files();
  REQUIRE(files != nullptr);
  auto cfg = valkey::ClusterConfig::from_url("valkeys://" + seeds + "?ca_file=" + files->ca_cert);
  CHECK(cfg.node.tls.enabled);
  CHECK(cfg.node.tls.verify_peer);
  cfg.node.client_name = "cluster-tls-test";  // finds the clients' connections in CLIENT LIST

  valkey::ClusterClient db{cfg};
  // Every node the client knows, it knows by its TLS port.
  const auto nodes = db.nodes();
  REQUIRE(nodes.size() == cluster.size());
  for (const auto& n : nodes) CHECK(by_tls_port.count(port_of(n.address)) == 1);

  // Writes land on their slots' owners (read back over the owners' plaintext ports).
  for (int i = 0; i < 30; ++i) db.set("tls:" + std::to_string(i), "v" + std::to_string(i));
  for (int i = 0; i < 30; ++i) {
    const std::string key = "tls:" + std::to_string(i);
    CHECK(valkey::test::send_command(cluster.port_for_slot(Cluster::key_slot(key)), {"GET", key}).as_string() ==
          "v" + std::to_string(i));
  }
  // A split MGET in key order, and a fan-out summed over the primaries.
  const auto got = db.mget({"tls:0", "tls:1", "tls:2", "tls:missing"});
  REQUIRE(got.size() == 4);
  CHECK(got[0] == "v0");
  CHECK(got[1] == "v1");
  CHECK(got[2] == "v2");
  CHECK_FALSE(got[3].has_value());
  CHECK(db.dbsize() == 30);

  // A slot moved to another primary: MOVED, followed to the new owner's TLS port.
  const std::string key = "tls:moving";
  const int slot = Cluster::key_slot(key);
  const int owner_port = cluster.port_for_slot(slot);
  std::size_t target = cluster.size();
  for (std::size_t i = 0; i < cluster.initial_primary_count(); ++i)
    if (cluster.node(i).port() != owner_port && cluster.role(i) == "master") target = i;
  REQUIRE(target < cluster.size());
  cluster.give_slot(slot, target);
  const auto moved_before = db.stats().moved;
  db.set(key, "moved");
  CHECK(cluster.node(target).command({"GET", key}).as_string() == "moved");
  CHECK(db.stats().moved > moved_before);
  CHECK(db.get(key) == "moved");

  // Reads from a replica, over its TLS port too.
  auto replica_cfg = cfg;
  replica_cfg.read_from = valkey::ReadFrom::prefer_replica;
  valkey::ClusterClient replicas{replica_cfg};
  std::size_t replica = cluster.size();
  for (const auto& n : replicas.nodes()) {
    if (n.primary) continue;
    for (const auto& r : n.slots)
      if (Cluster::key_slot("tls:0") >= r.first && Cluster::key_slot("tls:0") <= r.last)
        replica = by_tls_port.at(port_of(n.address));
  }
  REQUIRE(replica < cluster.size());
  cluster.node(replica).command({"CONFIG", "RESETSTAT"});
  std::optional<std::string> from_replica;
  for (int attempt = 0; attempt < 100 && from_replica != "v0"; ++attempt) {  // replication is asynchronous
    from_replica = replicas.get("tls:0");
    if (from_replica != "v0") std::this_thread::sleep_for(20ms);
  }
  CHECK(from_replica == "v0");
  CHECK(cluster.node(replica).command({"INFO", "commandstats"}).as_string().find("cmdstat_get:calls=") !=
        std::string::npos);

  // The clients' connections are TLS ones: on every node, each connection
  // named by the clients is on the TLS port, and there is at least one.
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    const std::string list = cluster.node(i).command({"CLIENT", "LIST"}).as_string();
    const std::string tls_addr = "laddr=127.0.0.1:" + std::to_string(cluster.node(i).tls_port());
    INFO("node " << i << ":\n" << list);
    std::size_t named = 0, on_tls = 0;
    for (std::size_t begin = 0; begin < list.size();) {
      std::size_t end = list.find('\n', begin);
      if (end == std::string::npos) end = list.size();
      const std::string_view line(list.data() + begin, end - begin);
      if (line.find(" name=cluster-tls-test ") != std::string_view::npos) {
        ++named;
        if (line.find(tls_addr + " ") != std::string_view::npos) ++on_tls;
      }
      begin = end + 1;
    }
    CHECK(named >= 1);
    CHECK(on_tls == named);
  }

  // A CA that signed nothing here: the first request fails, naming the
  // verification error.
  auto wrong = cfg;
  wrong.node.tls.ca_file = files->other_ca_cert;
  wrong.node.connect_timeout = 2s;
  wrong.bootstrap_timeout = 3s;
  valkey::ClusterClient refused{wrong};
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  valkey::Diagnostics diag;
  (void)refused.get("tls:0", ec, diag);
  INFO(ec.message() << ": " << diag.message);
  CHECK(ec == valkey::errc::not_connected);  // no seed answered...
  CHECK(diag.message.find("certificate verify failed") != std::string::npos);  // ...and why
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}
