// Hostile topology replies beyond the hand-written cases: valid CLUSTER
// SHARDS / CLUSTER SLOTS replies mutated at random (numbers changed, elements
// dropped, duplicated or retyped), a fixed seed so failures reproduce. A
// mutated reply is either rejected with a reason or gives a map that keeps
// every invariant the router relies on; nothing crashes or throws.
#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <valkey/cluster/topology.hpp>
#include <valkey/reply.hpp>

namespace vc = valkey::cluster;
using valkey::Reply;

namespace {

Reply bulk(std::string s) { return Reply::bulk_string(std::move(s)); }

Reply shards_node(const std::string& id, std::int64_t port, const std::string& role) {
  return Reply::map({bulk("id"), bulk(id), bulk("port"), Reply::integer(port), bulk("ip"), bulk("127.0.0.1"),
                     bulk("endpoint"), bulk("127.0.0.1"), bulk("role"), bulk(role), bulk("health"), bulk("online"),
                     bulk("availability-zone"), bulk("az")});
}

Reply shards_reply() {
  std::vector<Reply> shards;
  const std::int64_t bounds[][2] = {{0, 5460}, {5461, 10922}, {10923, 16383}};
  for (int s = 0; s < 3; ++s) {
    shards.push_back(Reply::map(
        {bulk("slots"), Reply::array({Reply::integer(bounds[s][0]), Reply::integer(bounds[s][1])}), bulk("nodes"),
         Reply::array({shards_node(std::string(40, static_cast<char>('a' + s)), 7000 + s, "master"),
                       shards_node(std::string(40, static_cast<char>('d' + s)), 7003 + s, "replica")})}));
  }
  return Reply::array(std::move(shards));
}

Reply slots_reply() {
  std::vector<Reply> entries;
  const std::int64_t bounds[][2] = {{0, 5460}, {5461, 10922}, {10923, 16383}};
  for (int s = 0; s < 3; ++s) {
    entries.push_back(Reply::array(
        {Reply::integer(bounds[s][0]), Reply::integer(bounds[s][1]),
         Reply::array({bulk("127.0.0.1"), Reply::integer(7000 + s), bulk(std::string(40, static_cast<char>('a' + s)))}),
         Reply::array(
             {bulk("127.0.0.1"), Reply::integer(7003 + s), bulk(std::string(40, static_cast<char>('d' + s)))})}));
  }
  return Reply::array(std::move(entries));
}

class Mutator {
 public:
  explicit Mutator(std::uint32_t seed) : rng_(seed) {}

  Reply mutate(const Reply& r, int depth = 0) {
    if (chance(40)) return scalar_noise(r);
    if (r.is_map()) {
      std::vector<Reply> flat;
      for (const Reply& e : r.elements()) flat.push_back(mutate(e, depth + 1));
      if (chance(60) && flat.size() >= 2) flat.erase(flat.begin(), flat.begin() + 2);  // drop a field
      return Reply::map(std::move(flat));
    }
    if (r.is_array()) {
      std::vector<Reply> items;
      for (const Reply& e : r.elements()) items.push_back(mutate(e, depth + 1));
      if (chance(50) && !items.empty()) items.erase(items.begin() + static_cast<long>(pick(items.size())));
      if (chance(50) && !items.empty()) items.push_back(items[pick(items.size())]);
      if (chance(80)) return Reply::map(items.size() % 2 ? std::vector<Reply>{} : items);  // an array read as a map
      return Reply::array(std::move(items));
    }
    return r;
  }

 private:
  bool chance(int one_in) { return std::uniform_int_distribution<int>(0, one_in - 1)(rng_) == 0; }
  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

  Reply scalar_noise(const Reply& r) {
    static const std::int64_t numbers[] = {-1, 0, 1, 5460, 5461, 16383, 16384, 65535, 65536, 7000, 7003, -70000,
                                           INT64_MAX};
    switch (pick(6)) {
      case 0: return Reply::integer(numbers[pick(std::size(numbers))]);
      case 1: return bulk(r.is_integer() ? std::to_string(r.as_integer()) : "?");
      case 2: return Reply::null();
      case 3: return bulk("");
      case 4: return Reply::array({});
      default: return r.is_string() ? bulk(std::string(r.raw()) + "x") : Reply::integer(7000);
    }
  }

  std::mt19937 rng_;
};

void check_invariants(const vc::SlotMap& m) {
  std::set<std::string> ids;
  for (const auto& s : m.shards()) {
    REQUIRE_FALSE(s.nodes.empty());
    CHECK(s.nodes[0].role == vc::NodeRole::primary);
    for (std::size_t i = 0; i < s.nodes.size(); ++i) {
      const auto& n = s.nodes[i];
      if (i > 0) CHECK(n.role == vc::NodeRole::replica);
      CHECK((n.port != 0 || n.tls_port != 0));
      CHECK_FALSE(n.host.empty());
      if (!n.id.empty()) CHECK(ids.insert(n.id).second);
    }
  }
  std::size_t covered = 0;
  int bad_owner = -1;  // first slot whose owner is not its shard's primary
  for (int slot = 0; slot < vc::slot_count; ++slot) {
    const int s = m.shard_of(static_cast<std::uint16_t>(slot));
    if (s < 0) continue;
    ++covered;
    const bool ok = static_cast<std::size_t>(s) < m.shards().size() &&
                    m.owner(static_cast<std::uint16_t>(slot)) == &m.shards()[static_cast<std::size_t>(s)].nodes[0];
    if (!ok && bad_owner < 0) bad_owner = slot;
  }
  CHECK(bad_owner == -1);
  CHECK(covered == m.coverage());
}

}  // namespace

TEST_CASE("cluster topology: randomly damaged replies are rejected or valid", "[cluster]") {
  const vc::Source src{"127.0.0.1", 7000};
  const Reply shards = shards_reply(), slots = slots_reply();
  // The undamaged replies are accepted.
  REQUIRE(vc::parse_cluster_shards(shards, src));
  REQUIRE(vc::parse_cluster_slots(slots, src));
  Mutator m{20261202};
  int accepted = 0, rejected = 0;
  for (int i = 0; i < 1500; ++i) {
    const Reply a = m.mutate(shards), b = m.mutate(slots);
    for (const auto& r : {vc::parse_cluster_shards(a, src), vc::parse_cluster_slots(b, src)}) {
      if (r) {
        ++accepted;
        CHECK(r.error.empty());
        check_invariants(*r.map);
      } else {
        ++rejected;
        CHECK_FALSE(r.error.empty());
      }
    }
  }
  // Both outcomes happen, so the mutations reach the validation.
  CHECK(accepted > 50);
  CHECK(rejected > 500);
  WARN("damaged topology replies: " << accepted << " accepted with valid maps, " << rejected << " rejected");
}
