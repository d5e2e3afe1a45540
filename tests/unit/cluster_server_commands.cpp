// Command facts from COMMAND INFO replies (module commands, newer servers):
// the replies of valkey-server 9.1.2 give the same key specs and policies as
// the generated table, and a module command is routed by its own specs.
#include <catch2/catch_test_macros.hpp>

#include "reply_support.hpp"

#include <string>
#include <vector>

#include <valkey/cluster/key_specs.hpp>
#include <valkey/cluster/route.hpp>
#include <valkey/cluster/server_commands.hpp>
#include <valkey/command_table.hpp>
#include <valkey/reply.hpp>
#include <valkey/resp/parser.hpp>

namespace vc = valkey::cluster;
using valkey::KeySpec;

namespace {

// COMMAND INFO XREAD OBJECT SPUBLISH NOSUCH, recorded from valkey-server 9.1.2.
const std::string info_resp3 =
    "*4\r\n*10\r\n$5\r\nxread\r\n:-4\r\n~3\r\n+readonly\r\n+blocking\r\n+movablekeys\r\n:0\r\n:0\r\n"
    ":0\r\n~4\r\n+@read\r\n+@stream\r\n+@slow\r\n+@blocking\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n"
    "~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$7\r\nkeyword\r\n$4\r\n"
    "spec\r\n%2\r\n$7\r\nkeyword\r\n$7\r\nSTREAMS\r\n$9\r\nstartfrom\r\n:1\r\n$9\r\nfind_keys\r\n"
    "%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n"
    ":1\r\n$5\r\nlimit\r\n:2\r\n*0\r\n*10\r\n$6\r\nobject\r\n:-2\r\n~0\r\n:0\r\n:0\r\n:0\r\n~1\r\n"
    "+@slow\r\n~0\r\n~0\r\n*5\r\n*10\r\n$15\r\nobject|encoding\r\n:3\r\n~1\r\n+readonly\r\n:2\r\n"
    ":2\r\n:1\r\n~3\r\n+@keyspace\r\n+@read\r\n+@slow\r\n~1\r\n$23\r\nnondeterministic_output\r\n"
    "~1\r\n%3\r\n$5\r\nflags\r\n~1\r\n+RO\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\n"
    "index\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\n"
    "range\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n"
    "*0\r\n*10\r\n$11\r\nobject|freq\r\n:3\r\n~1\r\n+readonly\r\n:2\r\n:2\r\n:1\r\n~3\r\n"
    "+@keyspace\r\n+@read\r\n+@slow\r\n~1\r\n$23\r\nnondeterministic_output\r\n~1\r\n%3\r\n$5\r\n"
    "flags\r\n~1\r\n+RO\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n"
    "%1\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n"
    "%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n*10\r\n$11\r\n"
    "object|help\r\n:2\r\n~2\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n~2\r\n+@keyspace\r\n"
    "+@slow\r\n~0\r\n~0\r\n*0\r\n*10\r\n$15\r\nobject|idletime\r\n:3\r\n~1\r\n+readonly\r\n:2\r\n"
    ":2\r\n:1\r\n~3\r\n+@keyspace\r\n+@read\r\n+@slow\r\n~1\r\n$23\r\nnondeterministic_output\r\n"
    "~1\r\n%3\r\n$5\r\nflags\r\n~1\r\n+RO\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\n"
    "index\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\n"
    "range\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n"
    "*0\r\n*10\r\n$15\r\nobject|refcount\r\n:3\r\n~1\r\n+readonly\r\n:2\r\n:2\r\n:1\r\n~3\r\n"
    "+@keyspace\r\n+@read\r\n+@slow\r\n~1\r\n$23\r\nnondeterministic_output\r\n~1\r\n%3\r\n$5\r\n"
    "flags\r\n~1\r\n+RO\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n"
    "%1\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n"
    "%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n*10\r\n$8\r\n"
    "spublish\r\n:3\r\n~4\r\n+pubsub\r\n+loading\r\n+stale\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~2\r\n"
    "+@pubsub\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~1\r\n+not_key\r\n$12\r\nbegin_search\r\n"
    "%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n"
    "%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n"
    ":1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n_\r\n";

const std::string info_resp2 =
    "*4\r\n*10\r\n$5\r\nxread\r\n:-4\r\n*3\r\n+readonly\r\n+blocking\r\n+movablekeys\r\n:0\r\n:0\r\n"
    ":0\r\n*4\r\n+@read\r\n+@stream\r\n+@slow\r\n+@blocking\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n"
    "*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$7\r\nkeyword\r\n$4\r\n"
    "spec\r\n*4\r\n$7\r\nkeyword\r\n$7\r\nSTREAMS\r\n$9\r\nstartfrom\r\n:1\r\n$9\r\nfind_keys\r\n"
    "*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n"
    ":1\r\n$5\r\nlimit\r\n:2\r\n*0\r\n*10\r\n$6\r\nobject\r\n:-2\r\n*0\r\n:0\r\n:0\r\n:0\r\n*1\r\n"
    "+@slow\r\n*0\r\n*0\r\n*5\r\n*10\r\n$15\r\nobject|encoding\r\n:3\r\n*1\r\n+readonly\r\n:2\r\n"
    ":2\r\n:1\r\n*3\r\n+@keyspace\r\n+@read\r\n+@slow\r\n*1\r\n$23\r\nnondeterministic_output\r\n"
    "*1\r\n*6\r\n$5\r\nflags\r\n*1\r\n+RO\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\n"
    "index\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\n"
    "range\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n"
    "*0\r\n*10\r\n$11\r\nobject|freq\r\n:3\r\n*1\r\n+readonly\r\n:2\r\n:2\r\n:1\r\n*3\r\n"
    "+@keyspace\r\n+@read\r\n+@slow\r\n*1\r\n$23\r\nnondeterministic_output\r\n*1\r\n*6\r\n$5\r\n"
    "flags\r\n*1\r\n+RO\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n"
    "*2\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n"
    "*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n*10\r\n$11\r\n"
    "object|help\r\n:2\r\n*2\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@keyspace\r\n"
    "+@slow\r\n*0\r\n*0\r\n*0\r\n*10\r\n$15\r\nobject|idletime\r\n:3\r\n*1\r\n+readonly\r\n:2\r\n"
    ":2\r\n:1\r\n*3\r\n+@keyspace\r\n+@read\r\n+@slow\r\n*1\r\n$23\r\nnondeterministic_output\r\n"
    "*1\r\n*6\r\n$5\r\nflags\r\n*1\r\n+RO\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\n"
    "index\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\n"
    "range\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n"
    "*0\r\n*10\r\n$15\r\nobject|refcount\r\n:3\r\n*1\r\n+readonly\r\n:2\r\n:2\r\n:1\r\n*3\r\n"
    "+@keyspace\r\n+@read\r\n+@slow\r\n*1\r\n$23\r\nnondeterministic_output\r\n*1\r\n*6\r\n$5\r\n"
    "flags\r\n*1\r\n+RO\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n"
    "*2\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n"
    "*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n*10\r\n$8\r\n"
    "spublish\r\n:3\r\n*4\r\n+pubsub\r\n+loading\r\n+stale\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*2\r\n"
    "+@pubsub\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*1\r\n+not_key\r\n$12\r\nbegin_search\r\n"
    "*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n"
    "*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n"
    ":1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n$-1\r\n";
valkey::Reply parse(const std::string& wire) { return valkey::test::reply_of(wire); }

bool same_spec(const KeySpec& a, const KeySpec& b) {
  return a.begin == b.begin && a.begin_index == b.begin_index && a.keyword == b.keyword &&
         a.keyword_startfrom == b.keyword_startfrom && a.find == b.find && a.lastkey == b.lastkey &&
         a.keystep == b.keystep && a.limit == b.limit && a.keynumidx == b.keynumidx && a.firstkey == b.firstkey &&
         a.keynum_step == b.keynum_step && a.read == b.read && a.write == b.write && a.incomplete == b.incomplete;
}

void same_as_generated(const valkey::CommandInfo& ours, std::string_view name) {
  INFO(name);
  const valkey::CommandInfo* gen = valkey::find_command(name);
  REQUIRE(gen);
  CHECK(ours.name == gen->name);
  CHECK(ours.arity == gen->arity);
  CHECK(ours.request_policy == gen->request_policy);
  CHECK(ours.response_policy == gen->response_policy);
  CHECK(ours.is(valkey::CommandFlag::readonly) == gen->is(valkey::CommandFlag::readonly));
  CHECK(ours.is(valkey::CommandFlag::write) == gen->is(valkey::CommandFlag::write));
  CHECK(ours.is(valkey::CommandFlag::blocking) == gen->is(valkey::CommandFlag::blocking));
  CHECK(ours.acl_categories == gen->acl_categories);
  REQUIRE(ours.key_specs.size() == gen->key_specs.size());
  for (std::size_t i = 0; i < ours.key_specs.size(); ++i) CHECK(same_spec(ours.key_specs[i], gen->key_specs[i]));
}

// RESP builders for a module's COMMAND INFO (RESP3 shapes).
std::string bulk(std::string_view s) { return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n"; }
std::string num(long long v) { return ":" + std::to_string(v) + "\r\n"; }
std::string arr(const std::vector<std::string>& items, char type = '*') {
  std::string s = type + std::to_string(items.size()) + "\r\n";
  for (const auto& i : items) s += i;
  return s;
}
std::string map(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::string s = "%" + std::to_string(kv.size()) + "\r\n";
  for (const auto& [k, v] : kv) s += bulk(k) + v;
  return s;
}
std::string range_spec(std::vector<std::string> flags, long long index, long long lastkey, long long step) {
  std::vector<std::string> f;
  for (auto& x : flags) f.push_back("+" + x + "\r\n");
  return map({{"flags", arr(f, '~')},
              {"begin_search", map({{"type", bulk("index")}, {"spec", map({{"index", num(index)}})}})},
              {"find_keys", map({{"type", bulk("range")},
                                 {"spec", map({{"lastkey", num(lastkey)}, {"keystep", num(step)}, {"limit", num(0)}})}})}});
}
std::string entry(std::string name, long long arity, std::vector<std::string> flags, std::vector<std::string> tips,
                  std::vector<std::string> specs) {
  std::vector<std::string> f, t;
  for (auto& x : flags) f.push_back("+" + x + "\r\n");
  for (auto& x : tips) t.push_back(bulk(x));
  return arr({bulk(name), num(arity), arr(f, '~'), num(1), num(-1), num(1), arr({}, '~'), arr(t, '~'), arr(specs),
              arr({})});
}

}  // namespace

TEST_CASE("cluster server commands: COMMAND INFO of valkey 9.1.2 equals the generated facts", "[cluster]") {
  for (const std::string* wire : {&info_resp3, &info_resp2}) {
    vc::ServerCommands table;
    std::vector<std::string> errors;
    const std::size_t added = table.add(parse(*wire), &errors);
    INFO((wire == &info_resp3 ? "RESP3" : "RESP2"));
    CHECK(errors.empty());
    // XREAD, SPUBLISH, OBJECT and its subcommands; NOSUCH (null) skipped.
    CHECK(added == table.size());
    CHECK(added >= 7);
    const valkey::CommandInfo* xread = table.find("xread");
    REQUIRE(xread);
    same_as_generated(*xread, "XREAD");
    const valkey::CommandInfo* enc = table.find("object", "encoding");
    REQUIRE(enc);
    same_as_generated(*enc, "OBJECT ENCODING");
    REQUIRE(table.find("OBJECT", "NOSUCHSUB"));
    CHECK(table.find("OBJECT", "NOSUCHSUB")->name == "OBJECT");
    const valkey::CommandInfo* sp = table.find("SPUBLISH");
    REQUIRE(sp);
    same_as_generated(*sp, "SPUBLISH");
    CHECK(table.find("NOSUCH") == nullptr);
    // The interpreter reads the server's specs as it reads the generated ones.
    std::vector<std::string_view> argv{"XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"};
    CHECK(vc::key_positions(*xread, argv).keys == std::vector<std::string_view>{"a", "b"});
    // Adding the same commands again adds nothing and keeps the pointers.
    CHECK(table.add(parse(*wire)) == 0);
    CHECK(table.find("XREAD") == xread);
  }
}

TEST_CASE("cluster server commands: a module command is routed by its own key specs", "[cluster]") {
  const std::string reply = arr({
      entry("mymod.mget", -2, {"readonly"}, {"request_policy:multi_shard", "response_policy:default"},
            {range_spec({"RO", "access"}, 1, -1, 1)}),
      entry("mymod.set", 3, {"write", "denyoom"}, {}, {range_spec({"OW", "update"}, 1, 0, 1)}),
      entry("mymod.info", 1, {"readonly"}, {"request_policy:all_shards", "response_policy:agg_sum"}, {}),
  });
  vc::ServerCommands table;
  std::vector<std::string> errors;
  REQUIRE(table.add(parse(reply), &errors) == 3);
  CHECK(errors.empty());
  const auto* mget = table.find("MYMOD.MGET");
  REQUIRE(mget);
  CHECK(mget->is(valkey::CommandFlag::readonly));
  std::vector<std::string_view> split{"MYMOD.MGET", "foo", "bar"}, one{"mymod.set", "foo", "v"}, info{"MYMOD.INFO"};
  CHECK(vc::route(*mget, split).kind == vc::RouteKind::multi_slot);
  auto set = vc::route(*table.find("mymod.set"), one);
  CHECK(set.kind == vc::RouteKind::slot);
  CHECK(set.slot == 12182);
  auto fan = vc::route(*table.find("mymod.info"), info);
  CHECK(fan.kind == vc::RouteKind::all_shards);
  CHECK(fan.info->response_policy == valkey::ResponsePolicy::agg_sum);
}

TEST_CASE("cluster server commands: malformed entries are skipped with a reason", "[cluster]") {
  const std::string reply = arr({
      entry("good.cmd", 2, {"readonly"}, {}, {range_spec({"RO"}, 1, 0, 1)}),
      entry("bad.index", 2, {}, {}, {range_spec({"RO"}, 0, 0, 1)}),
      entry("bad.step", 2, {}, {}, {range_spec({"RO"}, 1, -1, 0)}),
      arr({bulk("short"), num(2)}),
      num(5),
      entry("bad.spec", 2, {}, {}, {map({{"flags", arr({}, '~')}})}),
  });
  vc::ServerCommands table;
  std::vector<std::string> errors;
  CHECK(table.add(parse(reply), &errors) == 1);
  CHECK(table.size() == 1);
  REQUIRE(errors.size() == 5);
  CHECK(errors[0].find("BAD.INDEX") == 0);
  CHECK(table.find("GOOD.CMD"));
  CHECK_FALSE(table.find("BAD.INDEX"));
  CHECK(table.add(valkey::Reply::error("ERR unknown command"), &errors) == 0);
  CHECK(errors.size() == 6);
}
