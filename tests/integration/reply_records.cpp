// The hand-written reply records against real servers, over RESP3 and
// RESP2: CLUSTER SLOTS (valkey::ClusterSlotRange) on a 3+3 cluster, COMMAND
// INFO (valkey::ServerCommandInfo), MEMORY STATS (valkey::MemoryStats), and
// ACL LOG's generated record with its RESET entry point. Also run with
// VALKEY_SERVER pointing at Redis 7 and Valkey 8.0: a field an older server
// does not send keeps its default.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <valkey/valkey.hpp>

#include "support/valkey_test.hpp"

namespace {

const char* name_of(valkey::Protocol p) { return p == valkey::Protocol::resp3 ? "RESP3" : "RESP2"; }

valkey::Config config(const std::string& url, valkey::Protocol protocol) {
  auto cfg = valkey::Config::from_url(url);
  cfg.protocol = protocol;
  return cfg;
}

}  // namespace

TEST_CASE("reply records: CLUSTER SLOTS on a real cluster", "[reply-records][cluster]") {
  valkey::test::Cluster cluster;
  std::set<std::string> ids;
  for (std::size_t i = 0; i < cluster.size(); ++i) ids.insert(cluster.node_id(i));
  const std::vector<int> ports = cluster.ports();
  for (auto protocol : {valkey::Protocol::resp3, valkey::Protocol::resp2}) {
    DYNAMIC_SECTION(name_of(protocol)) {
      valkey::Client db{config(cluster.node(0).url(), protocol)};
      std::vector<valkey::ClusterSlotRange> ranges = db.cluster_slots();
      REQUIRE(ranges.size() >= 3);
      std::sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
      std::int64_t covered = 0, next = 0;
      std::set<std::string> primaries;
      for (const auto& r : ranges) {
        CHECK(r.start == next);  // contiguous, no overlap
        CHECK(r.end >= r.start);
        covered += r.end - r.start + 1;
        next = r.end + 1;
        CHECK(r.primary.endpoint == "127.0.0.1");
        CHECK(std::find(ports.begin(), ports.end(), r.primary.port) != ports.end());
        CHECK(ids.count(r.primary.id) == 1);
        primaries.insert(r.primary.id);
        REQUIRE(r.replicas.size() == 1);
        CHECK(r.replicas[0].id != r.primary.id);
        CHECK(ids.count(r.replicas[0].id) == 1);
        CHECK(r.replicas[0].port != r.primary.port);
      }
      CHECK(covered == 16384);
      CHECK(primaries.size() == 3);
    }
  }
}

TEST_CASE("reply records: COMMAND INFO on a real server", "[reply-records]") {
  valkey::test::ServerProcess server;
  for (auto protocol : {valkey::Protocol::resp3, valkey::Protocol::resp2}) {
    DYNAMIC_SECTION(name_of(protocol)) {
      valkey::Client db{config(server.url(), protocol)};
      auto infos = db.command_info({.command_names = {"get", "no-such-command", "config"}});
      REQUIRE(infos.size() == 3);
      REQUIRE(infos[0]);
      const valkey::ServerCommandInfo& get = *infos[0];
      CHECK(get.name == "get");
      CHECK(get.arity == 2);
      CHECK(get.first_key == 1);
      CHECK(get.last_key == 1);
      CHECK(get.key_step == 1);
      CHECK(std::count(get.flags.begin(), get.flags.end(), "readonly") == 1);
      CHECK(std::count(get.acl_categories.begin(), get.acl_categories.end(), "@string") == 1);
      REQUIRE(get.key_specs.size() == 1);
      CHECK(get.key_specs[0].begin_search.type == "index");
      CHECK(get.key_specs[0].begin_search.index == 1);
      CHECK(get.key_specs[0].find_keys.type == "range");
      CHECK(get.key_specs[0].find_keys.keystep == 1);
      CHECK_FALSE(infos[1]);  // unknown: nil
      REQUIRE(infos[2]);
      CHECK(infos[2]->name == "config");
      const auto& subs = infos[2]->subcommands;
      CHECK(std::any_of(subs.begin(), subs.end(), [](const auto& s) { return s.name == "config|get"; }));

      // Every command the server has, subcommands included, decodes.
      auto all = db.command_info();
      CHECK(all.size() > 200);
      CHECK(std::all_of(all.begin(), all.end(), [](const auto& i) { return i && !i->name.empty(); }));
    }
  }
}

TEST_CASE("reply records: MEMORY STATS on a real server", "[reply-records]") {
  valkey::test::ServerProcess server;
  for (auto protocol : {valkey::Protocol::resp3, valkey::Protocol::resp2}) {
    DYNAMIC_SECTION(name_of(protocol)) {
      valkey::Client db{config(server.url(), protocol)};
      db.flushall();
      // An empty database has no entry (Valkey 9 lists db.0 all the same).
      const auto has_db = [](const valkey::MemoryStats& m, std::int64_t n) {
        return std::any_of(m.dbs.begin(), m.dbs.end(), [n](const auto& d) { return d.index == n; });
      };
      CHECK_FALSE(has_db(db.memory_stats(), 3));
      db.set("memory:1", "value");
      db.database(3).set("memory:3", "value");
      valkey::MemoryStats stats = db.memory_stats();
      CHECK(stats.peak_allocated > 0);
      CHECK(stats.total_allocated > 0);
      CHECK(stats.startup_allocated > 0);
      CHECK(stats.overhead_total > 0);
      CHECK(stats.keys_count == 2);
      CHECK(stats.dataset_percentage > 0);
      CHECK(stats.fragmentation > 0);
      REQUIRE(stats.dbs.size() == 2);
      CHECK(stats.dbs[0].index == 0);  // the server's order
      CHECK(stats.dbs[0].overhead_hashtable_main > 0);
      CHECK(stats.dbs[1].index == 3);
      CHECK(stats.dbs[1].overhead_hashtable_main > 0);
    }
  }
}

TEST_CASE("reply records: ACL LOG entries and ACL LOG RESET on a real server", "[reply-records]") {
  valkey::test::ServerProcess server;
  for (auto protocol : {valkey::Protocol::resp3, valkey::Protocol::resp2}) {
    DYNAMIC_SECTION(name_of(protocol)) {
      valkey::Client db{config(server.url(), protocol)};
      db.acl_log_reset();
      CHECK(db.acl_log().empty());
      CHECK(valkey::test::send_command(server.port(), {"AUTH", "nobody", "wrong"}).is_error());
      std::vector<valkey::cmd::AclLog::Record> log = db.acl_log({.count = 10});
      REQUIRE(log.size() == 1);
      CHECK(log[0].reason == "auth");
      CHECK(log[0].username == "nobody");
      CHECK(log[0].count == 1);
      CHECK(log[0].age_seconds >= 0);
      CHECK_FALSE(log[0].client_info.empty());
      db.acl_log_reset();
      CHECK(db.acl_log().empty());
    }
  }
}
