// Exact RESP bytes of the generated encoders for the commands with the
// hardest argument shapes, their key walkers, and their metadata. Expected
// bytes are written out by hand from the server's syntax, not derived from
// the generator's model.
#include <catch2/catch_test_macros.hpp>
#include <cctype>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <valkey/cmd/all.hpp>
#include <valkey/command_table.hpp>

namespace {

using namespace valkey::cmd;

template <class C>
std::string wire(const C& c) {
  std::string out;
  valkey::resp::Writer w{out};
  encode(c, w);
  return out;
}

// The expected RESP array of bulk strings, spelled as argv.
std::string argv(std::initializer_list<std::string_view> args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (auto a : args) out += "$" + std::to_string(a.size()) + "\r\n" + std::string(a) + "\r\n";
  return out;
}

template <class C>
std::vector<std::string> keys(const C& c) {
  std::vector<std::string> out;
  auto f = [&](std::string_view k) { out.emplace_back(k); };
  for_each_key(c, f);
  return out;
}

using KeyList = std::vector<std::string>;

// The element type of a list member (valkey::ArgList), for naming arrays to view.
template <auto Member>
struct element_of;
template <class S, class T, T S::*Member>
struct element_of<Member> {
  using type = typename T::value_type;
};
template <auto Member>
using ElementOf = typename element_of<Member>::type;

}  // namespace

TEST_CASE("SET: value, condition, GET and expiration", "[generated][encode]") {
  CHECK(wire(Set{.key = "k", .value = "v"}) == argv({"SET", "k", "v"}));
  CHECK(wire(Set{.key = "k", .value = "v", .condition = Set::Nx{}, .expiration = Set::Px{1500}}) ==
        argv({"SET", "k", "v", "NX", "PX", "1500"}));
  // SET ... GET is its own entry point (its reply is the old value, not "written")
  CHECK(wire(SetGet{.key = "k", .value = "v", .condition = Set::Nx{}, .expiration = Set::Px{1500}}) ==
        argv({"SET", "k", "v", "NX", "GET", "PX", "1500"}));
  CHECK(wire(Set{.key = "k", .value = "v", .condition = Set::IfEq{"old"}, .expiration = Set::KeepTtl{}}) ==
        argv({"SET", "k", "v", "IFEQ", "old", "KEEPTTL"}));
  CHECK(wire(Set{.key = "k", .value = "", .expiration = Set::Exat{1700000000}}) ==
        argv({"SET", "k", "", "EXAT", "1700000000"}));
  CHECK(keys(Set{.key = "k", .value = "v"}) == KeyList{"k"});
}

TEST_CASE("MSET and MGET: lists and pairs, keys in order", "[generated][encode]") {
  // Views do not own: a struct kept in a variable views named arrays, never a
  // braced list (whose backing array dies at the end of the declaration).
  const ElementOf<&Mset::data> pairs[] = {{"a", "1"}, {"b", "2"}};
  Mset m{.data = pairs};
  CHECK(wire(m) == argv({"MSET", "a", "1", "b", "2"}));
  CHECK(keys(m) == KeyList{"a", "b"});
  std::map<std::string, std::string> source{{"x", "1"}, {"y", "2"}};
  CHECK(wire(Mset{.data = source}) == argv({"MSET", "x", "1", "y", "2"}));
  std::vector<std::string> names{"a", "b", "c"};
  Mget g{.keys = names};
  CHECK(wire(g) == argv({"MGET", "a", "b", "c"}));
  CHECK(keys(g) == KeyList{"a", "b", "c"});
}

TEST_CASE("ZADD: flags and score/member pairs as doubles", "[generated][encode]") {
  const ElementOf<&Zadd::data> members[] = {{1.5, "a"}, {-2, "b"}};
  Zadd z{.key = "z", .data = members, .condition = valkey::xx,
         .comparison = valkey::gt, .change = true};
  CHECK(wire(z) == argv({"ZADD", "z", "XX", "GT", "CH", "1.5", "a", "-2", "b"}));
  const ElementOf<&ZaddIncr::data> incr[] = {{0.25, "m"}};
  ZaddIncr zi{.key = "z", .data = incr};
  CHECK(wire(zi) == argv({"ZADD", "z", "INCR", "0.25", "m"}));
  CHECK(wire(Zincrby{.key = "z", .increment = 0.5, .member = "m"}) == argv({"ZINCRBY", "z", "0.5", "m"}));
}

TEST_CASE("ZUNIONSTORE/ZINTER: numkeys computed, WEIGHTS doubles", "[generated][encode]") {
  const std::string_view ab[] = {"a", "b"};
  const double weights[] = {1.0, 2.5};
  Zunionstore u{.destination = "d", .keys = ab, .weights = weights, .aggregate = Zunionstore::Max{}};
  CHECK(wire(u) == argv({"ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2.5", "AGGREGATE", "MAX"}));
  CHECK(keys(u) == KeyList{"d", "a", "b"});
  const std::string_view a[] = {"a"};
  CHECK(wire(ZinterWithScores{.keys = a}) == argv({"ZINTER", "1", "a", "WITHSCORES"}));
}

TEST_CASE("score and lex bounds", "[generated][encode]") {
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(wire(Zcount{.key = "z", .min = 1, .max = 5}) == argv({"ZCOUNT", "z", "1", "5"}));
  CHECK(wire(Zcount{.key = "z", .min = valkey::ScoreBound::exclusive(1.5), .max = valkey::ScoreBound::max()}) ==
        argv({"ZCOUNT", "z", "(1.5", "+inf"}));
  CHECK(wire(Zcount{.key = "z", .min = -inf, .max = valkey::ScoreBound::exclusive(inf)}) ==
        argv({"ZCOUNT", "z", "-inf", "(+inf"}));
  CHECK(wire(ZrangeByLex{.key = "z", .min = valkey::LexBound::inclusive("a"), .max = valkey::LexBound::exclusive("c")}) ==
        argv({"ZRANGEBYLEX", "z", "[a", "(c"}));
  CHECK(wire(Zlexcount{.key = "z", .min = valkey::LexBound::min(), .max = valkey::LexBound::max()}) ==
        argv({"ZLEXCOUNT", "z", "-", "+"}));
  CHECK(wire(Zrange{.key = "z", .start = 0, .stop = -1}) == argv({"ZRANGE", "z", "0", "-1"}));
  CHECK(wire(Zrange{.key = "z", .start = valkey::ScoreBound::exclusive(1), .stop = 2.5,
                    .sort_by = Zrange::ByScore{}, .rev = true, .limit = Zrange::Limit{0, 10}}) ==
        argv({"ZRANGE", "z", "(1", "2.5", "BYSCORE", "REV", "LIMIT", "0", "10"}));
  CHECK(wire(ZrangeWithScores{.key = "z", .start = 0, .stop = 1}) == argv({"ZRANGE", "z", "0", "1", "WITHSCORES"}));
}

TEST_CASE("GEOSEARCH: BYPOLYGON without a center, computed vertex count", "[generated][encode]") {
  const ElementOf<&Geosearch::ByPolygon::vertices> triangle[] = {{12, 37}, {16, 37}, {16, 39.5}};
  // BYPOLYGON takes no FROMMEMBER/FROMLONLAT (the server refuses them together)
  Geosearch g{.key = "places",
              .by = Geosearch::ByPolygon{triangle},
              .order = Geosearch::Asc{},
              .count = Geosearch::Count{5, true}};
  CHECK(wire(g) == argv({"GEOSEARCH", "places", "BYPOLYGON", "3", "12", "37", "16", "37", "16", "39.5", "ASC", "COUNT",
                         "5", "ANY"}));
  Geosearch c{.key = "p", .by = Geosearch::ByRadius{200, Geosearch::Km{}}, .from = Geosearch::FromMember{"m"}};
  CHECK(wire(c) == argv({"GEOSEARCH", "p", "FROMMEMBER", "m", "BYRADIUS", "200", "km"}));
  GeosearchDetailed d{.key = "p", .by = Geosearch::ByBox{1, 2, Geosearch::Mi{}}, .from = Geosearch::FromLonLat{15, 37}};
  CHECK(wire(d) == argv({"GEOSEARCH", "p", "FROMLONLAT", "15", "37", "BYBOX", "1", "2", "mi", "WITHCOORD", "WITHDIST",
                         "WITHHASH"}));
}

TEST_CASE("GEORADIUS: member names, the detailed and the STORE entry points", "[generated][encode]") {
  static_assert(std::is_same_v<Georadius::reply_type, std::vector<std::string>>);
  static_assert(std::is_same_v<GeoradiusByMemberRoDetailed::reply_type, GeosearchDetailed::reply_type>);
  static_assert(std::is_same_v<GeoradiusStore::reply_type, std::int64_t>);
  CHECK(wire(GeoradiusDetailed{.key = "p", .longitude = 15, .latitude = 37, .radius = 200, .unit = Georadius::Km{}}) ==
        argv({"GEORADIUS", "p", "15", "37", "200", "km", "WITHCOORD", "WITHDIST", "WITHHASH"}));
  GeoradiusByMemberStore s{.key = "p", .member = "m", .radius = 5, .unit = GeoradiusByMemberStore::Mi{},
                           .store = GeoradiusByMemberStore::StoreDist{"d"}};
  CHECK(wire(s) == argv({"GEORADIUSBYMEMBER", "p", "m", "5", "mi", "STOREDIST", "d"}));
  CHECK(GeoradiusStore::info.name == "GEORADIUS");
}

TEST_CASE("CLIENT KILL: old form and combinable filters", "[generated][encode]") {
  // The old form answers OK, the filters a count: two structs.
  static_assert(std::is_same_v<ClientKillAddr::reply_type, valkey::Ok>);
  static_assert(std::is_same_v<ClientKill::reply_type, std::int64_t>);
  CHECK(wire(ClientKillAddr{.addr = "127.0.0.1:6379"}) == argv({"CLIENT", "KILL", "127.0.0.1:6379"}));
  CHECK(ClientKillAddr::info.name == "CLIENT KILL");
  const std::int64_t ids[] = {7, 9};
  ClientKill k{.client_ids = ids,
               .client_type = ClientKill::Pubsub{},
               .skip_me = ClientKill::No{},
               .max_age = 60,
               .not_username = "admin"};
  CHECK(wire(k) == argv({"CLIENT", "KILL", "ID", "7", "9", "TYPE", "pubsub", "SKIPME", "NO", "MAXAGE", "60",
                         "NOT-USER", "admin"}));
  CHECK(keys(k).empty());
  CHECK(ClientKill::info.name == "CLIENT KILL");
}

TEST_CASE("XADD: trimming, id selector and field/value pairs", "[generated][encode]") {
  const ElementOf<&Xadd::data> fv[] = {{"f", "v"}};
  const ElementOf<&Xadd::data> ab[] = {{"a", "1"}, {"b", "2"}};
  Xadd a{.key = "s", .id_selector = Xadd::AutoId{}, .data = fv};
  CHECK(wire(a) == argv({"XADD", "s", "*", "f", "v"}));
  Xadd b{.key = "s", .id_selector = Xadd::Id{"5-1"}, .data = ab,
         .trim = Xadd::Trim{.strategy = Xadd::MinId{}, .operator_ = Xadd::Approximately{},
                            .threshold = "100", .count = 10}};
  CHECK(wire(b) == argv({"XADD", "s", "MINID", "~", "100", "LIMIT", "10", "5-1", "a", "1", "b", "2"}));
  CHECK(keys(b) == KeyList{"s"});
  // NOMKSTREAM is its own entry point (its reply may be nil), written right after the key.
  XaddNoMkStream n{.key = "s", .id_selector = Xadd::AutoId{}, .data = fv,
                   .trim = Xadd::Trim{.strategy = Xadd::MaxLen{}, .threshold = "10"}};
  CHECK(wire(n) == argv({"XADD", "s", "NOMKSTREAM", "MAXLEN", "10", "*", "f", "v"}));
  CHECK(keys(n) == KeyList{"s"});
  static_assert(std::is_same_v<Xadd::reply_type, std::string>);
  static_assert(std::is_same_v<XaddNoMkStream::reply_type, std::optional<std::string>>);
}

TEST_CASE("XREAD and XREADGROUP: STREAMS as parallel key and id lists", "[generated][encode]") {
  const std::string_view streams[] = {"s1", "s2"}, ids[] = {"0", "$"};
  Xread r{.keys = streams, .ids = ids, .count = 10, .milliseconds = 0};
  CHECK(wire(r) == argv({"XREAD", "COUNT", "10", "BLOCK", "0", "STREAMS", "s1", "s2", "0", "$"}));
  CHECK(keys(r) == KeyList{"s1", "s2"});
  const std::string_view stream[] = {"s"}, next[] = {">"};
  Xreadgroup g{.group = "g", .consumer = "c", .keys = stream, .ids = next, .no_ack = true};
  CHECK(wire(g) == argv({"XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", "s", ">"}));
  CHECK(keys(g) == KeyList{"s"});
}

TEST_CASE("BITFIELD: repeated GET / OVERFLOW+SET / INCRBY operations", "[generated][encode]") {
  std::vector<Bitfield::Operation> ops{
      Bitfield::Get{"u8", 0},
      Bitfield::Write{.overflow = Bitfield::Sat{}, .write_operation = Bitfield::Set{"i5", 100, 1}},
      Bitfield::Write{.write_operation = Bitfield::Incrby{"u2", 102, 1}},
  };
  CHECK(wire(Bitfield{.key = "bf", .operations = ops}) ==
        argv({"BITFIELD", "bf", "GET", "u8", "0", "OVERFLOW", "SAT", "SET", "i5", "100", "1", "INCRBY", "u2", "102", "1"}));
  const ElementOf<&BitfieldRo::gets> gets[] = {{"u8", 0}, {"i4", 8}};
  CHECK(wire(BitfieldRo{.key = "bf", .gets = gets}) ==
        argv({"BITFIELD_RO", "bf", "GET", "u8", "0", "GET", "i4", "8"}));
}

TEST_CASE("SORT: BY, LIMIT, repeated GET, ALPHA, STORE", "[generated][encode]") {
  const std::string_view patterns[] = {"#", "o_*"};
  Sort s{.key = "l", .by_pattern = "w_*", .limit = Sort::Limit{0, 5}, .get_patterns = patterns,
         .order = Sort::Desc{}, .alpha = true};
  CHECK(wire(s) == argv({"SORT", "l", "BY", "w_*", "LIMIT", "0", "5", "GET", "#", "GET", "o_*", "DESC", "ALPHA"}));
  SortStore st{.key = "l", .destination = "dst"};
  CHECK(wire(st) == argv({"SORT", "l", "STORE", "dst"}));
  CHECK(keys(st) == KeyList{"l", "dst"});
}

TEST_CASE("MIGRATE: a key, or \"\" with KEYS", "[generated][encode]") {
  const std::string_view ab[] = {"a", "b"};
  Migrate one{.host = "h", .port = 7000, .key = "k", .destination_db = 0, .timeout = 500, .replace = true};
  CHECK(wire(one) == argv({"MIGRATE", "h", "7000", "k", "0", "500", "REPLACE"}));
  CHECK(keys(one) == KeyList{"k"});
  Migrate many{.host = "h", .port = 7000, .destination_db = 1, .timeout = 500, .copy = true,
               .authentication = Migrate::Auth2{"u", "p"}, .keys = ab};
  CHECK(wire(many) == argv({"MIGRATE", "h", "7000", "", "1", "500", "COPY", "AUTH2", "u", "p", "KEYS", "a", "b"}));
  CHECK(keys(many) == KeyList{"a", "b"});
}

TEST_CASE("HSETEX and HGETEX: FIELDS with a computed count", "[generated][encode]") {
  const ElementOf<&Hsetex::data> fields[] = {{"name", "Ada"}, {"lang", "C++"}};
  Hsetex h{.key = "h", .data = fields, .fields_condition = Hsetex::Fnx{},
           .expiration = Hsetex::Ex{3600}};
  CHECK(wire(h) == argv({"HSETEX", "h", "FNX", "EX", "3600", "FIELDS", "2", "name", "Ada", "lang", "C++"}));
  CHECK(keys(h) == KeyList{"h"});
  const std::string_view a[] = {"a"};
  CHECK(wire(Hgetex{.key = "h", .fields = a, .expiration = Hgetex::Persist{}}) ==
        argv({"HGETEX", "h", "PERSIST", "FIELDS", "1", "a"}));
}

TEST_CASE("CLUSTER SETSLOT and EVAL", "[generated][encode]") {
  CHECK(wire(ClusterSetSlot{.slot = 42, .subcommand = ClusterSetSlot::Node{"abc"}, .timeout = 100}) ==
        argv({"CLUSTER", "SETSLOT", "42", "NODE", "abc", "TIMEOUT", "100"}));
  CHECK(wire(ClusterSetSlot{.slot = 1, .subcommand = ClusterSetSlot::Stable{}}) ==
        argv({"CLUSTER", "SETSLOT", "1", "STABLE"}));
  const std::string_view ab[] = {"a", "b"}, x[] = {"x"};
  Eval e{.script = "return 1", .keys = ab, .args = x};
  CHECK(wire(e) == argv({"EVAL", "return 1", "2", "a", "b", "x"}));
  CHECK(keys(e) == KeyList{"a", "b"});
  CHECK(wire(Eval{.script = "return 1"}) == argv({"EVAL", "return 1", "0"}));
}

TEST_CASE("SCAN: unsigned 64-bit cursor", "[generated][encode]") {
  Scan s{.cursor = 18446744073709551615u, .pattern = "user:*", .count = 100, .type = "hash"};
  CHECK(wire(s) == argv({"SCAN", "18446744073709551615", "MATCH", "user:*", "COUNT", "100", "TYPE", "hash"}));
  static_assert(std::is_same_v<decltype(Scan::cursor), std::uint64_t>);
}

TEST_CASE("metadata: flags, key specs, tips", "[generated][metadata]") {
  using valkey::CommandFlag;
  CHECK(Get::info.is(CommandFlag::readonly));
  CHECK(Get::info.is(CommandFlag::fast));
  CHECK(!Get::info.is(CommandFlag::write));
  CHECK(Blpop::info.is(CommandFlag::blocking));
  STATIC_REQUIRE(Get::info.key_specs.size() == 1);
  STATIC_REQUIRE(Get::info.key_specs[0].begin == valkey::KeySpec::Begin::index);
  STATIC_REQUIRE(Get::info.key_specs[0].begin_index == 1);
  STATIC_REQUIRE(Get::info.key_specs[0].read);
  STATIC_REQUIRE(Xread::info.key_specs[0].begin == valkey::KeySpec::Begin::keyword);
  STATIC_REQUIRE(Xread::info.key_specs[0].keyword == "STREAMS");
  STATIC_REQUIRE(Eval::info.key_specs[0].find == valkey::KeySpec::Find::keynum);
  STATIC_REQUIRE(Dbsize::info.request_policy == valkey::RequestPolicy::all_shards);
  STATIC_REQUIRE(Dbsize::info.response_policy == valkey::ResponsePolicy::agg_sum);
  STATIC_REQUIRE(Randomkey::info.nondeterministic_output);
  STATIC_REQUIRE(Set::info.arity == -3);
  STATIC_REQUIRE(Set::info.group == "string");
  STATIC_REQUIRE(ZrangeWithScores::info.name == "ZRANGE");
  // implicit ACL categories: GET is fast and read, SET slow and write
  auto has_cat = [](std::uint64_t bits, std::string_view name) {
    for (std::size_t i = 0; i < std::size(valkey::acl_category_names); ++i)
      if (valkey::acl_category_names[i] == name) return (bits >> i & 1u) != 0;
    return false;
  };
  CHECK(has_cat(Get::info.acl_categories, "fast"));
  CHECK(has_cat(Get::info.acl_categories, "read"));
  CHECK(has_cat(Get::info.acl_categories, "string"));
  CHECK(has_cat(Set::info.acl_categories, "slow"));
  CHECK(has_cat(Set::info.acl_categories, "write"));
  CHECK(!has_cat(Set::info.acl_categories, "fast"));
}

TEST_CASE("command table: lookup for untyped commands", "[generated][metadata]") {
  const valkey::CommandInfo* get = valkey::find_command("get");
  REQUIRE(get != nullptr);
  CHECK(get == &Get::info);
  CHECK(valkey::find_command("CLIENT", "kill") == &ClientKill::info);
  CHECK(valkey::find_command("Client Kill") == &ClientKill::info);
  const valkey::CommandInfo* client = valkey::find_command("client", "no-such-sub");
  REQUIRE(client != nullptr);
  CHECK(client->name == "CLIENT");
  CHECK(valkey::find_command("GET", "k") == &Get::info);
  CHECK(valkey::find_command("JSON.GET") == nullptr);
  CHECK(valkey::find_command("") == nullptr);
  auto all = valkey::all_commands();
  CHECK(all.size() > 420);
  for (std::size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1]->name < all[i]->name);
  // Every "NAME SUB" entry through the two-argument form, in any case; a
  // name that only starts like a container ("CLIENTS") is not one.
  std::size_t subcommands = 0;
  for (const valkey::CommandInfo* c : all) {
    const auto space = c->name.find(' ');
    if (space == std::string_view::npos) continue;
    ++subcommands;
    std::string lower(c->name);
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const std::string_view l(lower);
    CHECK(valkey::find_command(c->name.substr(0, space), c->name.substr(space + 1)) == c);
    CHECK(valkey::find_command(l.substr(0, space), l.substr(space + 1)) == c);
  }
  CHECK(subcommands > 100);
  CHECK(valkey::find_command("CLIENTS", "kill") == nullptr);
  CHECK(valkey::find_command("CLIEN", "kill") == nullptr);
  CHECK(valkey::find_command("XINFO", "") == valkey::find_command("XINFO"));
}

TEST_CASE("time arguments take integers and std::chrono values", "[generated][encode]") {
  using namespace std::chrono_literals;
  CHECK(wire(Expire{.key = "k", .seconds = 30min}) == argv({"EXPIRE", "k", "1800"}));
  CHECK(wire(Expire{.key = "k", .seconds = 10}) == argv({"EXPIRE", "k", "10"}));
  CHECK(wire(Pexpire{.key = "k", .milliseconds = 2s}) == argv({"PEXPIRE", "k", "2000"}));
  CHECK(wire(Set{.key = "k", .value = "v", .expiration = valkey::ex(1h)}) == argv({"SET", "k", "v", "EX", "3600"}));
  CHECK(wire(Set{.key = "k", .value = "v", .expiration = valkey::px(1500ms)}) ==
        argv({"SET", "k", "v", "PX", "1500"}));
  const auto at = std::chrono::sys_seconds{std::chrono::seconds{1700000000}};
  CHECK(wire(Set{.key = "k", .value = "v", .expiration = valkey::exat(at)}) ==
        argv({"SET", "k", "v", "EXAT", "1700000000"}));
  const ElementOf<&Hsetex::data> fv[] = {{"f", "v"}};
  CHECK(wire(Hsetex{.key = "h", .data = fv, .expiration = valkey::pxat(at + 5ms)}) ==
        argv({"HSETEX", "h", "PXAT", "1700000000005", "FIELDS", "1", "f", "v"}));
  const std::string_view s[] = {"s"}, last[] = {"$"};
  CHECK(wire(Xread{.keys = s, .ids = last, .milliseconds = 5s}) ==
        argv({"XREAD", "BLOCK", "5000", "STREAMS", "s", "$"}));
  // precision is never lost silently, and the unit types do not mix
  STATIC_REQUIRE(!std::is_convertible_v<std::chrono::milliseconds, valkey::Seconds>);
  STATIC_REQUIRE(std::is_convertible_v<std::chrono::minutes, valkey::Seconds>);
  STATIC_REQUIRE(!std::is_convertible_v<valkey::Seconds, valkey::Milliseconds>);
  STATIC_REQUIRE(!std::is_constructible_v<Set::Expiration, int>);  // EX or PX? must say which
}
