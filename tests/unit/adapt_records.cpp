// Reply records (valkey/adapt/record.hpp): the generated structs of XINFO
// GROUPS and CLUSTER SHARDS decode from a RESP3 map and from the flat RESP2
// array alike, nested records included; unknown fields are skipped, absent
// ones keep their defaults, and a wrong shape fails with the record's name.
// ROLE's positional shapes decode into valkey::Role.
#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <valkey/adapt/type_name.hpp>
#include <valkey/cmd/cluster.hpp>
#include <valkey/cmd/server.hpp>
#include <valkey/cmd/stream.hpp>
#include <valkey/role.hpp>

#include "adapt_support.hpp"

using valkey::errc;
using valkey::test::decode;
using Groups = valkey::cmd::XinfoGroups::reply_type;
using Shards = valkey::cmd::ClusterShards::reply_type;

static_assert(std::is_same_v<Groups, std::vector<valkey::cmd::XinfoGroups::Record>>);
static_assert(std::is_same_v<Shards, std::vector<valkey::cmd::ClusterShards::Record>>);

namespace {

// One XINFO GROUPS element as Valkey 9 sends it, RESP3 and RESP2.
constexpr std::string_view kGroupResp3 =
    "*1\r\n%6\r\n$4\r\nname\r\n$2\r\ng1\r\n$9\r\nconsumers\r\n:2\r\n$7\r\npending\r\n:3\r\n"
    "$17\r\nlast-delivered-id\r\n$3\r\n5-0\r\n$12\r\nentries-read\r\n_\r\n$3\r\nlag\r\n:4\r\n";
constexpr std::string_view kGroupResp2 =
    "*1\r\n*12\r\n$4\r\nname\r\n$2\r\ng1\r\n$9\r\nconsumers\r\n:2\r\n$7\r\npending\r\n:3\r\n"
    "$17\r\nlast-delivered-id\r\n$3\r\n5-0\r\n$12\r\nentries-read\r\n$-1\r\n$3\r\nlag\r\n:4\r\n";

}  // namespace

TEST_CASE("adapt records: XINFO GROUPS from a map and from flat pairs", "[adapt]") {
  valkey::cmd::XinfoGroups::Record want;
  want.name = "g1";
  want.consumers = 2;
  want.pending = 3;
  want.last_delivered_id = "5-0";
  want.entries_read = std::nullopt;
  want.lag = 4;
  // decode() feeds every split of the bytes and checks they agree.
  const auto r3 = decode<Groups>(kGroupResp3);
  REQUIRE_FALSE(r3.ec);
  CHECK(r3.value == Groups{want});
  const auto r2 = decode<Groups>(kGroupResp2);
  REQUIRE_FALSE(r2.ec);
  CHECK(r2.value == Groups{want});
  CHECK(decode<Groups>("*0\r\n").value.empty());
}

TEST_CASE("adapt records: nested records, unknown fields skipped, absent ones left at their defaults", "[adapt]") {
  // A shard with one node; the node carries a field no schema names (a
  // newer server's), as a nested aggregate, and no "tls-port".
  constexpr std::string_view wire =
      "*1\r\n%3\r\n+slots\r\n*2\r\n:0\r\n:5460\r\n+nodes\r\n*1\r\n"
      "%5\r\n+id\r\n$3\r\nabc\r\n+port\r\n:7000\r\n+future\r\n*2\r\n%1\r\n+a\r\n:1\r\n$1\r\nx\r\n"
      "+role\r\n$6\r\nmaster\r\n+health\r\n$6\r\nonline\r\n"
      "+id\r\n$2\r\ns1\r\n";
  const auto r = decode<Shards>(wire);
  REQUIRE_FALSE(r.ec);
  REQUIRE(r.value.size() == 1);
  const auto& shard = r.value[0];
  CHECK(shard.id == "s1");
  CHECK(shard.slots == std::vector<std::int64_t>{0, 5460});
  REQUIRE(shard.nodes.size() == 1);
  CHECK(shard.nodes[0].id == "abc");
  CHECK(shard.nodes[0].port == 7000);
  CHECK(shard.nodes[0].role == "master");
  CHECK(shard.nodes[0].health == "online");
  CHECK(shard.nodes[0].tls_port == 0);
  CHECK(shard.nodes[0].hostname.empty());

  // The same in RESP2: flat arrays all the way down.
  constexpr std::string_view flat =
      "*1\r\n*6\r\n$5\r\nslots\r\n*2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n*1\r\n"
      "*6\r\n$2\r\nid\r\n$3\r\nabc\r\n$4\r\nport\r\n:7000\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
      "$2\r\nid\r\n$2\r\ns1\r\n";
  const auto f = decode<Shards>(flat);
  REQUIRE_FALSE(f.ec);
  REQUIRE(f.value.size() == 1);
  CHECK(f.value[0].id == "s1");
  REQUIRE(f.value[0].nodes.size() == 1);
  CHECK(f.value[0].nodes[0].port == 7000);
  CHECK(f.value[0].nodes[0].role == "master");
}

TEST_CASE("adapt records: wrong shapes fail and name the record", "[adapt]") {
  // Not an aggregate.
  CHECK(decode<Groups>("*1\r\n+OK\r\n").ec == errc::unexpected_reply_type);
  // An odd flat array cannot be name/value pairs.
  CHECK(decode<Groups>("*1\r\n*3\r\n+name\r\n+g\r\n+consumers\r\n").ec == errc::unexpected_reply_type);
  // A field name that is not text.
  CHECK(decode<Groups>("*1\r\n%1\r\n:1\r\n:2\r\n").ec == errc::unexpected_reply_type);
  // A field of the wrong type: "consumers" must be an integer.
  CHECK(decode<Groups>("*1\r\n%1\r\n+consumers\r\n+many\r\n").ec == errc::invalid_number);
  // An error reply in place of the record keeps the server's text.
  const auto e = decode<Groups>("-ERR no such key\r\n");
  CHECK(e.ec == errc::server_error);
  CHECK(valkey::adapt::TypeName<Groups>::get() == "std::vector<valkey::cmd::XinfoGroups::Record>");
}

TEST_CASE("adapt records: ROLE as a primary, a replica and a sentinel", "[adapt]") {
  static_assert(std::is_same_v<valkey::cmd::Role::reply_type, valkey::Role>);
  using valkey::Role;
  // A primary lists its replicas' ports and offsets as strings.
  const auto primary = decode<Role>(
      "*3\r\n$6\r\nmaster\r\n:3129659\r\n*2\r\n*3\r\n$9\r\n127.0.0.1\r\n$4\r\n9001\r\n$7\r\n3129242\r\n"
      "*3\r\n$9\r\n127.0.0.1\r\n$4\r\n9002\r\n$7\r\n3129543\r\n");
  REQUIRE_FALSE(primary.ec);
  CHECK(primary.value.kind == Role::Kind::primary);
  CHECK(primary.value.offset == 3129659);
  CHECK(primary.value.replicas ==
        std::vector<valkey::RoleReplica>{{"127.0.0.1", 9001, 3129242}, {"127.0.0.1", 9002, 3129543}});
  CHECK(decode<Role>("*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n").value.replicas.empty());

  const auto replica =
      decode<Role>("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:9000\r\n$9\r\nconnected\r\n:3167038\r\n");
  REQUIRE_FALSE(replica.ec);
  CHECK(replica.value.kind == Role::Kind::replica);
  CHECK(replica.value.primary_host == "127.0.0.1");
  CHECK(replica.value.primary_port == 9000);
  CHECK(replica.value.link_state == "connected");
  CHECK(replica.value.offset == 3167038);

  const auto sentinel = decode<Role>("*2\r\n$8\r\nsentinel\r\n*2\r\n$6\r\nmaster\r\n$5\r\ncache\r\n");
  REQUIRE_FALSE(sentinel.ec);
  CHECK(sentinel.value.kind == Role::Kind::sentinel);
  CHECK(sentinel.value.monitored == std::vector<std::string>{"master", "cache"});

  // Other shapes: an unknown role, a short array, a port that is no number.
  CHECK(decode<Role>("*2\r\n$7\r\nunknown\r\n*0\r\n").ec == errc::unexpected_reply_type);
  CHECK(decode<Role>("*2\r\n$5\r\nslave\r\n$1\r\nh\r\n").ec == errc::unexpected_reply_type);
  CHECK(decode<Role>("*5\r\n$5\r\nslave\r\n$1\r\nh\r\n$2\r\nxx\r\n$1\r\ns\r\n:1\r\n").ec ==
        errc::unexpected_reply_type);
  CHECK(decode<Role>(":1\r\n").ec == errc::unexpected_reply_type);
  CHECK(decode<Role>("-ERR nope\r\n").ec == errc::server_error);
  CHECK(valkey::adapt::TypeName<Role>::get() == "valkey::Role");
}
