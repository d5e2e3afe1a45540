// CLUSTER SHARDS / CLUSTER SLOTS replies (RESP3 and RESP2 shapes, built as
// wire bytes and parsed by the codec) into SlotMaps; hostile replies
// rejected; MOVED patches, failover promotion, comparison and majority view.
#include <catch2/catch_test_macros.hpp>

#include "reply_support.hpp"

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include <valkey/cluster/topology.hpp>
#include <valkey/reply.hpp>
#include <valkey/resp/parser.hpp>

namespace vc = valkey::cluster;
using valkey::Reply;

namespace {

// RESP builders: RESP3 maps become flat arrays with resp2 = true.
struct Wire {
  bool resp2 = false;
  std::string bulk(std::string_view s) const { return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n"; }
  std::string num(long long v) const { return ":" + std::to_string(v) + "\r\n"; }
  std::string null() const { return resp2 ? "$-1\r\n" : "_\r\n"; }
  std::string arr(std::initializer_list<std::string> items) const { return arr(std::vector<std::string>(items)); }
  std::string arr(const std::vector<std::string>& items) const {
    std::string s = "*" + std::to_string(items.size()) + "\r\n";
    for (const auto& i : items) s += i;
    return s;
  }
  // Pairs of (field name, encoded value).
  std::string map(const std::vector<std::pair<std::string, std::string>>& kv) const {
    std::string s = (resp2 ? "*" + std::to_string(kv.size() * 2) : "%" + std::to_string(kv.size())) + "\r\n";
    for (const auto& [k, v] : kv) s += bulk(k) + v;
    return s;
  }
};

Reply parse(const std::string& wire) { return valkey::test::reply_of(wire); }

struct NodeSpec {
  NodeSpec(std::string id_, std::string endpoint_, std::string ip_, long long port_, long long tls_port_ = -1,
           std::string role_ = "master", std::string health_ = "online", std::string zone_ = "",
           bool null_endpoint_ = false)
      : id(std::move(id_)), endpoint(std::move(endpoint_)), ip(std::move(ip_)), port(port_), tls_port(tls_port_),
        role(std::move(role_)), health(std::move(health_)), zone(std::move(zone_)), null_endpoint(null_endpoint_) {}
  std::string id, endpoint, ip;
  long long port, tls_port;  // tls_port -1: not in the reply
  std::string role, health, zone;
  bool null_endpoint;
};

std::string shards_node(const Wire& w, const NodeSpec& n) {
  std::vector<std::pair<std::string, std::string>> kv{{"id", w.bulk(n.id)}, {"port", w.num(n.port)}};
  if (n.tls_port >= 0) kv.push_back({"tls-port", w.num(n.tls_port)});
  kv.push_back({"ip", w.bulk(n.ip)});
  kv.push_back({"endpoint", n.null_endpoint ? w.null() : w.bulk(n.endpoint)});
  kv.push_back({"role", w.bulk(n.role)});
  kv.push_back({"replication-offset", w.num(1234)});
  kv.push_back({"health", w.bulk(n.health)});
  if (!n.zone.empty()) kv.push_back({"availability-zone", w.bulk(n.zone)});
  return w.map(kv);
}

std::string shard(const Wire& w, std::vector<long long> slots, const std::vector<NodeSpec>& nodes) {
  std::vector<std::string> s, ns;
  for (auto v : slots) s.push_back(w.num(v));
  for (const auto& n : nodes) ns.push_back(shards_node(w, n));
  return w.map({{"slots", w.arr(s)}, {"nodes", w.arr(ns)}});
}

std::string id(char c) { return std::string(40, c); }

// A healthy 3 + 3 cluster as CLUSTER SHARDS describes it.
std::string three_shards(const Wire& w, std::string zone_a = "") {
  return w.arr({
      shard(w, {0, 5460}, {{id('a'), "127.0.0.1", "127.0.0.1", 7000, -1, "master", "online", zone_a},
                           {id('d'), "127.0.0.1", "127.0.0.1", 7003, -1, "replica", "online", "az-2"}}),
      shard(w, {5461, 10922}, {{id('b'), "127.0.0.1", "127.0.0.1", 7001},
                               {id('e'), "127.0.0.1", "127.0.0.1", 7004, -1, "replica"}}),
      shard(w, {10923, 16383}, {{id('f'), "127.0.0.1", "127.0.0.1", 7005, -1, "replica"},
                                {id('c'), "127.0.0.1", "127.0.0.1", 7002}}),
  });
}

const vc::Source src{"10.0.0.9", 7000};

vc::SlotMap shards_map(const std::string& wire) {
  auto r = vc::parse_cluster_shards(parse(wire), src);
  INFO(r.error);
  REQUIRE(r);
  return *r.map;
}

std::string shards_error(const std::string& wire, const vc::TopologyLimits& lim = {}) {
  auto r = vc::parse_cluster_shards(parse(wire), src, lim);
  CHECK_FALSE(r);
  CHECK_FALSE(r.error.empty());
  return r.error;
}

// CLUSTER SLOTS node: [endpoint, port, id, metadata?]
std::string slots_node(const Wire& w, std::string endpoint, long long port, std::string nid,
                       std::vector<std::pair<std::string, std::string>> meta = {}, bool null_ep = false) {
  std::vector<std::string> items{null_ep ? w.null() : w.bulk(endpoint), w.num(port), w.bulk(nid)};
  if (!meta.empty()) items.push_back(w.map(meta));
  return w.arr(items);
}

std::string slots_entry(const Wire& w, long long a, long long b, std::vector<std::string> nodes) {
  std::vector<std::string> items{w.num(a), w.num(b)};
  items.insert(items.end(), nodes.begin(), nodes.end());
  return w.arr(items);
}

std::string three_slots(const Wire& w) {
  return w.arr({
      slots_entry(w, 0, 5460, {slots_node(w, "127.0.0.1", 7000, id('a')), slots_node(w, "127.0.0.1", 7003, id('d'))}),
      slots_entry(w, 5461, 10922,
                  {slots_node(w, "127.0.0.1", 7001, id('b')), slots_node(w, "127.0.0.1", 7004, id('e'))}),
      slots_entry(w, 10923, 16383,
                  {slots_node(w, "127.0.0.1", 7002, id('c')), slots_node(w, "127.0.0.1", 7005, id('f'))}),
  });
}

}  // namespace

TEST_CASE("cluster topology: CLUSTER SHARDS over RESP3 and RESP2", "[cluster]") {
  for (bool resp2 : {false, true}) {
    INFO("resp2 " << resp2);
    Wire w{resp2};
    auto m = shards_map(three_shards(w, "az-1"));
    CHECK(m.full_coverage());
    REQUIRE(m.shards().size() == 3);
    CHECK(m.shard_of(0) == 0);
    CHECK(m.shard_of(5460) == 0);
    CHECK(m.shard_of(5461) == 1);
    CHECK(m.shard_of(16383) == 2);
    REQUIRE(m.owner(100));
    CHECK(m.owner(100)->port == 7000);
    CHECK(m.owner(100)->zone == "az-1");
    CHECK(m.owner(100)->id == id('a'));
    CHECK(m.owner(100)->health == vc::NodeHealth::online);
    const auto& s0 = m.shards()[0];
    REQUIRE(s0.nodes.size() == 2);
    CHECK(s0.nodes[1].role == vc::NodeRole::replica);
    CHECK(s0.nodes[1].zone == "az-2");
    // The primary leads its shard even when listed after a replica.
    CHECK(m.shards()[2].primary().port == 7002);
    CHECK(m.shards()[2].nodes[1].port == 7005);
    CHECK(m.ranges(1) == std::vector<vc::SlotRange>{{5461, 10922}});
  }
}

TEST_CASE("cluster topology: CLUSTER SLOTS over RESP3 and RESP2", "[cluster]") {
  for (bool resp2 : {false, true}) {
    INFO("resp2 " << resp2);
    Wire w{resp2};
    auto r = vc::parse_cluster_slots(parse(three_slots(w)), src);
    INFO(r.error);
    REQUIRE(r);
    const auto& m = *r.map;
    CHECK(m.full_coverage());
    REQUIRE(m.shards().size() == 3);
    CHECK(m.owner(12000)->port == 7002);
    CHECK(m.shards()[2].nodes[1].port == 7005);
    CHECK(m.shards()[2].nodes[1].role == vc::NodeRole::replica);
    // Same topology from either command (health is not in CLUSTER SLOTS).
    auto from_shards = shards_map(three_shards(w));
    CHECK(from_shards.owner(12000)->id == m.owner(12000)->id);
  }
}

TEST_CASE("cluster topology: several ranges of one primary form one shard", "[cluster]") {
  Wire w;
  auto r = vc::parse_cluster_slots(
      parse(w.arr({
          slots_entry(w, 0, 99, {slots_node(w, "127.0.0.1", 7000, id('a')), slots_node(w, "127.0.0.1", 7003, id('d'))}),
          slots_entry(w, 100, 199, {slots_node(w, "127.0.0.1", 7001, id('b'))}),
          slots_entry(w, 200, 299, {slots_node(w, "127.0.0.1", 7000, id('a')), slots_node(w, "127.0.0.1", 7003, id('d'))}),
      })),
      src);
  REQUIRE(r);
  CHECK(r.map->shards().size() == 2);
  CHECK(r.map->coverage() == 300);
  CHECK_FALSE(r.map->full_coverage());
  CHECK(r.map->ranges(0) == std::vector<vc::SlotRange>{{0, 99}, {200, 299}});
  CHECK(r.map->shard_of(300) == -1);
  CHECK(r.map->owner(300) == nullptr);
  CHECK(r.map->shards()[0].nodes.size() == 2);
}

TEST_CASE("cluster topology: unknown endpoints and host names", "[cluster]") {
  Wire w;
  // null and "" endpoints: the host the reply came from; "?": the node's ip.
  auto m = shards_map(w.arr({
      shard(w, {0, 8191}, {{id('a'), "", "", 7000, -1, "master", "online", "", true},
                           {id('d'), "", "192.168.1.4", 7003, -1, "replica"}}),
      shard(w, {8192, 16383}, {{id('b'), "?", "192.168.1.5", 7001},
                               {id('e'), "node-e.example.com", "192.168.1.6", 7004, -1, "replica"}}),
  }));
  CHECK(m.owner(0)->host == "10.0.0.9");
  CHECK(m.shards()[0].nodes[1].host == "10.0.0.9");
  CHECK(m.owner(9000)->host == "192.168.1.5");
  CHECK(m.shards()[1].nodes[1].host == "node-e.example.com");

  auto r = vc::parse_cluster_slots(
      parse(w.arr({slots_entry(w, 0, 16383,
                               {slots_node(w, "", 7000, id('a'), {}, true),
                                slots_node(w, "?", 7003, id('d'), {{"ip", w.bulk("192.168.1.4")}}),
                                slots_node(w, "cache-2.example.com", 7004, id('e'),
                                           {{"ip", w.bulk("192.168.1.6")}})})})),
      src);
  REQUIRE(r);
  CHECK(r.map->owner(5)->host == "10.0.0.9");
  CHECK(r.map->shards()[0].nodes[1].host == "192.168.1.4");
  CHECK(r.map->shards()[0].nodes[2].host == "cache-2.example.com");
}

TEST_CASE("cluster topology: TLS ports and TLS-only nodes", "[cluster]") {
  Wire w;
  auto m = shards_map(w.arr({shard(w, {0, 16383}, {{id('a'), "127.0.0.1", "127.0.0.1", 0, 7443}})}));
  CHECK(m.owner(0)->port == 0);
  CHECK(m.owner(0)->tls_port == 7443);
  auto both = shards_map(w.arr({shard(w, {0, 16383}, {{id('a'), "127.0.0.1", "127.0.0.1", 7000, 7443}})}));
  CHECK(both.owner(0)->port == 7000);
  CHECK(both.owner(0)->tls_port == 7443);
}

TEST_CASE("cluster topology: the old primary of a failover listed as failed", "[cluster]") {
  Wire w;
  auto m = shards_map(w.arr({shard(w, {0, 16383},
                                   {{id('a'), "127.0.0.1", "127.0.0.1", 7000, -1, "master", "failed"},
                                    {id('d'), "127.0.0.1", "127.0.0.1", 7003, -1, "master", "online"}})}));
  CHECK(m.owner(0)->port == 7003);
  CHECK(m.shards()[0].nodes[1].role == vc::NodeRole::replica);
  CHECK(m.shards()[0].nodes[1].health == vc::NodeHealth::failed);
  // A failed primary without a successor still owns its slots (failing fast is the router's call).
  auto down = shards_map(w.arr({shard(w, {0, 16383}, {{id('a'), "127.0.0.1", "127.0.0.1", 7000, -1, "master", "failed"}})}));
  CHECK(down.owner(0)->health == vc::NodeHealth::failed);
}

TEST_CASE("cluster topology: hostile CLUSTER SHARDS replies are rejected", "[cluster]") {
  Wire w;
  NodeSpec a{id('a'), "127.0.0.1", "127.0.0.1", 7000}, b{id('b'), "127.0.0.1", "127.0.0.1", 7001};
  CHECK(shards_error(w.arr({shard(w, {0, 100}, {a}), shard(w, {100, 200}, {b})})).find("twice") != std::string::npos);
  CHECK(shards_error(w.arr({shard(w, {0, 16384}, {a})})).find("0-16383") != std::string::npos);
  shards_error(w.arr({shard(w, {-1, 5}, {a})}));
  shards_error(w.arr({shard(w, {10, 5}, {a})}));
  shards_error(w.arr({shard(w, {0, 5, 6}, {a})}));  // odd slot list
  NodeSpec p0 = a;
  p0.port = 0;
  CHECK(shards_error(w.arr({shard(w, {0, 5}, {p0})})).find("port") != std::string::npos);
  NodeSpec big = a;
  big.port = 70000;
  CHECK(shards_error(w.arr({shard(w, {0, 5}, {big})})).find("port") != std::string::npos);
  NodeSpec neg = a;
  neg.port = -7;
  shards_error(w.arr({shard(w, {0, 5}, {neg})}));
  NodeSpec same_id = b;
  same_id.id = a.id;
  CHECK(shards_error(w.arr({shard(w, {0, 5}, {a}), shard(w, {6, 9}, {same_id})})).find("duplicate node id") !=
        std::string::npos);
  NodeSpec same_addr = b;
  same_addr.port = 7000;
  CHECK(shards_error(w.arr({shard(w, {0, 5}, {a}), shard(w, {6, 9}, {same_addr})})).find("address") !=
        std::string::npos);
  NodeSpec b_primary = b;
  CHECK(shards_error(w.arr({shard(w, {0, 5}, {a, b_primary})})).find("two live primaries") != std::string::npos);
  NodeSpec ra = a, rb = b;
  ra.role = rb.role = "replica";
  CHECK(shards_error(w.arr({shard(w, {0, 5}, {ra, rb})})).find("without a primary") != std::string::npos);
  NodeSpec odd_role = a;
  odd_role.role = "leader";
  shards_error(w.arr({shard(w, {0, 5}, {odd_role})}));
  NodeSpec long_host = a;
  long_host.endpoint = std::string(300, 'h');
  shards_error(w.arr({shard(w, {0, 5}, {long_host})}));
  NodeSpec bad_host = a;
  bad_host.endpoint = "evil host";
  shards_error(w.arr({shard(w, {0, 5}, {bad_host})}));
  NodeSpec long_id = a;
  long_id.id = std::string(100, 'x');
  shards_error(w.arr({shard(w, {0, 5}, {long_id})}));
  // Slots but no node to serve them.
  shards_error(w.arr({shard(w, {0, 5}, {})}));
  // Shapes.
  shards_error(w.bulk("nonsense"));
  shards_error(w.arr({w.num(5)}));
  shards_error(w.arr({w.map({{"slots", w.bulk("0-5")}, {"nodes", w.arr({})}})}));
  shards_error(w.arr({w.map({{"nodes", w.arr({shards_node(w, a)})}})}));
  shards_error(w.arr({w.map({{"slots", w.arr({w.num(0), w.num(5)})},
                             {"nodes", w.arr({w.map({{"id", w.bulk(id('a'))}, {"role", w.bulk("master")}})})}})}));
  shards_error(w.arr({w.map({{"slots", w.arr({w.bulk("zero"), w.num(5)})}, {"nodes", w.arr({shards_node(w, a)})}})}));
  CHECK(vc::parse_cluster_shards(Reply::error("ERR This instance has cluster support disabled"), src).error.find(
            "cluster support disabled") != std::string::npos);
}

TEST_CASE("cluster topology: replies over the limits are rejected", "[cluster]") {
  Wire w;
  vc::TopologyLimits lim;
  lim.max_nodes = 4;
  CHECK(shards_error(three_shards(w), lim).find("nodes") != std::string::npos);
  lim = {};
  lim.max_ranges = 2;
  CHECK(shards_error(three_shards(w), lim).find("ranges") != std::string::npos);
  // Many single-slot ranges: fine under the default limit, refused over a small one.
  std::vector<long long> slots;
  for (long long s = 0; s < 16384; s += 2) slots.push_back(s), slots.push_back(s);
  NodeSpec a{id('a'), "127.0.0.1", "127.0.0.1", 7000};
  auto m = shards_map(w.arr({shard(w, slots, {a})}));
  CHECK(m.coverage() == 8192);
  lim = {};
  lim.max_ranges = 1000;
  shards_error(w.arr({shard(w, slots, {a})}), lim);
}

TEST_CASE("cluster topology: hostile CLUSTER SLOTS replies are rejected", "[cluster]") {
  Wire w;
  auto err = [&](const std::string& wire) {
    auto r = vc::parse_cluster_slots(parse(wire), src);
    CHECK_FALSE(r);
    CHECK_FALSE(r.error.empty());
    return r.error;
  };
  auto na = slots_node(w, "127.0.0.1", 7000, id('a')), nb = slots_node(w, "127.0.0.1", 7001, id('b'));
  CHECK(err(w.arr({slots_entry(w, 0, 10, {na}), slots_entry(w, 5, 20, {nb})})).find("twice") != std::string::npos);
  err(w.arr({slots_entry(w, 0, 16384, {na})}));
  err(w.arr({slots_entry(w, 0, 10, {slots_node(w, "127.0.0.1", 0, id('a'))})}));
  err(w.arr({slots_entry(w, 0, 10, {slots_node(w, "127.0.0.1", 65536, id('a'))})}));
  err(w.arr({slots_entry(w, 0, 10, {na}), slots_entry(w, 11, 20, {slots_node(w, "127.0.0.1", 7001, id('a'))})}));
  err(w.arr({slots_entry(w, 0, 10, {na, slots_node(w, "127.0.0.1", 7009, id('a'))})}));
  err(w.arr({w.arr({w.num(0), w.num(10)})}));
  err(w.arr({slots_entry(w, 0, 10, {w.arr({w.bulk("127.0.0.1")})})}));
  err(w.num(3));
}

TEST_CASE("cluster topology: MOVED patches and failover promotion", "[cluster]") {
  Wire w;
  auto m = shards_map(three_shards(w));
  const auto before = m;
  // A MOVED to the primary that already owns the slot.
  CHECK(m.patch(10, "127.0.0.1", 7000) == vc::SlotMap::Patch::unchanged);
  CHECK(m == before);
  // A MOVED to another known primary: that slot only.
  CHECK(m.patch(10, "127.0.0.1", 7001) == vc::SlotMap::Patch::moved);
  CHECK(m.shard_of(10) == 1);
  CHECK(m.shard_of(11) == 0);
  CHECK_FALSE(m == before);
  CHECK(m.coverage() == 16384);
  // A MOVED to a replica: it was promoted; its whole shard follows.
  CHECK(m.patch(200, "127.0.0.1", 7003) == vc::SlotMap::Patch::promoted);
  CHECK(m.owner(200)->port == 7003);
  CHECK(m.owner(5000)->port == 7003);
  CHECK(m.owner(200)->role == vc::NodeRole::primary);
  CHECK(m.shards()[0].nodes[1].port == 7000);
  CHECK(m.shards()[0].nodes[1].role == vc::NodeRole::replica);
  // A MOVED to an unknown node: a new shard for that slot until the refresh.
  CHECK(m.patch(16000, "127.0.0.1", 7100) == vc::SlotMap::Patch::new_node);
  CHECK(m.owner(16000)->port == 7100);
  CHECK(m.owner(16000)->id.empty());
  CHECK(m.shards().size() == 4);
  CHECK(m.shard_of(16001) == 2);
  // Direct promotion.
  m.promote(1, 1);
  CHECK(m.owner(6000)->port == 7004);
  m.promote(1, 0);  // already primary: nothing
  CHECK(m.owner(6000)->port == 7004);
}

TEST_CASE("cluster topology: comparing maps", "[cluster]") {
  Wire w;
  auto a = shards_map(three_shards(w));
  auto b = shards_map(three_shards(Wire{true}));
  CHECK(a == b);  // RESP2 and RESP3 describe the same cluster
  auto c = shards_map(three_shards(w, "az-9"));
  CHECK_FALSE(a == c);  // a zone changed
  b.patch(1, "127.0.0.1", 7002);
  CHECK_FALSE(a == b);
}

TEST_CASE("cluster topology: majority view", "[cluster]") {
  Wire w;
  const auto full = shards_map(three_shards(w));
  auto moved = full;
  moved.patch(0, "127.0.0.1", 7001);
  // A node that lost two shards (partial coverage).
  const auto partial =
      shards_map(w.arr({shard(w, {0, 5460}, {{id('a'), "127.0.0.1", "127.0.0.1", 7000}})}));
  REQUIRE(partial.coverage() == 5461);

  using Views = std::vector<std::optional<vc::SlotMap>>;
  {  // No current map: the most common view.
    Views v{moved, full, full};
    CHECK(vc::majority_view(v, nullptr) == std::optional<std::size_t>{1});
  }
  {  // Everyone agrees with the current map: keep it.
    Views v{full, full};
    CHECK_FALSE(vc::majority_view(v, &full));
  }
  {  // Most sources report a change.
    Views v{moved, full, moved};
    CHECK(vc::majority_view(v, &full) == std::optional<std::size_t>{0});
  }
  {  // One node's partial view never replaces full coverage...
    Views v{partial};
    CHECK_FALSE(vc::majority_view(v, &full));
    Views v2{partial, full, std::nullopt};
    CHECK_FALSE(vc::majority_view(v2, &full));
    Views v3{partial, moved};  // tie: more coverage wins
    CHECK(vc::majority_view(v3, &full) == std::optional<std::size_t>{1});
  }
  {  // ...but a strict majority of sources can shrink coverage (a shard really lost).
    Views v{partial, partial, full};
    CHECK(vc::majority_view(v, &full) == std::optional<std::size_t>{0});
    Views even{partial, partial, full, full};
    CHECK_FALSE(vc::majority_view(even, &full));
  }
  {  // Rejected sources (empty) count but never win.
    Views v{std::nullopt, std::nullopt};
    CHECK_FALSE(vc::majority_view(v, &full));
    CHECK_FALSE(vc::majority_view(v, nullptr));
    Views one{std::nullopt, moved};
    CHECK(vc::majority_view(one, nullptr) == std::optional<std::size_t>{1});
  }
}
