// The record of covered slots behind scan_all's SCAN fallback: CLUSTER NODES
// parsing and the rule that decides which slots a walk covered.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <valkey/cluster/scan_record.hpp>

namespace vc = valkey::cluster;
using namespace std::chrono_literals;

namespace {

// Three primaries A, B, C and B's replica D, as A sees them; `a_slots` is
// the tail of A's line (its slots and markers).
std::string nodes_text(const std::string& self, const std::string& a_slots, const std::string& b_slots = "5461-10922") {
  auto flags = [&](const std::string& id, const std::string& role) { return (id == self ? "myself," : "") + role; };
  return "aaaa 127.0.0.1:7000@17000 " + flags("aaaa", "master") + " - 0 0 1 connected " + a_slots + "\n" +
         "bbbb 127.0.0.1:7001@17001,host-b " + flags("bbbb", "master") + " - 0 0 2 connected " + b_slots + "\n" +
         "cccc 127.0.0.1:7002@17002 " + flags("cccc", "master") + " - 0 0 3 connected 10923-16383\n" +
         "dddd 127.0.0.1:7003@17003 " + flags("dddd", "slave") + " bbbb 0 0 2 connected\n";
}

vc::NodesView parse(const std::string& text) {
  vc::NodesView v;
  REQUIRE(vc::parse_cluster_nodes(text, v));
  return v;
}

}  // namespace

TEST_CASE("scan record: CLUSTER NODES gives the node's id, role, stable slots and every primary's slots", "[cluster][scan]") {
  const auto v = parse(nodes_text("aaaa", "0-5460 [100->-bbbb] [6000-<-bbbb]"));
  CHECK(v.self_id == "aaaa");
  CHECK(v.self_primary);
  CHECK(v.self_stable.count() == 5460);  // 0-5460 but 100, migrating away
  CHECK_FALSE(v.self_stable.test(100));
  CHECK_FALSE(v.self_stable.test(6000));  // importing: not served yet
  REQUIRE(v.primaries.size() == 3);
  CHECK(v.primaries[1].address == "127.0.0.1:7001");
  CHECK(v.primaries[1].slots.test(5461));

  const auto replica = parse(nodes_text("dddd", "0-5460"));
  CHECK_FALSE(replica.self_primary);
  CHECK(replica.self_stable.none());

  vc::NodesView none;
  CHECK_FALSE(vc::parse_cluster_nodes("garbage\n", none));
}

TEST_CASE("scan record: a walk covers the slots both reads show served and not migrating by the same primary",
          "[cluster][scan]") {
  const auto now = vc::ScanRecord::clock::now();
  vc::ScanRecord r(1s, now);
  const auto a = parse(nodes_text("aaaa", "0-5460"));
  REQUIRE(r.begin_walk(a));
  // Slot 100 started migrating during the walk, slot 200 left: not covered.
  const auto a2 = parse(nodes_text("aaaa", "0-199 201-5460 [100->-bbbb]"));
  CHECK(r.end_walk(a, a2) == 5459);
  CHECK(r.uncovered().test(100));
  CHECK(r.uncovered().test(200));
  // Keys of covered slots are dropped from later walks.
  int kept = 0, dropped = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::string k = "k" + std::to_string(i);
    CHECK(r.keep(k) == r.uncovered().test(vc::hash_slot(k)));
    (r.keep(k) ? kept : dropped)++;
  }
  CHECK(kept > 0);
  CHECK(dropped > 0);

  // B failed over to D during its walk: nothing of B's is covered.
  const auto b = parse(nodes_text("bbbb", "0-5460"));
  REQUIRE(r.begin_walk(b));
  const auto d = parse(nodes_text("dddd", "0-5460"));
  CHECK(r.end_walk(b, d) == 0);

  // The next round asks B's shard (D too) and the owner of 200 in the last view.
  auto node = [](std::string address, std::string id, bool primary, std::uint16_t first, std::uint16_t last) {
    vc::NodeDescription n;
    n.address = std::move(address);
    n.id = std::move(id);
    n.primary = primary;
    n.slots = {{first, last}};
    return n;
  };
  const std::vector<vc::NodeDescription> topology{node("a:7000", "aaaa", true, 0, 5460),
                                                  node("b:7001", "bbbb", true, 5461, 10922),
                                                  node("d:7003", "dddd", false, 5461, 10922),
                                                  node("c:7002", "cccc", true, 10923, 16383)};
  REQUIRE(r.next_round(now) == 0ms);  // progress: at once
  const auto plan = r.plan(topology);
  CHECK(plan == std::vector<std::string>{"a:7000", "b:7001", "c:7002", "d:7003"});
}

TEST_CASE("scan record: rounds without progress back off and give up after max_stall", "[cluster][scan]") {
  auto now = vc::ScanRecord::clock::now();
  vc::ScanRecord r(1s, now);
  CHECK(r.next_round(now) == 20ms);
  CHECK(r.next_round(now) == 40ms);
  CHECK(r.next_round(now + 990ms) == 10ms);  // never past the bound
  CHECK_FALSE(r.next_round(now + 1s).has_value());
  r.abandon_walk("SCAN on b:7001: connection lost");
  CHECK(r.failure().find("16384 slots not covered (first: 0)") != std::string::npos);
  CHECK(r.failure().find("connection lost") != std::string::npos);
}

// The streaming scan_all pauses while its consumer has not taken its pages:
// that time is not a stall of the cluster.
TEST_CASE("scan record: time held by the consumer does not count towards max_stall", "[cluster][scan]") {
  const auto now = vc::ScanRecord::clock::now();
  vc::ScanRecord r(1s, now);
  r.held(5s);
  CHECK(r.next_round(now + 5s) == 20ms);
  CHECK(r.next_round(now + 5s + 990ms) == 10ms);
  CHECK_FALSE(r.next_round(now + 6s).has_value());
}
