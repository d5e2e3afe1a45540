// The key-spec interpreter on hand-written argv. The expected keys are what
// COMMAND GETKEYS answers on valkey-server 9.1.2 for the same argv, except
// where the specs say they are incomplete (then the status says so).
#include <catch2/catch_test_macros.hpp>

#include <initializer_list>
#include <string_view>
#include <vector>

#include <valkey/cluster/key_specs.hpp>
#include <valkey/command_table.hpp>

namespace vc = valkey::cluster;
using Keys = std::vector<std::string_view>;

namespace {

struct Found {
  vc::KeysStatus status;
  Keys keys;
  std::vector<int> positions;
};

Found walk(std::initializer_list<std::string_view> argv, vc::NotKeys nk = vc::NotKeys::skip) {
  std::vector<std::string_view> v(argv);
  auto r = vc::key_positions(v, nk);
  return {r.walk.status, r.keys, r.positions};
}

Keys keys_of(std::initializer_list<std::string_view> argv) {
  auto f = walk(argv);
  CHECK(f.status == vc::KeysStatus::complete);
  return f.keys;
}

}  // namespace

TEST_CASE("cluster key specs: fixed positions", "[cluster]") {
  CHECK(keys_of({"SET", "k", "v"}) == Keys{"k"});
  CHECK(keys_of({"set", "k", "v", "EX", "10", "GET"}) == Keys{"k"});
  CHECK(walk({"SET", "k", "v"}).positions == std::vector<int>{1});
  CHECK(keys_of({"GET", "k"}) == Keys{"k"});
  CHECK(keys_of({"COPY", "a", "b", "REPLACE"}) == Keys{"a", "b"});
  // The key of a subcommand is counted from the container's name.
  CHECK(keys_of({"OBJECT", "ENCODING", "k"}) == Keys{"k"});
  CHECK(keys_of({"object", "encoding", "k"}) == Keys{"k"});
  CHECK(keys_of({"MEMORY", "USAGE", "k", "SAMPLES", "5"}) == Keys{"k"});
}

TEST_CASE("cluster key specs: ranges to the end, with a step", "[cluster]") {
  CHECK(keys_of({"MGET", "a", "b", "c"}) == Keys{"a", "b", "c"});
  CHECK(keys_of({"DEL", "a"}) == Keys{"a"});
  CHECK(keys_of({"DEL", "a", "b", "a"}) == Keys{"a", "b", "a"});
  CHECK(keys_of({"MSET", "a", "1", "b", "2"}) == Keys{"a", "b"});
  CHECK(walk({"MSET", "a", "1", "b", "2"}).positions == std::vector<int>{1, 3});
  // A value that looks like a key is not one.
  CHECK(keys_of({"MSET", "a", "b"}) == Keys{"a"});
}

TEST_CASE("cluster key specs: key counts (keynum)", "[cluster]") {
  CHECK(keys_of({"EVAL", "return 1", "2", "a", "b", "arg"}) == Keys{"a", "b"});
  CHECK(keys_of({"EVAL", "return 1", "0"}).empty());
  CHECK(keys_of({"EVAL", "return 1", "0", "arg"}).empty());
  CHECK(keys_of({"FCALL", "f", "1", "a", "arg"}) == Keys{"a"});
  // ZUNIONSTORE: an index spec (destination) and a keynum spec (sources).
  CHECK(keys_of({"ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"}) == Keys{"d", "a", "b"});
  CHECK(keys_of({"LMPOP", "2", "a", "b", "LEFT"}) == Keys{"a", "b"});
  CHECK(keys_of({"ZMPOP", "1", "a", "MIN", "COUNT", "2"}) == Keys{"a"});
  CHECK(keys_of({"BLMPOP", "0.5", "2", "a", "b", "LEFT"}) == Keys{"a", "b"});
  CHECK(keys_of({"BZMPOP", "0", "1", "a", "MAX"}) == Keys{"a"});
  CHECK(keys_of({"SINTERCARD", "2", "a", "b", "LIMIT", "1"}) == Keys{"a", "b"});
  // Key/value pairs counted by numkeys (keystep 2).
  CHECK(keys_of({"MSETEX", "2", "a", "1", "b", "2", "EX", "10"}) == Keys{"a", "b"});
  // The server reads the count literally, even when it covers options.
  CHECK(keys_of({"LMPOP", "3", "a", "b", "LEFT"}) == Keys{"a", "b", "LEFT"});
}

TEST_CASE("cluster key specs: bad key counts are invalid", "[cluster]") {
  CHECK(walk({"EVAL", "s", "3", "a"}).status == vc::KeysStatus::invalid);   // past the end
  CHECK(walk({"EVAL", "s", "-1"}).status == vc::KeysStatus::invalid);       // negative
  CHECK(walk({"EVAL", "s", "x"}).status == vc::KeysStatus::invalid);        // not a number
  CHECK(walk({"EVAL", "s", "01", "a"}).status == vc::KeysStatus::invalid);  // the server's integers have no leading zero
  CHECK(walk({"EVAL", "s", "+1", "a"}).status == vc::KeysStatus::invalid);
  CHECK(walk({"EVAL", "s", "1 ", "a"}).status == vc::KeysStatus::invalid);
  CHECK(walk({"EVAL", "s", "99999999999999999999", "a"}).status == vc::KeysStatus::invalid);
  CHECK(walk({"EVAL", "s"}).status == vc::KeysStatus::invalid);  // no count at all
  // The last key's value is missing: the keys are still where numkeys puts
  // them (the server's parser refuses the command).
  CHECK(keys_of({"MSETEX", "2", "a", "1", "b"}) == Keys{"a", "b"});
  // A range that ends before it starts.
  CHECK(walk({"MGET"}).status == vc::KeysStatus::invalid);
}

TEST_CASE("cluster key specs: keyword searches", "[cluster]") {
  // STREAMS k1 k2 id1 id2: a range to the end, halved by limit 2.
  CHECK(keys_of({"XREAD", "STREAMS", "a", "0"}) == Keys{"a"});
  CHECK(keys_of({"XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"}) == Keys{"a", "b"});
  CHECK(keys_of({"xread", "block", "0", "streams", "a", "b", "c", "1", "2", "3"}) == Keys{"a", "b", "c"});
  // An odd tail rounds down, as in the server.
  CHECK(keys_of({"XREAD", "STREAMS", "a", "b", "0"}) == Keys{"a"});
  CHECK(keys_of({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", "b", ">", ">"}) == Keys{"a", "b"});
  // The search for XREADGROUP starts after GROUP g c: a group named STREAMS
  // is not the keyword.
  CHECK(keys_of({"XREADGROUP", "GROUP", "STREAMS", "c", "STREAMS", "a", ">"}) == Keys{"a"});
  // A key named like the keyword.
  CHECK(keys_of({"XREADGROUP", "GROUP", "g", "STREAMS", "STREAMS", "a", "0", "0"}) == Keys{"a"});
  // Optional STORE / STOREDIST keys.
  CHECK(keys_of({"GEORADIUS", "a", "1", "2", "3", "m"}) == Keys{"a"});
  CHECK(keys_of({"GEORADIUS", "a", "1", "2", "3", "m", "STORE", "d"}) == Keys{"a", "d"});
  CHECK(keys_of({"GEORADIUS", "a", "1", "2", "3", "km", "COUNT", "5", "STOREDIST", "d"}) == Keys{"a", "d"});
  // No keyword: the spec adds nothing.
  CHECK(keys_of({"XREAD", "COUNT", "1"}).empty());
}

TEST_CASE("cluster key specs: incomplete specs are reported", "[cluster]") {
  // MIGRATE: the single key, then a backward search for KEYS marked
  // incomplete (a password after AUTH may read "KEYS"; the server uses its
  // own code). Without KEYS that spec finds nothing and the key is complete.
  auto one = walk({"MIGRATE", "h", "1", "k", "0", "1000"});
  CHECK(one.status == vc::KeysStatus::complete);
  CHECK(one.keys == Keys{"k"});
  auto many = walk({"MIGRATE", "h", "1", "", "0", "1000", "KEYS", "a", "b"});
  CHECK(many.status == vc::KeysStatus::incomplete);
  CHECK(many.keys == Keys{"", "a", "b"});
  // SORT's BY/GET patterns and STORE are specs without a description.
  auto sort = walk({"SORT", "a", "BY", "w_*", "STORE", "d"});
  CHECK(sort.status == vc::KeysStatus::incomplete);
  CHECK(sort.keys == Keys{"a"});
  const valkey::CommandInfo* info = valkey::find_command("SORT");
  REQUIRE(info);
  CHECK(vc::has_movable_keys(*info));
  CHECK_FALSE(vc::has_movable_keys(*valkey::find_command("MGET")));
  CHECK(vc::has_movable_keys(*valkey::find_command("EVAL")));
}

TEST_CASE("cluster key specs: keyless and unknown commands", "[cluster]") {
  auto ping = walk({"PING"});
  CHECK(ping.status == vc::KeysStatus::complete);
  CHECK(ping.keys.empty());
  CHECK(walk({"INFO", "server"}).keys.empty());
  CHECK(walk({"NOSUCHCOMMAND", "k"}).status == vc::KeysStatus::unknown_command);
  CHECK(walk({}).status == vc::KeysStatus::unknown_command);
  // An unknown subcommand falls back to the container, which has no keys.
  CHECK(walk({"OBJECT", "NOSUCH", "k"}).keys.empty());
}

TEST_CASE("cluster key specs: not-key arguments hashed like keys", "[cluster]") {
  // SPUBLISH's channel is not a key (COMMAND GETKEYS has none) but routes by its slot.
  CHECK(walk({"SPUBLISH", "ch", "m"}).keys.empty());
  CHECK(walk({"SPUBLISH", "ch", "m"}, vc::NotKeys::include).keys == Keys{"ch"});
  CHECK(walk({"SSUBSCRIBE", "a", "b"}, vc::NotKeys::include).keys == Keys{"a", "b"});
  const auto* info = valkey::find_command("SPUBLISH");
  REQUIRE(info);
  REQUIRE(info->key_specs.size() == 1);
  CHECK(vc::is_not_key(info->key_specs[0]));
  CHECK_FALSE(vc::is_not_key(valkey::find_command("GET")->key_specs[0]));
}

TEST_CASE("cluster key specs: the callback form allocates nothing and sees the spec", "[cluster]") {
  std::vector<std::string_view> argv{"ZUNIONSTORE", "d", "2", "a", "b"};
  int writes = 0, reads = 0;
  auto sink = [&](int pos, const valkey::KeySpec& s) {
    CHECK(pos >= 1);
    if (s.write) ++writes;
    if (s.read) ++reads;
  };
  auto w = vc::walk_key_specs(argv, sink);
  CHECK(w.status == vc::KeysStatus::complete);
  CHECK(w.count == 3);
  CHECK(writes == 1);
  CHECK(reads == 2);
  REQUIRE(w.info);
  CHECK(w.info->name == "ZUNIONSTORE");
}

TEST_CASE("cluster key specs: specs from a server stay within argv", "[cluster]") {
  // A module may declare any step or index; nothing outside argv is read.
  static constexpr valkey::KeySpec wide[] = {
      {.begin = valkey::KeySpec::Begin::index, .begin_index = 1, .find = valkey::KeySpec::Find::keynum,
       .keynumidx = 0, .firstkey = 1, .keynum_step = 1000000, .read = true},
  };
  static constexpr valkey::KeySpec far[] = {
      {.begin = valkey::KeySpec::Begin::index, .begin_index = 900000, .find = valkey::KeySpec::Find::range,
       .lastkey = 0, .keystep = 1, .limit = 0, .read = true},
  };
  static constexpr valkey::KeySpec zero_step[] = {
      {.begin = valkey::KeySpec::Begin::index, .begin_index = 1, .find = valkey::KeySpec::Find::range,
       .lastkey = -1, .keystep = 0, .limit = 0, .read = true},
  };
  valkey::CommandInfo info{.name = "MOD.X", .arity = -2, .flags = valkey::CommandFlag::none, .acl_categories = 0,
                           .since = "", .group = "", .request_policy = valkey::RequestPolicy::default_,
                           .response_policy = valkey::ResponsePolicy::default_, .nondeterministic_output = false,
                           .key_specs = wide};
  std::vector<std::string_view> argv{"MOD.X", "2", "a", "b", "c"};
  auto w = vc::key_positions(info, argv);
  CHECK(w.walk.status == vc::KeysStatus::invalid);
  CHECK(w.keys.empty());
  std::vector<std::string_view> one{"MOD.X", "1", "a"};
  CHECK(vc::key_positions(info, one).keys == Keys{"a"});
  info.key_specs = far;
  CHECK(vc::key_positions(info, argv).walk.status == vc::KeysStatus::invalid);
  info.key_specs = zero_step;
  CHECK(vc::key_positions(info, argv).walk.status == vc::KeysStatus::invalid);
}
