// Routing decisions for single commands, from argv and from typed key lists.
#include <catch2/catch_test_macros.hpp>

#include <initializer_list>
#include <string_view>
#include <vector>

#include <valkey/cluster/route.hpp>
#include <valkey/cluster/slot.hpp>
#include <valkey/command_table.hpp>

namespace vc = valkey::cluster;
using vc::RouteKind;

namespace {

// Keeps argv alive with the route's views into it.
struct Routed {
  std::vector<std::string_view> argv;
  vc::Route r;
};
Routed route(std::initializer_list<std::string_view> a) {
  Routed out{std::vector<std::string_view>(a), {}};
  out.r = vc::route(out.argv);
  return out;
}

}  // namespace

TEST_CASE("cluster route: keys in one slot go to that slot", "[cluster]") {
  auto set = route({"SET", "foo", "v"});
  CHECK(set.r.kind == RouteKind::slot);
  CHECK(set.r.slot == 12182);
  CHECK_FALSE(set.r.read_only);
  auto get = route({"GET", "foo"});
  CHECK(get.r.kind == RouteKind::slot);
  CHECK(get.r.read_only);
  // Several keys sharing a hash tag.
  auto sunion = route({"SUNIONSTORE", "{u1}d", "{u1}a", "{u1}b"});
  CHECK(sunion.r.kind == RouteKind::slot);
  CHECK(sunion.r.slot == vc::hash_slot("u1"));
  auto eval = route({"EVAL", "return 1", "2", "{t}a", "{t}b", "not-a-key"});
  CHECK(eval.r.kind == RouteKind::slot);
  CHECK(eval.r.slot == vc::hash_slot("t"));
  CHECK(route({"OBJECT", "ENCODING", "foo"}).r.slot == 12182);
  // SPUBLISH routes by its shard channel, which is not a key.
  auto sp = route({"SPUBLISH", "bar", "hello"});
  CHECK(sp.r.kind == RouteKind::slot);
  CHECK(sp.r.slot == 5061);
}

TEST_CASE("cluster route: keyless commands", "[cluster]") {
  CHECK(route({"ECHO", "x"}).r.kind == RouteKind::any_primary);
  CHECK(route({"TIME"}).r.kind == RouteKind::any_primary);
  // PING's spec asks for every primary (request_policy all_shards).
  CHECK(route({"PING"}).r.kind == RouteKind::all_shards);
  CHECK(route({"PUBLISH", "ch", "m"}).r.kind == RouteKind::any_primary);
  CHECK(route({"EVAL", "return 1", "0"}).r.kind == RouteKind::any_primary);
  CHECK(route({"ECHO", "x"}).r.read_only == false);
}

TEST_CASE("cluster route: fan-out by request_policy", "[cluster]") {
  auto dbsize = route({"DBSIZE"});
  CHECK(dbsize.r.kind == RouteKind::all_shards);
  REQUIRE(dbsize.r.info);
  CHECK(dbsize.r.info->response_policy == valkey::ResponsePolicy::agg_sum);
  CHECK(route({"KEYS", "*"}).r.kind == RouteKind::all_shards);
  CHECK(route({"FLUSHALL"}).r.kind == RouteKind::all_shards);
  CHECK(route({"FUNCTION", "LOAD", "code"}).r.kind == RouteKind::all_shards);
  CHECK(route({"SCRIPT", "FLUSH"}).r.kind == RouteKind::all_nodes);
  CHECK(route({"CONFIG", "SET", "maxmemory", "1"}).r.kind == RouteKind::all_nodes);
  CHECK(route({"INFO"}).r.info->response_policy == valkey::ResponsePolicy::special);
}

TEST_CASE("cluster route: special commands name their API", "[cluster]") {
  auto scan = route({"SCAN", "0"});
  CHECK(scan.r.kind == RouteKind::special);
  CHECK(scan.r.reason.find("scan_all") != std::string_view::npos);
  auto cs = route({"CLUSTERSCAN", "0"});
  CHECK(cs.r.kind == RouteKind::special);
  CHECK(vc::describe(cs.r).find("scan_all") != std::string::npos);
}

TEST_CASE("cluster route: multi_shard commands split by slot", "[cluster]") {
  // foo: 12182, bar: 5061, {foo}x: 12182.
  auto mget = route({"MGET", "foo", "bar", "{foo}x", "bar"});
  REQUIRE(mget.r.kind == RouteKind::multi_slot);
  CHECK(mget.r.read_only);
  CHECK(mget.r.key_step == 1);
  CHECK(mget.r.positions == std::vector<int>{1, 2, 3, 4});
  REQUIRE(mget.r.groups.size() == 2);
  CHECK(mget.r.groups[0].slot == 12182);
  CHECK(mget.r.groups[0].keys == std::vector<std::uint32_t>{0, 2});
  CHECK(mget.r.groups[1].slot == 5061);
  CHECK(mget.r.groups[1].keys == std::vector<std::uint32_t>{1, 3});

  auto mset = route({"MSET", "bar", "1", "foo", "2"});
  REQUIRE(mset.r.kind == RouteKind::multi_slot);
  CHECK(mset.r.key_step == 2);
  CHECK(mset.r.positions == std::vector<int>{1, 3});
  REQUIRE(mset.r.groups.size() == 2);
  CHECK(mset.r.groups[0].slot == 5061);

  for (auto name : {"DEL", "UNLINK", "EXISTS", "TOUCH"}) {
    auto r = route({name, "foo", "bar"});
    INFO(name);
    CHECK(r.r.kind == RouteKind::multi_slot);
    CHECK(r.r.groups.size() == 2);
  }
  // MSETEX without NX/XX splits; with NX or XX it promises all or none.
  auto msetex = route({"MSETEX", "2", "foo", "1", "bar", "2", "EX", "10"});
  REQUIRE(msetex.r.kind == RouteKind::multi_slot);
  CHECK(msetex.r.key_step == 2);
  CHECK(msetex.r.positions == std::vector<int>{2, 4});
  auto nx = route({"MSETEX", "2", "foo", "1", "bar", "2", "nx", "EX", "10"});
  CHECK(nx.r.kind == RouteKind::cross_slot);
  // A value spelled NX is not the flag.
  auto value_nx = route({"MSETEX", "2", "foo", "NX", "bar", "XX"});
  CHECK(value_nx.r.kind == RouteKind::multi_slot);
  // One slot: no split.
  auto one = route({"MGET", "{a}1", "{a}2"});
  CHECK(one.r.kind == RouteKind::slot);
  CHECK(one.r.groups.empty());
}

TEST_CASE("cluster route: keys in several slots of a command that cannot split", "[cluster]") {
  auto sunion = route({"SUNION", "foo", "{foo}2", "bar"});
  REQUIRE(sunion.r.kind == RouteKind::cross_slot);
  CHECK(sunion.r.key_a == "foo");
  CHECK(sunion.r.key_b == "bar");
  CHECK(sunion.r.slot_a == 12182);
  CHECK(sunion.r.slot_b == 5061);
  auto text = vc::describe(sunion.r);
  CHECK(text.find("'foo'") != std::string::npos);
  CHECK(text.find("'bar'") != std::string::npos);
  CHECK(text.find("12182") != std::string::npos);
  CHECK(route({"RENAME", "foo", "bar"}).r.kind == RouteKind::cross_slot);
  CHECK(route({"MSETNX", "foo", "1", "bar", "2"}).r.kind == RouteKind::cross_slot);
  CHECK(route({"EVAL", "s", "2", "foo", "bar"}).r.kind == RouteKind::cross_slot);
  CHECK(route({"XREAD", "STREAMS", "foo", "bar", "0", "0"}).r.kind == RouteKind::cross_slot);
  CHECK(route({"ZUNIONSTORE", "foo", "1", "bar"}).r.kind == RouteKind::cross_slot);
}

TEST_CASE("cluster route: connection-state commands are refused with the API to use", "[cluster]") {
  struct Case {
    std::initializer_list<std::string_view> argv;
    std::string_view mentions;
  };
  const Case cases[] = {
      {{"AUTH", "pw"}, "password"},
      {{"AUTH", "user", "pw"}, "password"},
      {{"HELLO", "3"}, "protocol"},
      {{"SELECT", "1"}, "Config::database"},
      {{"RESET"}, "close()"},
      {{"READONLY"}, "read_from"},
      {{"READWRITE"}, "read_from"},
      {{"ASKING"}, "ASK"},
      {{"CLIENT", "SETNAME", "n"}, "client_name"},
      {{"client", "setname", "n"}, "client_name"},
      {{"CLIENT", "TRACKING", "ON"}, "caching"},
      {{"CLIENT", "REPLY", "OFF"}, "pipeline"},
      {{"MONITOR"}, "Client"},
      {{"MULTI"}, "transaction()"},
      {{"EXEC"}, "transaction()"},
      {{"DISCARD"}, "transaction()"},
      {{"WATCH", "k"}, "watch()"},
      {{"UNWATCH"}, "transaction()"},
      {{"SUBSCRIBE", "c"}, "subscriber"},
      {{"PSUBSCRIBE", "c*"}, "subscriber"},
      {{"SSUBSCRIBE", "c"}, "subscriber"},
      {{"UNSUBSCRIBE"}, "subscriber"},
      {{"PUNSUBSCRIBE"}, "subscriber"},
      {{"SUNSUBSCRIBE"}, "subscriber"},
  };
  for (const auto& c : cases) {
    auto r = route(c.argv);
    INFO(*c.argv.begin());
    CHECK(r.r.kind == RouteKind::refused);
    CHECK(r.r.reason.find(c.mentions) != std::string_view::npos);
    CHECK(vc::describe(r.r).find(std::string(r.r.info->name)) == 0);
  }
  // Other CLIENT subcommands are not refused.
  CHECK(route({"CLIENT", "ID"}).r.kind != RouteKind::refused);
  CHECK(route({"CLIENT", "GETNAME"}).r.kind != RouteKind::refused);
  // Typed commands are refused by their facts too.
  const valkey::CommandInfo* select = valkey::find_command("SELECT");
  REQUIRE(select);
  CHECK(vc::route_keys(*select, {}).kind == RouteKind::refused);
}

TEST_CASE("cluster route: no refused command reads or writes data (refusal() skips those)", "[cluster]") {
  int refused = 0;
  for (const valkey::CommandInfo* info : valkey::all_commands()) {
    valkey::CommandInfo stripped = *info;
    stripped.flags = valkey::CommandFlag::none;  // past the shortcut: the full list decides
    if (vc::refusal(stripped).empty()) continue;
    ++refused;
    INFO(info->name);
    CHECK_FALSE(info->is(valkey::CommandFlag::readonly));
    CHECK_FALSE(info->is(valkey::CommandFlag::write));
    CHECK(vc::refusal(*info) == vc::refusal(stripped));
  }
  CHECK(refused >= 20);  // the list is found in the table
}

TEST_CASE("cluster route: keys the specs cannot name", "[cluster]") {
  auto sort = route({"SORT", "foo", "BY", "w_*", "STORE", "bar"});
  CHECK(sort.r.kind == RouteKind::unknown_keys);
  CHECK(sort.r.keys_status == vc::KeysStatus::incomplete);
  CHECK(sort.r.hint_slot == 12182);
  CHECK(vc::describe(sort.r).find("COMMAND GETKEYS") != std::string::npos);
  auto bad = route({"EVAL", "s", "x", "foo"});
  CHECK(bad.r.kind == RouteKind::unknown_keys);
  CHECK(bad.r.keys_status == vc::KeysStatus::invalid);
  CHECK(bad.r.hint_slot == -1);
  auto mod = route({"FT.SEARCH", "idx", "*"});
  CHECK(mod.r.kind == RouteKind::unknown_keys);
  CHECK(mod.r.keys_status == vc::KeysStatus::unknown_command);
  CHECK(mod.r.info == nullptr);
  CHECK(vc::describe(mod.r).find("COMMAND INFO") != std::string::npos);
  CHECK(vc::route(std::span<const std::string_view>{}).kind == RouteKind::unknown_keys);
}

TEST_CASE("cluster route: typed key lists", "[cluster]") {
  const auto* mget = valkey::find_command("MGET");
  const auto* msetex = valkey::find_command("MSETEX");
  const auto* get = valkey::find_command("GET");
  const auto* sunion = valkey::find_command("SUNION");
  REQUIRE((mget && msetex && get && sunion));
  std::vector<std::string_view> one{"foo"}, two{"bar", "foo", "bar"};
  auto g = vc::route_keys(*get, one);
  CHECK(g.kind == RouteKind::slot);
  CHECK(g.slot == 12182);
  CHECK(g.read_only);
  auto m = vc::route_keys(*mget, two);
  REQUIRE(m.kind == RouteKind::multi_slot);
  REQUIRE(m.groups.size() == 2);
  CHECK(m.groups[0].keys == std::vector<std::uint32_t>{0, 2});
  CHECK(m.groups[1].keys == std::vector<std::uint32_t>{1});
  CHECK(vc::route_keys(*msetex, two, true).kind == RouteKind::cross_slot);
  auto s = vc::route_keys(*sunion, two);
  CHECK(s.kind == RouteKind::cross_slot);
  CHECK(s.key_a == "bar");
  CHECK(s.key_b == "foo");
  CHECK(vc::route_keys(*get, {}).kind == RouteKind::any_primary);
  // A typed command's slot found by its caller: the route route_keys() gives.
  const auto* set = valkey::find_command("SET");
  REQUIRE(set);
  for (const auto* info : {get, set}) {
    const auto by_keys = vc::route_keys(*info, one);
    vc::Route by_slot;
    vc::route_slot(by_slot, *info, valkey::cluster::hash_slot("foo"));
    CHECK(by_slot.kind == by_keys.kind);
    CHECK(by_slot.info == by_keys.info);
    CHECK(by_slot.read_only == by_keys.read_only);
    CHECK(by_slot.slot == by_keys.slot);
  }
}

TEST_CASE("cluster route: many keys split in linear-ish time and keep key order", "[cluster]") {
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i) keys.push_back("k" + std::to_string(i));
  std::vector<std::string_view> argv{"MGET"};
  for (const auto& k : keys) argv.push_back(k);
  auto r = vc::route(argv);
  REQUIRE(r.kind == RouteKind::multi_slot);
  std::size_t total = 0;
  std::uint32_t prev_first = 0;
  for (std::size_t g = 0; g < r.groups.size(); ++g) {
    const auto& grp = r.groups[g];
    REQUIRE_FALSE(grp.keys.empty());
    if (g > 0) CHECK(grp.keys.front() > prev_first);
    prev_first = grp.keys.front();
    for (std::size_t i = 0; i < grp.keys.size(); ++i) {
      CHECK(vc::hash_slot(argv[static_cast<std::size_t>(r.positions[grp.keys[i]])]) == grp.slot);
      if (i > 0) CHECK(grp.keys[i] > grp.keys[i - 1]);
    }
    total += grp.keys.size();
  }
  CHECK(total == keys.size());
}

TEST_CASE("cluster route: an argument view as Client::call takes it", "[cluster]") {
  std::vector<std::string> owned{"MGET", "foo", "bar"};
  auto r = vc::route_call(owned);
  REQUIRE(r.kind == RouteKind::multi_slot);
  CHECK(r.positions == std::vector<int>{1, 2});
  auto cross = vc::route_call({"SUNION", "foo", "bar"});
  CHECK(cross.kind == RouteKind::cross_slot);
  // Past the inline buffer.
  std::vector<std::string> many{"DEL"};
  for (int i = 0; i < 100; ++i) many.push_back("{t}" + std::to_string(i));
  auto del = vc::route_call(many);
  CHECK(del.kind == RouteKind::slot);
  CHECK(del.slot == vc::hash_slot("t"));
  std::vector<std::string> sunion{"SUNION"};
  for (int i = 0; i < 100; ++i) sunion.push_back("k" + std::to_string(i));
  auto c = vc::route_call(sunion);
  REQUIRE(c.kind == RouteKind::cross_slot);
  // The views point at the caller's strings.
  CHECK(c.key_a.data() == sunion[1].data());
}

TEST_CASE("cluster route: SlotCheck over a typed walker's keys", "[cluster]") {
  vc::SlotCheck none;
  CHECK(none.count() == 0);
  CHECK_FALSE(none.single_slot());
  vc::SlotCheck one;
  for (auto k : {"{a}1", "{a}2", "a"}) one(k);
  CHECK(one.count() == 3);
  CHECK(one.single_slot());
  CHECK(one.slot() == vc::hash_slot("a"));
  CHECK(one.first_key() == "{a}1");
  vc::SlotCheck two;
  for (auto k : {"foo", "{foo}x", "bar", "baz"}) two(k);
  CHECK_FALSE(two.single_slot());
  CHECK(two.other_key() == "bar");
  // A conflicting empty key is still reported.
  vc::SlotCheck empty;
  empty("foo");
  empty(std::string_view{});
  CHECK_FALSE(empty.single_slot());
  CHECK(empty.other_key().empty());
}
