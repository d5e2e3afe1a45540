// The hand-written reply records for the positional and open-keyed replies
// the generator cannot type by itself: CLUSTER SLOTS (valkey::ClusterSlotRange),
// COMMAND INFO (valkey::ServerCommandInfo), MEMORY STATS (valkey::MemoryStats).
// Each decodes the RESP3 and the RESP2 form of the same reply (as Valkey 9.1
// sends them) into the same value, split at every byte; fields it does not
// know are skipped, what an older server leaves out keeps its default, and a
// wrong shape fails with errc::unexpected_reply_type, never a crash.
#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <valkey/adapt/type_name.hpp>
#include <valkey/cmd/cluster.hpp>
#include <valkey/cmd/server.hpp>
#include <valkey/cluster_slot_range.hpp>
#include <valkey/memory_stats.hpp>
#include <valkey/server_command_info.hpp>

#include "adapt_support.hpp"

using valkey::errc;
using valkey::test::decode;

namespace {

using Slots = std::vector<valkey::ClusterSlotRange>;
using Infos = std::vector<std::optional<valkey::ServerCommandInfo>>;

static_assert(std::is_same_v<valkey::cmd::ClusterSlots::reply_type, Slots>);
static_assert(std::is_same_v<valkey::cmd::CommandInfo::reply_type, Infos>);
static_assert(std::is_same_v<valkey::cmd::MemoryStats::reply_type, valkey::MemoryStats>);

constexpr std::string_view kId1 = "07c37dfeb235213a872192d90877d0cd55635b91";
constexpr std::string_view kId2 = "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca";

// Two ranges: one with a replica, its primary announcing a hostname and a
// zone; one whose primary's endpoint is unknown (nil) and whose metadata
// carries a field this library does not know.
const std::string kSlotsResp3 =
    "*2\r\n"
    "*4\r\n:0\r\n:5460\r\n"
    "*4\r\n$9\r\n127.0.0.1\r\n:30001\r\n$40\r\n" + std::string(kId1) + "\r\n"
    "%2\r\n$8\r\nhostname\r\n$5\r\nhost1\r\n$17\r\navailability-zone\r\n$4\r\naz-1\r\n"
    "*4\r\n$9\r\n127.0.0.1\r\n:30004\r\n$40\r\n" + std::string(kId2) + "\r\n%0\r\n"
    "*3\r\n:5461\r\n:16383\r\n"
    "*4\r\n_\r\n:30002\r\n$1\r\nx\r\n%2\r\n$2\r\nip\r\n$8\r\n10.0.0.2\r\n$6\r\nfuture\r\n:7\r\n";
const std::string kSlotsResp2 =
    "*2\r\n"
    "*4\r\n:0\r\n:5460\r\n"
    "*4\r\n$9\r\n127.0.0.1\r\n:30001\r\n$40\r\n" + std::string(kId1) + "\r\n"
    "*4\r\n$8\r\nhostname\r\n$5\r\nhost1\r\n$17\r\navailability-zone\r\n$4\r\naz-1\r\n"
    "*4\r\n$9\r\n127.0.0.1\r\n:30004\r\n$40\r\n" + std::string(kId2) + "\r\n*0\r\n"
    "*3\r\n:5461\r\n:16383\r\n"
    "*4\r\n$-1\r\n:30002\r\n$1\r\nx\r\n*4\r\n$2\r\nip\r\n$8\r\n10.0.0.2\r\n$6\r\nfuture\r\n:7\r\n";

// COMMAND INFO get nosuch, as Valkey 9.1 sends it.
constexpr std::string_view kGetResp3 =
    "*2\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n"
    "+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n"
    "$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n"
    "$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n_\r\n";
constexpr std::string_view kGetResp2 =
    "*2\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n"
    "+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n"
    "$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n"
    "$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n$-1\r\n";

// COMMAND INFO eval (a keynum key spec with notes) and a container with one
// subcommand (RESP3).
constexpr std::string_view kEvalAndContainer =
    "*2\r\n*10\r\n$4\r\neval\r\n:-3\r\n~1\r\n+movablekeys\r\n:0\r\n:0\r\n:0\r\n~1\r\n+@scripting\r\n~0\r\n~1\r\n"
    "%4\r\n$5\r\nnotes\r\n$5\r\nworst\r\n$5\r\nflags\r\n~1\r\n+RW\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n"
    "$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$6\r\nkeynum\r\n"
    "$4\r\nspec\r\n%3\r\n$9\r\nkeynumidx\r\n:0\r\n$8\r\nfirstkey\r\n:1\r\n$7\r\nkeystep\r\n:1\r\n*0\r\n"
    "*10\r\n$6\r\nclient\r\n:-2\r\n~0\r\n:0\r\n:0\r\n:0\r\n~1\r\n+@slow\r\n~0\r\n~0\r\n"
    "*1\r\n*10\r\n$9\r\nclient|id\r\n:2\r\n~1\r\n+noscript\r\n:0\r\n:0\r\n:0\r\n~1\r\n+@connection\r\n~0\r\n~0\r\n*0\r\n";

// MEMORY STATS, shortened (the real reply has about 35 fields): integers,
// ratios (doubles in RESP3, strings in RESP2), two databases, a field this
// library does not know and Redis's extra per-database field.
constexpr std::string_view kMemoryResp3 =
    "%9\r\n$14\r\npeak.allocated\r\n:1117248\r\n$14\r\nclients.slaves\r\n:16\r\n"
    "$4\r\ndb.0\r\n%2\r\n$23\r\noverhead.hashtable.main\r\n:288\r\n$26\r\noverhead.hashtable.expires\r\n:112\r\n"
    "$23\r\ndb.dict.rehashing.count\r\n:0\r\n$10\r\nkeys.count\r\n:1\r\n"
    "$4\r\ndb.3\r\n%2\r\n$23\r\noverhead.hashtable.main\r\n:72\r\n$31\r\noverhead.hashtable.slot-to-keys\r\n:0\r\n"
    "$18\r\ndataset.percentage\r\n,97.75\r\n$9\r\nnew.field\r\n%0\r\n$13\r\nfragmentation\r\n,6.5\r\n";
constexpr std::string_view kMemoryResp2 =
    "*18\r\n$14\r\npeak.allocated\r\n:1117248\r\n$14\r\nclients.slaves\r\n:16\r\n"
    "$4\r\ndb.0\r\n*4\r\n$23\r\noverhead.hashtable.main\r\n:288\r\n$26\r\noverhead.hashtable.expires\r\n:112\r\n"
    "$23\r\ndb.dict.rehashing.count\r\n:0\r\n$10\r\nkeys.count\r\n:1\r\n"
    "$4\r\ndb.3\r\n*4\r\n$23\r\noverhead.hashtable.main\r\n:72\r\n$31\r\noverhead.hashtable.slot-to-keys\r\n:0\r\n"
    "$18\r\ndataset.percentage\r\n$5\r\n97.75\r\n$9\r\nnew.field\r\n*0\r\n$13\r\nfragmentation\r\n$3\r\n6.5\r\n";

}  // namespace

TEST_CASE("adapt records: CLUSTER SLOTS into valkey::ClusterSlotRange", "[adapt]") {
  using Node = valkey::ClusterSlotRange::Node;
  Slots want(2);
  want[0].start = 0;
  want[0].end = 5460;
  want[0].primary = Node{"127.0.0.1", 30001, std::string(kId1), "host1", "", "az-1"};
  want[0].replicas = {Node{"127.0.0.1", 30004, std::string(kId2), "", "", ""}};
  want[1].start = 5461;
  want[1].end = 16383;
  want[1].primary = Node{"", 30002, "x", "", "10.0.0.2", ""};

  const auto r3 = decode<Slots>(kSlotsResp3);
  REQUIRE_FALSE(r3.ec);
  CHECK(r3.value == want);
  const auto r2 = decode<Slots>(kSlotsResp2);
  REQUIRE_FALSE(r2.ec);
  CHECK(r2.value == want);
  CHECK(decode<Slots>("*0\r\n").value.empty());  // a cluster without slots

  // An old server's node: endpoint and port only; a newer one's extra element.
  const auto old = decode<Slots>("*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n$1\r\nh\r\n:7000\r\n");
  REQUIRE_FALSE(old.ec);
  CHECK(old.value[0].primary == Node{"h", 7000, "", "", "", ""});
  CHECK_FALSE(decode<Slots>("*1\r\n*3\r\n:0\r\n:1\r\n*5\r\n$1\r\nh\r\n:1\r\n$1\r\ni\r\n%0\r\n:9\r\n").ec);

  // Wrong shapes: no primary, a port that is no number, a node that is no
  // array, metadata of odd length, a metadata value that is no string, a
  // range that is a map, no array at all.
  for (std::string_view bad : {
           "*1\r\n*2\r\n:0\r\n:1\r\n",
           "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$1\r\nh\r\n$2\r\nxx\r\n",
           "*1\r\n*3\r\n:0\r\n:1\r\n$1\r\nh\r\n",
           "*1\r\n*3\r\n:0\r\n:1\r\n*4\r\n$1\r\nh\r\n:1\r\n$1\r\ni\r\n*1\r\n$2\r\nip\r\n",
           "*1\r\n*3\r\n:0\r\n:1\r\n*4\r\n$1\r\nh\r\n:1\r\n$1\r\ni\r\n%1\r\n$2\r\nip\r\n:1\r\n",
           "*1\r\n%1\r\n$1\r\na\r\n:1\r\n",
           "*1\r\n:1\r\n",
       }) {
    INFO(bad);
    CHECK(decode<Slots>(bad).ec == errc::unexpected_reply_type);
  }
  CHECK(decode<Slots>("-ERR This instance has cluster support disabled\r\n").ec == errc::server_error);
  CHECK(valkey::adapt::TypeName<valkey::ClusterSlotRange>::get() == "valkey::ClusterSlotRange");
}

TEST_CASE("adapt records: COMMAND INFO into valkey::ServerCommandInfo", "[adapt]") {
  valkey::ServerCommandInfo get;
  get.name = "get";
  get.arity = 2;
  get.flags = {"readonly", "fast"};
  get.first_key = 1;
  get.last_key = 1;
  get.key_step = 1;
  get.acl_categories = {"@read", "@string", "@fast"};
  get.key_specs.resize(1);
  get.key_specs[0].flags = {"RO", "access"};
  get.key_specs[0].begin_search = {"index", 1, "", 0};
  get.key_specs[0].find_keys = {"range", 0, 1, 0, 0, 0};
  const Infos want{get, std::nullopt};

  const auto r3 = decode<Infos>(kGetResp3);
  REQUIRE_FALSE(r3.ec);
  CHECK(r3.value == want);
  const auto r2 = decode<Infos>(kGetResp2);
  REQUIRE_FALSE(r2.ec);
  CHECK(r2.value == want);

  const auto more = decode<Infos>(kEvalAndContainer);
  REQUIRE_FALSE(more.ec);
  REQUIRE(more.value.size() == 2);
  const auto& eval = *more.value[0];
  CHECK(eval.arity == -3);
  CHECK(eval.flags == std::vector<std::string>{"movablekeys"});
  REQUIRE(eval.key_specs.size() == 1);
  CHECK(eval.key_specs[0].notes == "worst");
  CHECK(eval.key_specs[0].begin_search.index == 2);
  CHECK(eval.key_specs[0].find_keys.type == "keynum");
  CHECK(eval.key_specs[0].find_keys.keynumidx == 0);
  CHECK(eval.key_specs[0].find_keys.firstkey == 1);
  CHECK(eval.key_specs[0].find_keys.keystep == 1);
  const auto& client = *more.value[1];
  CHECK(client.name == "client");
  REQUIRE(client.subcommands.size() == 1);
  CHECK(client.subcommands[0].name == "client|id");
  CHECK(client.subcommands[0].acl_categories == std::vector<std::string>{"@connection"});

  // Redis 6's seven elements (no tips, key specs, subcommands); a newer
  // server's eleventh element.
  const auto old = decode<Infos>("*1\r\n*7\r\n$3\r\nget\r\n:2\r\n*1\r\n+readonly\r\n:1\r\n:1\r\n:1\r\n*1\r\n+@read\r\n");
  REQUIRE_FALSE(old.ec);
  CHECK(old.value[0]->acl_categories == std::vector<std::string>{"@read"});
  CHECK(old.value[0]->key_specs.empty());
  CHECK_FALSE(
      decode<Infos>("*1\r\n*11\r\n$1\r\nx\r\n:1\r\n*0\r\n:0\r\n:0\r\n:0\r\n*0\r\n*0\r\n*0\r\n*0\r\n:5\r\n").ec);

  // Wrong shapes: too short, a name that is no string, a flag that is no
  // string, a key spec of odd length, a subcommand that is nil, no array.
  for (std::string_view bad : {
           "*1\r\n*5\r\n$1\r\nx\r\n:1\r\n*0\r\n:0\r\n:0\r\n",
           "*1\r\n*6\r\n:1\r\n:1\r\n*0\r\n:0\r\n:0\r\n:0\r\n",
           "*1\r\n*6\r\n$1\r\nx\r\n:1\r\n*1\r\n:1\r\n:0\r\n:0\r\n:0\r\n",
           "*1\r\n*9\r\n$1\r\nx\r\n:1\r\n*0\r\n:0\r\n:0\r\n:0\r\n*0\r\n*0\r\n*1\r\n*1\r\n$5\r\nflags\r\n",
           "*1\r\n*10\r\n$1\r\nx\r\n:1\r\n*0\r\n:0\r\n:0\r\n:0\r\n*0\r\n*0\r\n*0\r\n*1\r\n_\r\n",
           "*1\r\n$3\r\nget\r\n",
       }) {
    INFO(bad);
    CHECK(decode<Infos>(bad).ec == errc::unexpected_reply_type);
  }
  CHECK(valkey::adapt::TypeName<valkey::ServerCommandInfo>::get() == "valkey::ServerCommandInfo");
}

TEST_CASE("adapt records: MEMORY STATS into valkey::MemoryStats", "[adapt]") {
  using valkey::MemoryStats;
  MemoryStats want;
  want.peak_allocated = 1117248;
  want.clients_replicas = 16;
  want.keys_count = 1;
  want.dataset_percentage = 97.75;
  want.fragmentation = 6.5;
  want.dbs = {MemoryStats::Db{0, 288, 112}, MemoryStats::Db{3, 72, 0}};

  const auto r3 = decode<MemoryStats>(kMemoryResp3);
  REQUIRE_FALSE(r3.ec);
  CHECK(r3.value == want);
  const auto r2 = decode<MemoryStats>(kMemoryResp2);
  REQUIRE_FALSE(r2.ec);
  CHECK(r2.value == want);
  CHECK(decode<MemoryStats>("%0\r\n").value == MemoryStats{});

  // Wrong shapes: a flat array of odd length, a name that is no string, an
  // integer field holding text, a ratio that is no number, a db entry that
  // is no map, no map at all.
  for (std::string_view bad : {
           "*1\r\n$14\r\npeak.allocated\r\n",
           "*2\r\n:1\r\n:2\r\n",
           "%1\r\n$14\r\npeak.allocated\r\n$3\r\nabc\r\n",
           "%1\r\n$13\r\nfragmentation\r\n$3\r\nabc\r\n",
           "%1\r\n$4\r\ndb.0\r\n:1\r\n",
           "$2\r\nok\r\n",
       }) {
    INFO(bad);
    CHECK(decode<MemoryStats>(bad).ec == errc::unexpected_reply_type);
  }
  CHECK(decode<MemoryStats>("-ERR nope\r\n").ec == errc::server_error);
  CHECK(valkey::adapt::TypeName<MemoryStats>::get() == "valkey::MemoryStats");
}

TEST_CASE("adapt records: ACL LOG entries and ACL LOG RESET", "[adapt]") {
  using Log = valkey::cmd::AclLog::reply_type;
  static_assert(std::is_same_v<Log, std::vector<valkey::cmd::AclLog::Record>>);
  static_assert(std::is_same_v<valkey::cmd::AclLogReset::reply_type, valkey::Ok>);
  const auto r3 = decode<Log>(
      "*1\r\n%4\r\n$5\r\ncount\r\n:2\r\n$6\r\nreason\r\n$4\r\nauth\r\n$11\r\nage-seconds\r\n,1.5\r\n"
      "$8\r\nentry-id\r\n:7\r\n");
  const auto r2 = decode<Log>(
      "*1\r\n*8\r\n$5\r\ncount\r\n:2\r\n$6\r\nreason\r\n$4\r\nauth\r\n$11\r\nage-seconds\r\n$3\r\n1.5\r\n"
      "$8\r\nentry-id\r\n:7\r\n");
  REQUIRE_FALSE(r3.ec);
  REQUIRE_FALSE(r2.ec);
  REQUIRE(r3.value.size() == 1);
  CHECK(r3.value[0].count == 2);
  CHECK(r3.value[0].reason == "auth");
  CHECK(r3.value[0].age_seconds == 1.5);
  CHECK(r3.value[0].entry_id == 7);
  CHECK(r2.value == r3.value);
  CHECK(decode<Log>("+OK\r\n").ec == errc::unexpected_reply_type);
}
