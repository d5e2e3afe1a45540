// Topology replies recorded from valkey-server 9.1.2 (one primary with all
// slots and one replica, availability-zone set on both) under each
// cluster-preferred-endpoint-type: ip, unknown-endpoint (endpoint "" in
// CLUSTER SHARDS, null in CLUSTER SLOTS) and hostname with no host name set
// ("?", with the ip in CLUSTER SLOTS metadata). The parsers must read the
// server's real shapes, not only the hand-built ones.
#include <catch2/catch_test_macros.hpp>

#include "reply_support.hpp"

#include <string>

#include <valkey/cluster/topology.hpp>
#include <valkey/reply.hpp>
#include <valkey/resp/parser.hpp>

namespace vc = valkey::cluster;

namespace {

const std::string shards_ip_resp2 =
    "*1\r\n*6\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*2\r\n*16\r\n$2\r\nid\r\n$40\r\n"
    "1213dc3e4dcf6e237966cc0b33a1a43807d06b74\r\n$4\r\nport\r\n:27101\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\n"
    "replication-offset\r\n:70\r\n$6\r\nhealth\r\n$6\r\nonline\r\n$17\r\navailability-zone\r\n$8\r\n"
    "az-27101\r\n*16\r\n$2\r\nid\r\n$40\r\nbd4f8a976f897c8f7ad46782ccbd1260d88dd153\r\n$4\r\nport\r\n"
    ":27102\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n"
    "$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:70\r\n$6\r\nhealth\r\n$6\r\nonline\r\n$17\r\n"
    "availability-zone\r\n$8\r\naz-27102\r\n$2\r\nid\r\n$40\r\n"
    "cf075b6086ced052afea322162e10e9355044519\r\n";

const std::string slots_ip_resp2 =
    "*1\r\n*4\r\n:0\r\n:16383\r\n*4\r\n$9\r\n127.0.0.1\r\n:27101\r\n$40\r\n"
    "1213dc3e4dcf6e237966cc0b33a1a43807d06b74\r\n*2\r\n$17\r\navailability-zone\r\n$8\r\naz-27101\r\n"
    "*4\r\n$9\r\n127.0.0.1\r\n:27102\r\n$40\r\nbd4f8a976f897c8f7ad46782ccbd1260d88dd153\r\n*2\r\n"
    "$17\r\navailability-zone\r\n$8\r\naz-27102\r\n";

const std::string shards_ip_resp3 =
    "*1\r\n%3\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*2\r\n%8\r\n$2\r\nid\r\n$40\r\n"
    "1213dc3e4dcf6e237966cc0b33a1a43807d06b74\r\n$4\r\nport\r\n:27101\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\n"
    "replication-offset\r\n:70\r\n$6\r\nhealth\r\n$6\r\nonline\r\n$17\r\navailability-zone\r\n$8\r\n"
    "az-27101\r\n%8\r\n$2\r\nid\r\n$40\r\nbd4f8a976f897c8f7ad46782ccbd1260d88dd153\r\n$4\r\nport\r\n"
    ":27102\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n"
    "$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:70\r\n$6\r\nhealth\r\n$6\r\nonline\r\n$17\r\n"
    "availability-zone\r\n$8\r\naz-27102\r\n$2\r\nid\r\n$40\r\n"
    "cf075b6086ced052afea322162e10e9355044519\r\n";

const std::string slots_ip_resp3 =
    "*1\r\n*4\r\n:0\r\n:16383\r\n*4\r\n$9\r\n127.0.0.1\r\n:27101\r\n$40\r\n"
    "1213dc3e4dcf6e237966cc0b33a1a43807d06b74\r\n%1\r\n$17\r\navailability-zone\r\n$8\r\naz-27101\r\n"
    "*4\r\n$9\r\n127.0.0.1\r\n:27102\r\n$40\r\nbd4f8a976f897c8f7ad46782ccbd1260d88dd153\r\n%1\r\n"
    "$17\r\navailability-zone\r\n$8\r\naz-27102\r\n";

const std::string slots_unknown_resp2 =
    "*1\r\n*4\r\n:0\r\n:16383\r\n*4\r\n$-1\r\n:27101\r\n$40\r\n"
    "1213dc3e4dcf6e237966cc0b33a1a43807d06b74\r\n*4\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$17\r\n"
    "availability-zone\r\n$8\r\naz-27101\r\n*4\r\n$-1\r\n:27102\r\n$40\r\n"
    "bd4f8a976f897c8f7ad46782ccbd1260d88dd153\r\n*4\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$17\r\n"
    "availability-zone\r\n$8\r\naz-27102\r\n";

const std::string shards_unknown_resp3 =
    "*1\r\n%3\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*2\r\n%8\r\n$2\r\nid\r\n$40\r\n"
    "1213dc3e4dcf6e237966cc0b33a1a43807d06b74\r\n$4\r\nport\r\n:27101\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\n"
    "replication-offset\r\n:70\r\n$6\r\nhealth\r\n$6\r\nonline\r\n$17\r\navailability-zone\r\n$8\r\n"
    "az-27101\r\n%8\r\n$2\r\nid\r\n$40\r\nbd4f8a976f897c8f7ad46782ccbd1260d88dd153\r\n$4\r\nport\r\n"
    ":27102\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\r\n$4\r\nrole\r\n$7\r\n"
    "replica\r\n$18\r\nreplication-offset\r\n:70\r\n$6\r\nhealth\r\n$6\r\nonline\r\n$17\r\n"
    "availability-zone\r\n$8\r\naz-27102\r\n$2\r\nid\r\n$40\r\n"
    "cf075b6086ced052afea322162e10e9355044519\r\n";

const std::string slots_unknown_resp3 =
    "*1\r\n*4\r\n:0\r\n:16383\r\n*4\r\n_\r\n:27101\r\n$40\r\n"
    "1213dc3e4dcf6e237966cc0b33a1a43807d06b74\r\n%2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$17\r\n"
    "availability-zone\r\n$8\r\naz-27101\r\n*4\r\n_\r\n:27102\r\n$40\r\n"
    "bd4f8a976f897c8f7ad46782ccbd1260d88dd153\r\n%2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$17\r\n"
    "availability-zone\r\n$8\r\naz-27102\r\n";

const std::string shards_unset_hostname_resp3 =
    "*1\r\n%3\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*2\r\n%8\r\n$2\r\nid\r\n$40\r\n"
    "1213dc3e4dcf6e237966cc0b33a1a43807d06b74\r\n$4\r\nport\r\n:27101\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$1\r\n?\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\n"
    "replication-offset\r\n:70\r\n$6\r\nhealth\r\n$6\r\nonline\r\n$17\r\navailability-zone\r\n$8\r\n"
    "az-27101\r\n%8\r\n$2\r\nid\r\n$40\r\nbd4f8a976f897c8f7ad46782ccbd1260d88dd153\r\n$4\r\nport\r\n"
    ":27102\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$1\r\n?\r\n$4\r\nrole\r\n$7\r\n"
    "replica\r\n$18\r\nreplication-offset\r\n:70\r\n$6\r\nhealth\r\n$6\r\nonline\r\n$17\r\n"
    "availability-zone\r\n$8\r\naz-27102\r\n$2\r\nid\r\n$40\r\n"
    "cf075b6086ced052afea322162e10e9355044519\r\n";

const std::string slots_unset_hostname_resp3 =
    "*1\r\n*4\r\n:0\r\n:16383\r\n*4\r\n$1\r\n?\r\n:27101\r\n$40\r\n"
    "1213dc3e4dcf6e237966cc0b33a1a43807d06b74\r\n%2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$17\r\n"
    "availability-zone\r\n$8\r\naz-27101\r\n*4\r\n$1\r\n?\r\n:27102\r\n$40\r\n"
    "bd4f8a976f897c8f7ad46782ccbd1260d88dd153\r\n%2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$17\r\n"
    "availability-zone\r\n$8\r\naz-27102\r\n";

valkey::Reply parse(const std::string& wire) { return valkey::test::reply_of(wire); }

constexpr std::string_view primary_id = "1213dc3e4dcf6e237966cc0b33a1a43807d06b74";
constexpr std::string_view replica_id = "bd4f8a976f897c8f7ad46782ccbd1260d88dd153";

// The source host stands in for unknown endpoints; it differs from the
// nodes' ip so the tests see which one was used.
const vc::Source source{"localhost", 27101};

void check_map(const vc::TopologyResult& r, std::string_view host, bool with_health) {
  INFO(r.error);
  REQUIRE(r);
  const vc::SlotMap& m = *r.map;
  CHECK(m.full_coverage());
  REQUIRE(m.shards().size() == 1);
  const auto& nodes = m.shards()[0].nodes;
  REQUIRE(nodes.size() == 2);
  CHECK(nodes[0].id == primary_id);
  CHECK(nodes[0].role == vc::NodeRole::primary);
  CHECK(nodes[0].host == host);
  CHECK(nodes[0].port == 27101);
  CHECK(nodes[0].zone == "az-27101");
  CHECK(nodes[1].id == replica_id);
  CHECK(nodes[1].role == vc::NodeRole::replica);
  CHECK(nodes[1].host == host);
  CHECK(nodes[1].port == 27102);
  CHECK(nodes[1].zone == "az-27102");
  CHECK(nodes[0].health == (with_health ? vc::NodeHealth::online : vc::NodeHealth::unknown));
  CHECK(m.owner(12182) == &nodes[0]);
}

}  // namespace

TEST_CASE("cluster topology recorded: endpoint type ip", "[cluster]") {
  check_map(vc::parse_cluster_shards(parse(shards_ip_resp2), source), "127.0.0.1", true);
  check_map(vc::parse_cluster_shards(parse(shards_ip_resp3), source), "127.0.0.1", true);
  check_map(vc::parse_cluster_slots(parse(slots_ip_resp2), source), "127.0.0.1", false);
  check_map(vc::parse_cluster_slots(parse(slots_ip_resp3), source), "127.0.0.1", false);
  // RESP2 and RESP3 give the same map.
  CHECK(*vc::parse_cluster_shards(parse(shards_ip_resp2), source).map ==
        *vc::parse_cluster_shards(parse(shards_ip_resp3), source).map);
}

TEST_CASE("cluster topology recorded: unknown endpoints use the source host", "[cluster]") {
  check_map(vc::parse_cluster_shards(parse(shards_unknown_resp3), source), "localhost", true);
  check_map(vc::parse_cluster_slots(parse(slots_unknown_resp2), source), "localhost", false);
  check_map(vc::parse_cluster_slots(parse(slots_unknown_resp3), source), "localhost", false);
}

TEST_CASE("cluster topology recorded: '?' endpoints use the node's ip", "[cluster]") {
  check_map(vc::parse_cluster_shards(parse(shards_unset_hostname_resp3), source), "127.0.0.1", true);
  check_map(vc::parse_cluster_slots(parse(slots_unset_hostname_resp3), source), "127.0.0.1", false);
}
