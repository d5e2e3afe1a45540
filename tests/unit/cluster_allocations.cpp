// The routing decisions a request takes on its way out (slot, key walk,
// refusal, fan-out) and the redirect parsing on its way back allocate
// nothing: the cluster client adds them to every request.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include <valkey/cluster/key_specs.hpp>
#include <valkey/cluster/redirect.hpp>
#include <valkey/cluster/route.hpp>
#include <valkey/cluster/slot.hpp>
#include <valkey/command_table.hpp>

// This binary's one replacement of operator new (counts every allocation).
#include "../support/allocation_hook.hpp"

using valkey::test::allocations;

namespace vc = valkey::cluster;

TEST_CASE("cluster allocations: routing and redirect parsing allocate nothing", "[cluster]") {
  const std::vector<std::vector<std::string_view>> commands{
      {"SET", "{user1}name", "v", "EX", "10"},
      {"GET", "foo"},
      {"MGET", "{t}a", "{t}b", "{t}c"},
      {"EVAL", "return 1", "2", "{t}a", "{t}b", "arg"},
      {"XREAD", "COUNT", "1", "STREAMS", "s", "0"},
      {"ZUNIONSTORE", "{z}d", "2", "{z}a", "{z}b"},
      {"SPUBLISH", "ch", "m"},
      {"ECHO", "x"},
      {"DBSIZE"},
      {"SCAN", "0"},
      {"SELECT", "1"},
      {"SUNION", "foo", "bar"},  // cross_slot: names the keys by view
      {"SORT", "foo"},           // unknown_keys with a hint
      {"NOSUCH", "x"},
  };
  const std::vector<std::string> owned{"HSET", "{h}1", "f", "v", "g", "w"};
  const valkey::CommandInfo* get = valkey::find_command("GET");
  REQUIRE(get != nullptr);
  int kinds = 0;
  long n = 0;
  {
    const long before = allocations();
    for (int round = 0; round < 10; ++round) {
      for (const auto& argv : commands) {
        vc::Route r = vc::route(argv);
        kinds += static_cast<int>(r.kind);
        auto count = [&](int, const valkey::KeySpec&) { ++n; };
        vc::walk_key_specs(argv, count);
      }
      kinds += static_cast<int>(vc::route_call(owned).kind);
      vc::SlotCheck check;
      for (const auto& a : owned) check(a);
      kinds += check.single_slot();
      vc::Redirect red;
      kinds += vc::parse_redirect("MOVED 3999 [::1]:7000", red);
      kinds += vc::parse_redirect("ASK 3999 node-1.example.com:7000", red);
      kinds += static_cast<int>(vc::classify_error("TRYAGAIN Multiple keys request during rehashing of slot"));
      kinds += vc::hash_slot("{user1000}.following");
      vc::Route by_slot;
      vc::route_slot(by_slot, *get, 12182);
      kinds += static_cast<int>(by_slot.kind);
    }
    const long during = allocations() - before;
    CHECK(during == 0);
  }
  CHECK(kinds > 0);
  CHECK(n > 0);
  // The check can fail: a split builds its groups.
  std::vector<std::string_view> split{"MGET", "foo", "bar"};
  const long before = allocations();
  vc::Route r = vc::route(split);
  CHECK(r.kind == vc::RouteKind::multi_slot);
  CHECK(allocations() > before);
}
