// Key positions beyond the generated examples: the examples give every list
// one element, so variable key counts (numkeys, KEYS, STREAMS, repeated keys)
// and combinations of optional keys (MIGRATE's empty key + KEYS) get
// hand-built invocations here. Each must walk the same keys as COMMAND GETKEYS on the
// argv its encoder writes, and (unless it would leave the machine) pass the
// server's argument parser.
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <valkey/cmd/all.hpp>

#include "spec_check_support.hpp"
#include "support/valkey_test.hpp"

namespace sc = valkey::spec_check;
namespace cmd = valkey::cmd;

namespace {

struct KeyCase {
  sc::Connection& conn;
  int checked = 0;

  // `run`: also execute it (run-time errors are fine, parser errors are not).
  template <class C>
  void check(const std::string& label, const C& c, bool run = true) {
    INFO(label);
    std::string wire;
    valkey::resp::Writer w{wire};
    encode(c, w);
    std::vector<std::string> argv{"COMMAND", "GETKEYS"};
    for (const auto& a : sc::parse_reply(wire)) argv.emplace_back(a.as_string());
    std::vector<std::string> walked;
    auto walk = [&](std::string_view k) { walked.emplace_back(k); };
    for_each_key(c, walk);

    valkey::Reply r = conn.command(argv);
    INFO("sent: " << sc::escape(wire));
    REQUIRE_FALSE(r.is_error());
    std::vector<std::string> theirs;
    for (const auto& k : r) theirs.emplace_back(k.as_string());
    CHECK(walked == theirs);
    ++checked;

    if (!run) return;
    conn.send(wire);
    valkey::Reply reply = sc::parse_reply(conn.read_message());
    if (reply.is_error()) {
      INFO("error: " << reply.error_message());
      CHECK(sc::classify_error(reply.error_message()).kind == sc::ErrorKind::acceptable);
    }
  }
};

}  // namespace

TEST_CASE("spec: key positions of multi-key and optional-key invocations equal COMMAND GETKEYS", "[spec]") {
  valkey::test::ServerOptions o;
  o.unix_socket = false;
  valkey::test::ServerProcess server{o};
  sc::Connection conn(server.port(), std::chrono::seconds(3));
  KeyCase k{conn};
  // Named lists: a command struct's list member refuses a braced list.
  const std::string_view k11[] = {"key:1", "key:1"}, k12[] = {"key:1", "key:2"},
                         k123[] = {"key:1", "key:2", "key:3"}, args[] = {"a"}, from_start[] = {"0", "0"},
                         new_only[] = {">", ">"}, patterns[] = {"o_*", "#"};
  const std::pair<std::string_view, std::string_view> pairs[] = {{"key:1", "a"}, {"key:2", "b"}};
  const double weights[] = {1.0, 2.0};

  k.check("DEL 3 keys", cmd::Del{.keys = k123});
  k.check("EXISTS repeated key", cmd::Exists{.keys = k11});
  k.check("TOUCH 2 keys", cmd::Touch{.keys = k12});
  k.check("MSET 2 pairs", cmd::Mset{.data = pairs});
  k.check("BITOP OR dest + 2", cmd::Bitop{.operation = cmd::Bitop::Or{}, .dest_key = "key:3",
                                          .keys = k12});
  k.check("PFMERGE dest + 2 sources", cmd::Pfmerge{.dest_key = "key:3", .source_keys = k12});
  k.check("SDIFF 3 keys", cmd::Sdiff{.keys = k123});
  k.check("SUNIONSTORE dest + 2", cmd::Sunionstore{.destination = "key:3", .keys = k12});
  k.check("SINTERCARD numkeys 2", cmd::Sintercard{.keys = k12});
  k.check("ZINTER numkeys 2 + WEIGHTS", cmd::Zinter{.keys = k12, .weights = weights});
  k.check("ZUNIONSTORE dest + numkeys 2", cmd::Zunionstore{.destination = "key:3", .keys = k12,
                                                           .weights = weights});
  k.check("ZDIFF numkeys 2", cmd::Zdiff{.keys = k12});
  k.check("LMPOP numkeys 2", cmd::Lmpop{.keys = k12});
  k.check("BLMPOP numkeys 2", cmd::Blmpop{.timeout = 0.05, .keys = k12});
  k.check("BLPOP 2 keys", cmd::Blpop{.keys = k12, .timeout = 0.05});
  k.check("EVAL numkeys 2", cmd::Eval{.script = "return 1", .keys = k12, .args = args});
  k.check("FCALL numkeys 2", cmd::Fcall{.function = "f", .keys = k12, .args = args});
  k.check("XREAD STREAMS 2", cmd::Xread{.keys = k12, .ids = from_start});
  k.check("XREADGROUP STREAMS 2",
          cmd::Xreadgroup{.group = "g", .consumer = "c", .keys = k12, .ids = new_only});
  k.check("GEORADIUS STORE", cmd::GeoradiusStore{.key = "key:1", .longitude = 13.36, .latitude = 38.11, .radius = 1.5,
                                                 .store = cmd::GeoradiusStore::Store{"key:2"}});
  k.check("GEORADIUS STOREDIST",
          cmd::GeoradiusStore{.key = "key:1", .longitude = 13.36, .latitude = 38.11, .radius = 1.5,
                              .store = cmd::GeoradiusStore::StoreDist{"key:2"}});
  k.check("SORT BY/GET patterns", cmd::Sort{.key = "key:1", .by_pattern = "w_*", .get_patterns = patterns});
  k.check("PFDEBUG GETREG", cmd::Pfdebug{.subcommand = "GETREG", .key = "key:1"});
  k.check("COPY", cmd::Copy{.source = "key:1", .destination = "key:2", .replace = true});
  // MIGRATE would connect to the target: GETKEYS only.
  k.check("MIGRATE empty key + KEYS 2",
          cmd::Migrate{.host = "127.0.0.1", .port = 1, .key = "", .destination_db = 0, .timeout = 1,
                       .keys = k12},
          false);
  k.check("MIGRATE one key", cmd::Migrate{.host = "127.0.0.1", .port = 1, .key = "key:1", .timeout = 1}, false);
  WARN("multi-key / optional-key invocations compared with COMMAND GETKEYS: " << k.checked);
}
