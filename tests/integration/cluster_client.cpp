// The cluster clients against a real 3+3 cluster: routing by slot, splitting
// across slots in key order, fan-outs combined by response policy, MOVED
// after a slot moved, ASK during a migration, and the commands refused before
// anything is sent. One cluster serves every test of this file.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <functional>
#include <future>
#include <latch>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <asio/bind_executor.hpp>
#include <asio/io_context.hpp>

#include <valkey/cluster/async_cluster_client.hpp>
#include <valkey/cluster/cluster_client.hpp>
#include <valkey/owned.hpp>

#include "client_test_util.hpp"
#include "support/cluster.hpp"
#include "support/context_thread.hpp"
#include "support/program_run.hpp"
#include "support/resp_client.hpp"
#include "support/server_version.hpp"
#include "support/wait.hpp"

using namespace std::chrono_literals;
using valkey::test::Cluster;

namespace {

Cluster& shared_cluster() {
  static Cluster cluster;  // started on first use, stopped at exit
  return cluster;
}

// A primary other than the one on `port`.
std::size_t other_primary(Cluster& c, int port) {
  for (std::size_t i = 0; i < c.size(); ++i)
    if (c.node(i).port() != port && c.role(i) == "master") return i;
  FAIL("no other primary");
  return 0;
}

std::vector<std::size_t> primaries(Cluster& c) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < c.size(); ++i)
    if (c.role(i) == "master") out.push_back(i);
  return out;
}

// Gives the empty `slot` to another primary (CLUSTER SETSLOT ... NODE on
// every primary) and waits until the cluster says so; returns that primary.
std::size_t move_empty_slot(Cluster& cluster, int slot) {
  const std::size_t target = other_primary(cluster, cluster.port_for_slot(slot));
  cluster.give_slot(slot, target);
  return target;
}

// A classic migration of `key`'s slot half done: the owner MIGRATING, another
// primary IMPORTING, and `key` (which must exist) MIGRATEd there, so the
// owner answers ASK for it. finish() gives the slot to the importing node.
struct KeyMigration {
  Cluster& cluster;
  std::string slot;
  std::size_t source = 0, target = 0;

  KeyMigration(Cluster& c, const std::string& key) : cluster(c), slot(std::to_string(Cluster::key_slot(key))) {
    const int source_port = cluster.port_for_slot(Cluster::key_slot(key));
    source = cluster.node_on_port(source_port);
    target = other_primary(cluster, source_port);
    REQUIRE(cluster.node(target).command({"CLUSTER", "SETSLOT", slot, "IMPORTING", cluster.node_id(source)}).as_string() ==
            "OK");
    REQUIRE(cluster.node(source).command({"CLUSTER", "SETSLOT", slot, "MIGRATING", cluster.node_id(target)}).as_string() ==
            "OK");
    REQUIRE(cluster.node(source)
                .command({"MIGRATE", "127.0.0.1", std::to_string(cluster.node(target).port()), key, "0", "5000"})
                .as_string() == "OK");
  }
  // Leaves the cluster consistent for the next test.
  void finish() {
    for (std::size_t p : primaries(cluster))
      cluster.node(p).command({"CLUSTER", "SETSLOT", slot, "NODE", cluster.node_id(target)});
    valkey::test::wait_until("the migrated slot at its new owner", 10s, [&](std::string&) {
      return cluster.port_for_slot(std::stoi(slot)) == cluster.node(target).port();
    });
  }
};

// Runs `start(done)` on an AsyncClusterClient of the shared cluster and waits.
// At the end the client is closed and the io_context runs until the closing
// finished (pending requests, topology queries and connections complete on it).
struct AsyncFixture {
  asio::io_context ioc;
  std::optional<valkey::AsyncClusterClient> holder{std::in_place, ioc.get_executor(), shared_cluster().seed_url()};
  valkey::AsyncClusterClient& client = *holder;
  ~AsyncFixture() {
    holder.reset();
    ioc.restart();
    ioc.run_for(std::chrono::seconds(3));
  }
  bool wait(const std::function<bool()>& done, std::chrono::milliseconds limit = 15s) {
    return valkey::test::run_until(ioc, done, limit);
  }
};

}  // namespace

TEST_CASE("cluster client: typed commands and call() reach the slot's owner without a redirection",
          "[cluster][cluster-client]") {
  Cluster& cluster = shared_cluster();
  AsyncFixture f;
  const std::vector<std::string> keys{"route:a", "route:b", "route:c", "route:{x}1", "route:zz"};
  int done = 0;
  std::error_code first_ec;
  for (const auto& k : keys) {
    f.client.set(k, "v-" + k, [&](std::error_code ec, auto) {
      if (ec && !first_ec) first_ec = ec;
      ++done;
    });
  }
  f.client.call({"SET", "route:call", "by-call"}, [&](std::error_code ec, valkey::Reply r) {
    if (ec && !first_ec) first_ec = ec;
    CHECK(r.as_string() == "OK");
    ++done;
  });
  REQUIRE(f.wait([&] { return done == static_cast<int>(keys.size()) + 1; }));
  CHECK_FALSE(first_ec);
  // Each value is on the node the cluster says owns its slot.
  for (const auto& k : keys) {
    const int port = cluster.port_for_slot(Cluster::key_slot(k));
    CHECK(valkey::test::send_command(port, {"GET", k}).as_string() == "v-" + k);
  }
  const int port = cluster.port_for_slot(Cluster::key_slot("route:call"));
  CHECK(valkey::test::send_command(port, {"GET", "route:call"}).as_string() == "by-call");

  std::optional<std::string> got;
  f.client.get("route:b", [&](std::error_code ec, std::optional<std::string> v) {
    CHECK_FALSE(ec);
    got = v.value_or("(nil)");
  });
  REQUIRE(f.wait([&] { return got.has_value(); }));
  CHECK(*got == "v-route:b");
  const auto s = f.client.stats();
  CHECK(s.moved == 0);
  CHECK(s.ask == 0);
  CHECK(s.refreshes == 1);  // the bootstrap only
  CHECK(f.client.nodes().size() == cluster.size());
}

TEST_CASE("cluster client: MSET, MGET, EXISTS and DEL across slots, answers in key order",
          "[cluster][cluster-client]") {
  shared_cluster();
  AsyncFixture f;
  const std::vector<std::string> keys{"split:1", "split:2", "split:3", "split:4", "split:5", "split:6"};
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  for (const auto& k : keys) pairs.emplace_back(k, k);  // value = key
  bool set_done = false;
  f.client.mset(pairs, [&](std::error_code ec, auto) {
    CHECK_FALSE(ec);
    set_done = true;
  });
  REQUIRE(f.wait([&] { return set_done; }));

  std::vector<std::string_view> asked{"split:4", "split:missing", "split:1", "split:6", "split:2"};
  std::optional<std::vector<std::optional<std::string>>> values;
  f.client.mget(asked, [&](std::error_code ec, std::vector<std::optional<std::string>> v) {
    CHECK_FALSE(ec);
    values = std::move(v);
  });
  REQUIRE(f.wait([&] { return values.has_value(); }));
  REQUIRE(values->size() == asked.size());
  for (std::size_t i = 0; i < asked.size(); ++i) {
    if (asked[i] == "split:missing") CHECK_FALSE((*values)[i].has_value());
    else CHECK((*values)[i] == std::string(asked[i]));
  }

  std::int64_t exists = -1, deleted = -1;
  f.client.exists(std::vector<std::string_view>{"split:1", "split:3", "split:nope", "split:5"},
                  [&](std::error_code ec, std::int64_t n) {
                    CHECK_FALSE(ec);
                    exists = n;
                  });
  REQUIRE(f.wait([&] { return exists >= 0; }));
  CHECK(exists == 3);
  std::vector<std::string_view> all(keys.begin(), keys.end());
  f.client.del(all, [&](std::error_code ec, std::int64_t n) {
    CHECK_FALSE(ec);
    deleted = n;
  });
  REQUIRE(f.wait([&] { return deleted >= 0; }));
  CHECK(deleted == 6);
  // The keys were in several slots: the split really happened.
  std::set<int> slots;
  for (const auto& k : keys) slots.insert(Cluster::key_slot(k));
  CHECK(slots.size() > 1);
  CHECK(f.client.stats().moved == 0);
}

TEST_CASE("cluster client: DBSIZE is summed over the primaries, INFO answers per primary",
          "[cluster][cluster-client]") {
  Cluster& cluster = shared_cluster();
  AsyncFixture f;
  int done = 0;
  for (int i = 0; i < 12; ++i)
    f.client.set("size:" + std::to_string(i), "x", [&](std::error_code ec, auto) {
      CHECK_FALSE(ec);
      ++done;
    });
  REQUIRE(f.wait([&] { return done == 12; }));
  std::int64_t expected = 0;
  for (std::size_t p : primaries(cluster)) expected += cluster.node(p).command({"DBSIZE"}).integer;
  std::int64_t n = -1;
  f.client.dbsize([&](std::error_code ec, std::int64_t v) {
    CHECK_FALSE(ec);
    n = v;
  });
  REQUIRE(f.wait([&] { return n >= 0; }));
  CHECK(n == expected);
  CHECK(n >= 12);

  std::optional<valkey::PerNode<std::string>> info;
  f.client.info([&](std::error_code ec, valkey::PerNode<std::string> v) {
    CHECK_FALSE(ec);
    info = std::move(v);
  });
  REQUIRE(f.wait([&] { return info.has_value(); }));
  CHECK(info->size() == cluster.initial_primary_count());
  for (const auto& e : *info) {
    CHECK(e.value.find("tcp_port:") != std::string::npos);
    // Each answer comes from the node it is filed under.
    const std::string port = e.node.substr(e.node.rfind(':') + 1);
    CHECK(e.value.find("tcp_port:" + port) != std::string::npos);
  }

  std::optional<valkey::PerNode<valkey::Reply>> roles;
  f.client.call_on_all_nodes({"ROLE"}, [&](std::error_code ec, valkey::PerNode<valkey::Reply> v) {
    CHECK_FALSE(ec);
    roles = std::move(v);
  });
  REQUIRE(f.wait([&] { return roles.has_value(); }));
  CHECK(roles->size() == cluster.size());
}

TEST_CASE("cluster client: a slot moved with CLUSTER SETSLOT NODE is followed (MOVED) and counted",
          "[cluster][cluster-client]") {
  Cluster& cluster = shared_cluster();
  AsyncFixture f;
  const std::string key = "moving:key";
  const int slot = Cluster::key_slot(key);
  // Warm up: the client knows the topology before the slot moves.
  bool warm = false;
  f.client.get("moving:warm", [&](std::error_code ec, auto) {
    CHECK_FALSE(ec);
    warm = true;
  });
  REQUIRE(f.wait([&] { return warm; }));

  // The slot is empty (the key was never written), so it can be reassigned.
  const std::size_t target = move_empty_slot(cluster, slot);

  bool set = false;
  f.client.set(key, "moved", [&](std::error_code ec, auto) {
    CHECK_FALSE(ec);
    set = true;
  });
  REQUIRE(f.wait([&] { return set; }));
  CHECK(cluster.node(target).command({"GET", key}).as_string() == "moved");
  CHECK(f.client.stats().moved >= 1);
  // The client keeps working, now straight to the new owner.
  const auto moved_before = f.client.stats().moved;
  std::optional<std::string> got;
  f.client.get(key, [&](std::error_code ec, std::optional<std::string> v) {
    CHECK_FALSE(ec);
    got = v.value_or("(nil)");
  });
  REQUIRE(f.wait([&] { return got.has_value(); }));
  CHECK(*got == "moved");
  CHECK(f.client.stats().moved == moved_before);
}

TEST_CASE("cluster client: ASK during a migration (SETSLOT MIGRATING/IMPORTING + MIGRATE of one key)",
          "[cluster][cluster-client]") {
  Cluster& cluster = shared_cluster();
  AsyncFixture f;
  const std::string key = "asking:key";
  REQUIRE(cluster.node(cluster.owner_of(key)).command({"SET", key, "migrated"}).as_string() == "OK");

  bool warm = false;
  f.client.get("asking:warm", [&](std::error_code, auto) { warm = true; });
  REQUIRE(f.wait([&] { return warm; }));

  KeyMigration migration(cluster, key);

  std::optional<std::string> got;
  f.client.get(key, [&](std::error_code ec, std::optional<std::string> v) {
    CHECK_FALSE(ec);
    got = v.value_or("(nil)");
  });
  REQUIRE(f.wait([&] { return got.has_value(); }));
  CHECK(*got == "migrated");
  CHECK(f.client.stats().ask >= 1);
  CHECK(f.client.stats().moved == 0);
  migration.finish();
}

TEST_CASE("cluster client: a cross-slot command fails before anything is sent, naming two keys",
          "[cluster][cluster-client]") {
  shared_cluster();
  AsyncFixture f;
  valkey::Diagnostics diag;
  std::error_code got;
  bool done = false;
  f.client.rename("cross:a", "cross:b", diag, [&](std::error_code ec, auto) {
    got = ec;
    done = true;
  });
  REQUIRE(f.wait([&] { return done; }));
  CHECK(got == valkey::errc::cross_slot);
  CHECK(diag.message.find("'cross:a'") != std::string::npos);
  CHECK(diag.message.find("'cross:b'") != std::string::npos);
  CHECK(diag.message.find("RENAME") != std::string::npos);

  // call() the same way; keys sharing a hash tag are fine.
  done = false;
  f.client.call({"SUNIONSTORE", "{t}dst", "{t}a", "other"}, diag, [&](std::error_code ec, valkey::Reply) {
    got = ec;
    done = true;
  });
  REQUIRE(f.wait([&] { return done; }));
  CHECK(got == valkey::errc::cross_slot);
  CHECK(diag.message.find("'other'") != std::string::npos);
  done = false;
  f.client.call({"SUNIONSTORE", "{t}dst", "{t}a", "{t}b"}, diag, [&](std::error_code ec, valkey::Reply) {
    got = ec;
    done = true;
  });
  REQUIRE(f.wait([&] { return done; }));
  CHECK_FALSE(got);
}

TEST_CASE("cluster client: connection-state commands are refused, naming the API to use",
          "[cluster][cluster-client]") {
  shared_cluster();
  AsyncFixture f;
  struct Case {
    std::vector<std::string> args;
    std::string names;
  };
  const std::vector<Case> cases{{{"SELECT", "1"}, "Config::database"},
                                {{"MULTI"}, "transaction()"},
                                {{"SUBSCRIBE", "ch"}, "subscriber"},
                                {{"READONLY"}, "read_from"},
                                {{"CLIENT", "SETNAME", "x"}, "client_name"},
                                {{"AUTH", "pw"}, "ClusterConfig"},
                                {{"ASKING"}, "ASK"},
                                {{"SCAN", "0"}, "scan_all"}};
  for (const auto& c : cases) {
    valkey::Diagnostics diag;
    std::error_code got;
    bool done = false;
    std::vector<std::string_view> args(c.args.begin(), c.args.end());
    f.client.call(args, diag, [&](std::error_code ec, valkey::Reply) {
      got = ec;
      done = true;
    });
    REQUIRE(f.wait([&] { return done; }));
    INFO(c.args[0] << ": " << diag.message);
    CHECK(got == valkey::errc::invalid_argument);
    CHECK(diag.message.find(c.names) != std::string::npos);
  }
}

TEST_CASE("cluster client: owned commands route by the keys they keep, MGET split across slots",
          "[cluster][cluster-client][owned]") {
  Cluster& cluster = shared_cluster();
  valkey::ClusterClient db{cluster.seed_url()};
  std::vector<valkey::Owned<valkey::cmd::Set>> sets;
  std::vector<std::string> keys;
  for (int n = 0; n < 6; ++n) {
    keys.push_back("owned:" + std::to_string(n));
    const std::string key = "owned:" + std::to_string(n), value = "v" + std::to_string(n);
    sets.push_back(valkey::owned(valkey::cmd::Set{.key = key, .value = value}));
  }  // key and value are gone: the Owned keeps bytes and keys of its own
  for (const auto& s : sets) CHECK(db.exec(s));
  // Each value is on its slot's owner, reached without a redirection.
  for (int n = 0; n < 6; ++n) {
    const int port = cluster.port_for_slot(Cluster::key_slot(keys[static_cast<std::size_t>(n)]));
    CHECK(valkey::test::send_command(port, {"GET", keys[static_cast<std::size_t>(n)]}).as_string() == "v" + std::to_string(n));
  }
  const std::vector<std::string_view> asked{keys[4], keys[0], keys[5]};
  const auto mget = valkey::owned(valkey::cmd::Mget{.keys = asked});
  const auto values = db.exec(mget);
  REQUIRE(values.size() == 3);
  CHECK(values[0] == "v4");
  CHECK(values[1] == "v0");
  CHECK(values[2] == "v5");
  CHECK(db.stats().moved == 0);
}

TEST_CASE("cluster client (sync): the same API from several threads", "[cluster][cluster-client][threads]") {
  Cluster& cluster = shared_cluster();
  valkey::ClusterClient db{cluster.seed_url()};
  db.set("sync:a", "1");
  auto v = db.get("sync:a");
  REQUIRE(v.has_value());
  CHECK(*v == "1");
  db.mset(std::vector<std::pair<std::string_view, std::string_view>>{{"sync:x", "x"}, {"sync:y", "y"}, {"sync:z", "z"}});
  auto vs = db.mget(std::vector<std::string_view>{"sync:z", "sync:x", "sync:y"});
  REQUIRE(vs.size() == 3);
  CHECK(vs[0] == "z");
  CHECK(vs[1] == "x");
  CHECK(vs[2] == "y");
  CHECK(db.dbsize() >= 4);

  std::error_code ec;
  valkey::Diagnostics diag;
  db.rename("sync:x", "sync:y", ec, diag);
  CHECK(ec == valkey::errc::cross_slot);
  CHECK_THROWS_AS(db.rename("sync:x", "sync:y"), valkey::Error);

  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string k = "sync:t" + std::to_string(t) + ":" + std::to_string(i);
        std::error_code e;
        db.set(k, k, e);
        auto got = db.get(k, e);
        if (e || got != k) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(db.nodes().size() == cluster.size());
  auto per = db.call_on_primaries({"PING"});
  CHECK(per.size() == cluster.initial_primary_count());
  for (const auto& e : per) CHECK(e.value.as_string() == "PONG");

  // Typed per-node access, and one chosen node.
  const auto sizes = db.exec_on_all_nodes(valkey::cmd::Dbsize{});
  CHECK(sizes.size() == cluster.size());
  const std::string node = per[0].node;
  const auto one = db.exec_on(node, valkey::cmd::Dbsize{});
  CHECK(one == sizes.at(node));
  CHECK(db.call_on(node, {"PING"}).as_string() == "PONG");
  db.call_on("not-an-address", {"PING"}, ec, diag);
  CHECK(ec == valkey::errc::invalid_argument);
  CHECK(diag.message.find("not-an-address") != std::string::npos);
}

TEST_CASE("cluster client (sync): a caller drives its own request; the internal thread drives when nobody calls",
          "[cluster][cluster-client][threads]") {
  Cluster& cluster = shared_cluster();
  valkey::ClusterConfig config = valkey::ClusterConfig::from_url(cluster.seed_url());
  config.topology_check_interval = 200ms;
  config.node.max_connections = 1;  // one router: threads calling at once share its driver
  valkey::ClusterClient db{config};
  db.set("drive:k", "v");

  // Back to back on one thread: each call finds nobody driving and runs its
  // own I/O. A call slower than the grace period (a loaded machine) lets the
  // internal thread take over, which hands the next call over once.
  const valkey::ClusterStats before = db.stats();
  constexpr int kCalls = 2000;
  for (int i = 0; i < kCalls; ++i) REQUIRE(db.get("drive:k") == "v");
  const valkey::ClusterStats after = db.stats();
  CHECK(after.handed_over_calls - before.handed_over_calls <= kCalls / 20);
  // Most of them wait for their reply on the node's socket alone; the rest
  // run the reactor (a periodic check in flight, the reactor's own turn).
  CHECK(after.direct_waits - before.direct_waits >= kCalls / 2);

  // Several threads at once: whoever drives runs the others' requests too.
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string k = "drive:t" + std::to_string(t) + ":" + std::to_string(i % 20);
        std::error_code e;
        db.set(k, std::to_string(i), e);
        if (e || db.get(k, e) != std::to_string(i) || e) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(db.stats().lanes == 1);

  // Nobody calls: the internal thread takes the I/O after the grace period
  // and runs the periodic topology check's timer and queries.
  const valkey::ClusterStats idle = db.stats();
  valkey::test::wait_until("a periodic topology check while nobody calls", 10s, [&](std::string& state) {
    const valkey::ClusterStats now = db.stats();
    state = std::to_string(now.refresh_queries - idle.refresh_queries) + " topology queries";
    return now.refresh_queries > idle.refresh_queries + 1;
  });
  CHECK(db.stats().internal_drives > idle.internal_drives);
  CHECK(db.get("drive:k") == "v");
}

TEST_CASE("cluster client (sync): threads calling at once get routers of their own, up to node.max_connections",
          "[cluster][cluster-client][threads]") {
  Cluster& cluster = shared_cluster();
  valkey::ClusterConfig config = valkey::ClusterConfig::from_url(cluster.seed_url());
  config.node.max_connections = 2;
  valkey::ClusterClient db{config};

  // One thread at a time: always the first router.
  for (int i = 0; i < 100; ++i) db.set("lanes:seq", std::to_string(i));
  CHECK(db.stats().lanes == 1);
  CHECK(db.get("lanes:seq") == "99");

  // Four threads at once: a second router opens (it reads its own
  // topology) and no more; the calls beyond two at a time are handed to a
  // router's driver as before. Every write is read back by its thread.
  constexpr int kThreads = 4, kCalls = 300;
  std::latch start{kThreads};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kCalls; ++i) {
        const std::string k = "lanes:t" + std::to_string(t) + ":" + std::to_string(i % 25);
        std::error_code e;
        db.set(k, std::to_string(i), e);
        if (e || db.get(k, e) != std::to_string(i) || e) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  const valkey::ClusterStats s = db.stats();
  CHECK(s.lanes == 2);
  CHECK(s.moved == 0);  // each router routes by its own topology
  CHECK(s.refreshes >= 2);  // each router read its own
  CHECK(db.nodes().size() == cluster.size());  // from the first router

  // After close() a call fails at once (SyncLanes::close() closes every
  // router; this call, alone, takes the first).
  db.close();
  std::error_code e;
  db.get("lanes:seq", e);
  CHECK(e == valkey::errc::connection_closed);
}

TEST_CASE("cluster client (sync): only the first router checks the topology periodically; a change it finds reaches the others",
          "[cluster][cluster-client][threads]") {
  Cluster& cluster = shared_cluster();
  valkey::ClusterConfig config = valkey::ClusterConfig::from_url(cluster.seed_url());
  config.topology_check_interval = 100ms;
  config.node.max_connections = 2;
  // The lanes of a ClusterClient, held as its calls hold them: a second
  // caller while the first is in opens the second router.
  valkey::cluster::SyncLanes lanes{config};
  valkey::cluster::SyncLane& first = lanes.enter();
  valkey::cluster::SyncLane& second = lanes.enter();
  REQUIRE(&first != &second);
  valkey::cluster::SyncLanes::leave(second);
  valkey::cluster::SyncLanes::leave(first);
  auto queries = [](valkey::cluster::SyncLane& l) { return l.router->stats().refresh_queries; };
  auto refreshes = [](valkey::cluster::SyncLane& l) { return l.router->stats().refreshes; };
  valkey::test::wait_until("both routers read the topology", 10s, [&](std::string& state) {
    state = std::to_string(queries(first)) + " and " + std::to_string(queries(second)) + " queries";
    return queries(first) >= 1 && queries(second) >= 1;
  });
  std::this_thread::sleep_for(300ms);  // their first queries answered

  // Idle, nobody calling: the first router's check runs every 100 ms, the
  // second router asks nothing unless that check found a change (the
  // cluster still settling after an earlier test), which the first router
  // then refreshes for too.
  const std::uint64_t first_before = queries(first), second_before = queries(second);
  const std::uint64_t first_refreshes = refreshes(first);
  std::this_thread::sleep_for(1s);
  CHECK(queries(first) >= first_before + 4);
  INFO("the first router's refreshes while idle: " << refreshes(first) - first_refreshes);
  CHECK((queries(second) == second_before || refreshes(first) > first_refreshes));

  // A slot moves: the first router's check finds it, and the second router
  // refreshes too, still without a call.
  const std::uint64_t second_refreshes = refreshes(second);
  move_empty_slot(cluster, Cluster::key_slot("checks:moving"));
  valkey::test::wait_until("the second router refreshed after the first one's check", 10s, [&](std::string& state) {
    state = std::to_string(refreshes(second) - second_refreshes) + " refreshes";
    return refreshes(second) > second_refreshes;
  });
  lanes.close();
}

TEST_CASE("cluster client (sync): a client-side cache keeps the client on one router", "[cluster][cluster-client][threads]") {
  Cluster& cluster = shared_cluster();
  valkey::ClusterConfig config = valkey::ClusterConfig::from_url(cluster.seed_url());
  config.node.cache = valkey::CacheConfig{};
  valkey::ClusterClient db{config};
  std::latch start{3};
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < 100; ++i) {
        const std::string k = "lanes:cache:" + std::to_string(t);
        std::error_code e;
        db.set(k, std::to_string(i), e);
        if (e || db.cached(5s).get(k, e) != std::to_string(i) || e) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(db.stats().lanes == 1);
}

TEST_CASE("cluster client (sync): work handed over by another thread wakes a caller waiting on its node's socket",
          "[cluster][cluster-client][threads]") {
  Cluster& cluster = shared_cluster();
  valkey::ClusterClient db{cluster.seed_url()};
  const std::string key = "direct:wake";
  db.set(key, "0");
  const std::size_t owner = cluster.owner_of(key);

  // The SET waits out the pause on the owner's socket (the only request in
  // flight); nodes() from another thread meanwhile is posted to the driver,
  // which must come out of its wait to run it, not finish the SET first.
  const valkey::ClusterStats before = db.stats();
  cluster.node(owner).command({"CLIENT", "PAUSE", "1500", "WRITE"});
  std::atomic<bool> listed{false};
  std::thread other([&] {
    std::this_thread::sleep_for(100ms);
    listed = !db.nodes().empty();
  });
  db.set(key, "1");
  const bool listed_during_set = listed.load();
  other.join();
  CHECK(listed_during_set);
  CHECK(db.stats().direct_waits > before.direct_waits);
  CHECK(db.get(key) == "1");
}

TEST_CASE("cluster sample: runs against the shared cluster", "[cluster][cluster-client][samples]") {
  Cluster& cluster = shared_cluster();
  const std::filesystem::path exe = valkey::test::samples_dir() / "cluster";
  if (!std::filesystem::exists(exe)) SKIP("not built: " + exe.string());
  auto r = valkey::test::run_program(
      "VALKEY_CLUSTER_URL=" + valkey::test::shell_quote(cluster.seed_url()) + " " +
          valkey::test::shell_quote(exe.string()),
      60);
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.find("MGET sample:c sample:a sample:b sample:none -> 3 1 2 (nil)") != std::string::npos);
  CHECK(r.output.find("keys in different cluster slots") != std::string::npos);
  CHECK(r.output.find("INFO from ") != std::string::npos);
  CHECK(r.output.find("scan_all sample:* -> ") != std::string::npos);
  CHECK(r.output.find("smessage on {sample-room-1}:chat: hello {sample-room-1}:chat") != std::string::npos);
  CHECK(r.output.find("smessage on {sample-room-2}:chat: hello {sample-room-2}:chat") != std::string::npos);
}

TEST_CASE("cluster client (sync): scan_all returns every key of every primary once", "[cluster][cluster-client][threads]") {
  Cluster& cluster = shared_cluster();
  valkey::ClusterClient db{cluster.seed_url()};
  std::set<std::string> expected;
  for (int i = 0; i < 300; ++i) expected.insert("scan:" + std::to_string(i));
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  for (const auto& k : expected) pairs.emplace_back(k, "v");
  db.mset(pairs);
  db.set("other:key", "v");
  valkey::ScanAllOptions scan;
  scan.match = "scan:*";
  scan.count = 50;
  for (std::size_t p : primaries(cluster)) cluster.node(p).command({"CONFIG", "RESETSTAT"});
  const auto keys = db.scan_all(scan);
  CHECK(keys.size() == expected.size());
  CHECK(std::set<std::string>(keys.begin(), keys.end()) == expected);
  // CLUSTERSCAN where the server has it (Valkey 9.1), else SCAN per primary.
  const bool has_clusterscan = !cluster.node(0).command({"COMMAND", "INFO", "CLUSTERSCAN"}).elements.at(0).is_null();
  std::int64_t clusterscan_calls = 0;
  for (std::size_t p : primaries(cluster)) {
    const std::string stats = cluster.node(p).command({"INFO", "commandstats"}).as_string();
    const auto at = stats.find("cmdstat_clusterscan:calls=");
    if (at != std::string::npos) clusterscan_calls += std::stoll(stats.substr(at + 26));
  }
  INFO("CLUSTERSCAN calls: " << clusterscan_calls);
  CHECK((clusterscan_calls > 0) == has_clusterscan);
  std::vector<std::string_view> all(expected.begin(), expected.end());
  CHECK(db.del(all) == 300);
}

TEST_CASE("cluster client: a pipeline across slots answers in command order, per-command errors kept",
          "[cluster][cluster-client]") {
  Cluster& cluster = shared_cluster();
  AsyncFixture f;
  std::optional<std::tuple<std::optional<std::string>, std::int64_t, std::optional<std::string>>> got;
  f.client.set("pipe:a", "A", [](std::error_code ec, auto) { CHECK_FALSE(ec); });
  f.client.pipeline().get("pipe:a").incr("pipe:n").get("pipe:missing").exec(
      [&](std::error_code ec, std::tuple<std::optional<std::string>, std::int64_t, std::optional<std::string>> t) {
        CHECK_FALSE(ec);
        got = std::move(t);
      });
  REQUIRE(f.wait([&] { return got.has_value(); }));
  CHECK(std::get<0>(*got) == "A");
  CHECK(std::get<1>(*got) >= 1);
  CHECK_FALSE(std::get<2>(*got).has_value());
  CHECK(Cluster::key_slot("pipe:a") != Cluster::key_slot("pipe:n"));

  // A dynamic batch keeps error replies in place.
  valkey::Batch<valkey::AsyncClusterClient> b{f.client};
  b.call({"SET", "pipe:b", "1"}).call({"LPUSH", "pipe:b", "x"}).call({"RENAME", "pipe:b", "pipe:other"}).call(
      {"GET", "pipe:b"});
  std::optional<std::vector<valkey::Reply>> replies;
  b.exec([&](std::error_code ec, std::vector<valkey::Reply> r) {
    CHECK_FALSE(ec);
    replies = std::move(r);
  });
  REQUIRE(f.wait([&] { return replies.has_value(); }));
  REQUIRE(replies->size() == 4);
  CHECK((*replies)[0].as_string() == "OK");
  CHECK((*replies)[1].is_error());  // WRONGTYPE from the node
  CHECK((*replies)[2].is_error());  // cross-slot: refused before sending
  CHECK(std::string((*replies)[2].error_message()).find("different slots") != std::string::npos);
  CHECK((*replies)[3].as_string() == "1");

  (void)cluster;
}

TEST_CASE("cluster client: a batch's commands answered MOVED are followed and answer in their places",
          "[cluster][cluster-client]") {
  Cluster& cluster = shared_cluster();
  AsyncFixture f;
  const std::string a = "pipe-moved:a", b = "pipe-moved:b", m = "pipe-moved:m";
  bool written = false;
  f.client.mset({{a, "A"}, {b, "B"}}, [&](std::error_code ec, auto) {
    CHECK_FALSE(ec);
    written = true;
  });
  REQUIRE(f.wait([&] { return written; }));
  // m's slot (empty: m was never written) moves after the client learnt the
  // topology, so both commands on m are answered MOVED by the old owner.
  const int slot = Cluster::key_slot(m);
  REQUIRE(slot != Cluster::key_slot(a));
  REQUIRE(slot != Cluster::key_slot(b));
  const std::size_t target = move_empty_slot(cluster, slot);
  const auto moved_before = f.client.stats().moved;

  valkey::Batch<valkey::AsyncClusterClient> batch{f.client};
  batch.call({"GET", a}).call({"SET", m, "v"}).call({"LPUSH", a, "x"}).call({"GET", b}).call({"GET", m});
  std::optional<std::vector<valkey::Reply>> replies;
  batch.exec([&](std::error_code ec, std::vector<valkey::Reply> r) {
    CHECK_FALSE(ec);
    replies = std::move(r);
  });
  REQUIRE(f.wait([&] { return replies.has_value(); }));
  REQUIRE(replies->size() == 5);
  CHECK((*replies)[0].as_string() == "A");
  CHECK((*replies)[1].as_string() == "OK");
  CHECK((*replies)[2].is_error());  // WRONGTYPE, kept in its place
  CHECK((*replies)[3].as_string() == "B");
  CHECK((*replies)[4].as_string() == "v");
  CHECK(f.client.stats().moved >= moved_before + 1);
  CHECK(cluster.node(target).command({"GET", m}).as_string() == "v");
}

TEST_CASE("cluster client: each node runs a batch's commands in batch order, split commands among them",
          "[cluster][cluster-client]") {
  Cluster& cluster = shared_cluster();
  AsyncFixture f;
  // A node's single-slot commands of a batch go as one request and a split
  // command's share as another; the share must not overtake the commands
  // before it, nor the ones after it the share.
  const std::vector<std::string> keys{"order:1", "order:2", "order:3", "order:4"};
  std::set<int> owners;
  for (const auto& k : keys) owners.insert(cluster.port_for_slot(Cluster::key_slot(k)));
  REQUIRE(owners.size() > 1);  // the MGET is split
  valkey::Batch<valkey::AsyncClusterClient> batch{f.client};
  for (const auto& k : keys) batch.call({"SET", k, "x" + k});
  batch.call({"MGET", keys[0], keys[1], keys[2], keys[3]});
  for (const auto& k : keys) batch.call({"DEL", k});
  batch.call({"MGET", keys[0], keys[1], keys[2], keys[3]});
  std::optional<std::vector<valkey::Reply>> replies;
  batch.exec([&](std::error_code ec, std::vector<valkey::Reply> r) {
    CHECK_FALSE(ec);
    replies = std::move(r);
  });
  REQUIRE(f.wait([&] { return replies.has_value(); }));
  REQUIRE(replies->size() == 10);
  const valkey::Reply& seen = (*replies)[4];
  REQUIRE(seen.is_array());
  REQUIRE(seen.size() == keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) CHECK(seen.elements()[i].as_string() == "x" + keys[i]);
  for (std::size_t i = 5; i < 9; ++i) CHECK((*replies)[i] == valkey::Reply::integer(1));
  const valkey::Reply& gone = (*replies)[9];
  REQUIRE(gone.is_array());
  for (const auto& e : gone.elements()) CHECK(e.is_null());
}

TEST_CASE("cluster client: a transaction runs on its slot's owner; keys in two slots are cross_slot",
          "[cluster][cluster-client]") {
  Cluster& cluster = shared_cluster();
  AsyncFixture f;
  std::optional<std::tuple<bool, std::int64_t, std::optional<std::string>>> got;
  f.client.transaction().set("{tx}a", "1").incr("{tx}a").get("{tx}a").exec([&](std::error_code ec, auto t) {
    CHECK_FALSE(ec);
    got = std::move(t);
  });
  REQUIRE(f.wait([&] { return got.has_value(); }));
  CHECK(std::get<0>(*got));  // SET wrote
  CHECK(std::get<1>(*got) == 2);
  CHECK(std::get<2>(*got) == "2");
  const int port = cluster.port_for_slot(Cluster::key_slot("{tx}a"));
  CHECK(valkey::test::send_command(port, {"GET", "{tx}a"}).as_string() == "2");

  std::error_code tx_ec;
  valkey::Diagnostics diag;
  bool tx_done = false;
  f.client.transaction().set("tx:one", "1").set("tx:two", "2").exec(diag, [&](std::error_code ec, auto) {
    tx_ec = ec;
    tx_done = true;
  });
  REQUIRE(f.wait([&] { return tx_done; }));
  CHECK(tx_ec == valkey::errc::cross_slot);
  CHECK(diag.message.find("transaction") != std::string::npos);
  CHECK(valkey::test::send_command(cluster.port_for_slot(Cluster::key_slot("tx:one")), {"EXISTS", "tx:one"}).integer ==
        0);
}

TEST_CASE("cluster client (sync): pipeline", "[cluster][cluster-client][threads]") {
  Cluster& cluster = shared_cluster();
  valkey::ClusterClient db{cluster.seed_url()};
  auto [ok, a, b] = db.pipeline().set("spipe:a", "1").incr("spipe:a").get("spipe:b").exec();
  (void)ok;
  CHECK(a == 2);
  CHECK_FALSE(b.has_value());
}

TEST_CASE("cluster client: a blocking command in a pipeline runs on a lease; in a transaction it does not block",
          "[cluster][cluster-client][lease]") {
  Cluster& cluster = shared_cluster();
  AsyncFixture f;
  using Popped = std::optional<std::pair<std::string, std::string>>;
  auto& c = f.client;
  bool ready = false;
  c.call({"DEL", "{bpipe}list", "{bpipe}empty", "{bpipe}wait", "{bpipe}n"}, [&](std::error_code ec, valkey::Reply) {
    CHECK_FALSE(ec);
    ready = true;
  });
  REQUIRE(f.wait([&] { return ready; }));
  ready = false;
  c.call({"RPUSH", "{bpipe}list", "a", "b"}, [&](std::error_code ec, valkey::Reply) {
    CHECK_FALSE(ec);
    ready = true;
  });
  REQUIRE(f.wait([&] { return ready; }));

  // One that finds an element, one that times out, beside a plain GET.
  std::optional<std::tuple<std::optional<std::string>, Popped, Popped>> got;
  c.pipeline().get("{bpipe}k").blpop({"{bpipe}list"}, 1.0).blpop({"{bpipe}empty"}, 0.1).exec(
      [&](std::error_code ec, auto t) {
        CHECK_FALSE(ec);
        got = std::move(t);
      });
  REQUIRE(f.wait([&] { return got.has_value(); }));
  CHECK_FALSE(std::get<0>(*got).has_value());
  CHECK(std::get<1>(*got) == Popped{{"{bpipe}list", "a"}});
  CHECK_FALSE(std::get<2>(*got).has_value());

  // One that waits does not hold up the connection the others share.
  std::optional<std::tuple<Popped>> waited;
  c.pipeline().blpop({"{bpipe}wait"}, 20.0).exec([&](std::error_code ec, auto t) {
    CHECK_FALSE(ec);
    waited = std::move(t);
  });
  const std::size_t owner = cluster.owner_of("{bpipe}wait");
  REQUIRE(f.wait([&] { return cluster.node(owner).info_int("clients", "blocked_clients") == 1; }, 10s));
  std::optional<std::int64_t> len;
  c.llen("{bpipe}list", [&](std::error_code ec, std::int64_t n) {
    CHECK_FALSE(ec);
    len = n;
  });
  REQUIRE(f.wait([&] { return len.has_value(); }, 5s));
  CHECK(*len == 1);
  CHECK_FALSE(waited.has_value());
  c.rpush("{bpipe}wait", std::vector<std::string_view>{"w"}, [](std::error_code ec, std::int64_t) { CHECK_FALSE(ec); });
  REQUIRE(f.wait([&] { return waited.has_value(); }, 10s));
  CHECK(std::get<0>(*waited) == Popped{{"{bpipe}wait", "w"}});

  // Inside MULTI the server does not block: nil at once, even with no timeout.
  std::optional<std::tuple<Popped, std::int64_t>> tx;
  c.transaction().blpop({"{bpipe}empty"}, 0.0).incr("{bpipe}n").exec([&](std::error_code ec, auto t) {
    CHECK_FALSE(ec);
    tx = std::move(t);
  });
  REQUIRE(f.wait([&] { return tx.has_value(); }, 10s));
  CHECK_FALSE(std::get<0>(*tx).has_value());
  CHECK(std::get<1>(*tx) == 1);
}

TEST_CASE("cluster client: split and fanned-out commands inside a pipeline answer as they do alone",
          "[cluster][cluster-client][threads]") {
  Cluster& cluster = shared_cluster();
  valkey::ClusterClient db{cluster.seed_url()};
  const std::vector<std::string> keys{"psplit:1", "psplit:2", "psplit:3", "psplit:4", "psplit:5"};
  std::set<std::uint16_t> slots;
  for (const auto& k : keys) slots.insert(Cluster::key_slot(k));
  REQUIRE(slots.size() > 1);
  std::set<int> owners;
  for (std::uint16_t s : slots) owners.insert(cluster.port_for_slot(s));
  REQUIRE(owners.size() > 1);  // the MGET below is split across nodes
  for (std::size_t i = 0; i < keys.size(); ++i) db.set(keys[i], "v" + std::to_string(i));

  // Typed: a split MGET (key order kept), DBSIZE summed over the primaries,
  // and single-slot commands around them.
  std::vector<std::string_view> views(keys.begin(), keys.end());
  views.insert(views.begin() + 2, "psplit:missing");
  auto [before, values, size, after] = db.pipeline().get("psplit:1").mget(views).dbsize().strlen("psplit:5").exec();
  CHECK(before == "v0");
  REQUIRE(values.size() == 6);
  CHECK(values[0] == "v0");
  CHECK(values[1] == "v1");
  CHECK_FALSE(values[2].has_value());
  CHECK(values[5] == "v4");
  CHECK(values == db.mget(views));
  CHECK(size == db.dbsize());  // the pipeline wrote nothing
  CHECK(after == 2);

  // A Batch of call(): DEL split and summed, INFO answered per node (a map
  // of host:port to each node's reply), a cross-slot RENAME still refused.
  valkey::Batch<valkey::ClusterClient> b{db};
  b.call({"EXISTS", "psplit:1", "psplit:2", "psplit:3", "psplit:missing"})
      .call({"INFO", "server"})
      .call({"RENAME", "psplit:1", "psplit:2"})
      .call({"DEL", "psplit:1", "psplit:2", "psplit:3", "psplit:4", "psplit:5"});
  std::vector<valkey::Reply> r = b.exec();
  REQUIRE(r.size() == 4);
  CHECK(r[0] == valkey::Reply::integer(3));
  REQUIRE(r[1].is_map());
  const auto nodes = db.nodes();
  const auto primaries = std::count_if(nodes.begin(), nodes.end(), [](const auto& n) { return n.primary; });
  CHECK(r[1].size() == static_cast<std::size_t>(primaries));
  CHECK(r[1].elements()[1].as_string().find("redis_version") != std::string::npos);
  CHECK(r[2].is_error());
  CHECK(r[3] == valkey::Reply::integer(5));
  for (const auto& k : keys)
    CHECK(valkey::test::send_command(cluster.port_for_slot(Cluster::key_slot(k)), {"EXISTS", k}).integer == 0);
}

TEST_CASE("cluster client: a batch repeating one command over many slots sends each to its slot's owner",
          "[cluster][cluster-client]") {
  Cluster& cluster = shared_cluster();
  valkey::ClusterClient db{cluster.seed_url()};
  std::vector<std::string> keys;
  for (int i = 0; i < 48; ++i) keys.push_back("brepeat:" + std::to_string(i));
  db.call({"PING"});  // the topology first: a MOVED below can only be a misrouted command
  const std::uint64_t moved = db.stats().moved;

  valkey::Batch<valkey::ClusterClient> set{db};
  for (std::size_t i = 0; i < keys.size(); ++i) set.set(keys[i], std::to_string(i));
  for (const valkey::Reply& r : set.exec()) CHECK(r.as_string() == "OK");
  for (std::size_t i = 0; i < keys.size(); ++i)
    CHECK(valkey::test::send_command(cluster.port_for_slot(Cluster::key_slot(keys[i])), {"GET", keys[i]}).as_string() ==
          std::to_string(i));

  // Typed GETs, then the same name spelled otherwise, without its key, and
  // another command: each routed as when sent alone.
  valkey::Batch<valkey::ClusterClient> get{db};
  for (const auto& k : keys) get.get(k);
  get.call({"get", keys[3]}).call({"GET"}).call({"HGET", keys[5], "f"}).call({"GET", keys[7]});
  const std::vector<valkey::Reply> r = get.exec();
  REQUIRE(r.size() == keys.size() + 4);
  for (std::size_t i = 0; i < keys.size(); ++i) CHECK(r[i].as_string() == std::to_string(i));
  CHECK(r[keys.size()].as_string() == "3");
  CHECK(r[keys.size() + 1].is_error());  // the server's arity error
  CHECK(r[keys.size() + 2].is_error());  // WRONGTYPE from the key's owner
  CHECK(std::string(r[keys.size() + 2].error_message()).find("WRONGTYPE") != std::string::npos);
  CHECK(r[keys.size() + 3].as_string() == "7");
  CHECK(db.stats().moved == moved);

  // Typed commands after call() ones, and through a with() handle: the
  // builder's marks (a typed command's slot, found as it is added) and the
  // router's parsing of the others agree on every command's place and slot.
  for (std::size_t i = 1; i < keys.size(); i += 2) db.del("bmixed:" + std::to_string(i));
  valkey::Batch<valkey::ClusterClient> mixed{db};
  mixed.call({"GET", keys[0]});
  for (std::size_t i = 1; i < keys.size(); i += 2) mixed.hset("bmixed:" + std::to_string(i), "f", keys[i]);
  mixed.get(keys[2]).call({"HGET", "bmixed:1", "f"});
  const std::vector<valkey::Reply> m = mixed.exec();
  REQUIRE(m.size() == 2 + keys.size() / 2 + 1);
  CHECK(m.front().as_string() == "0");
  for (std::size_t j = 1; j <= keys.size() / 2; ++j) CHECK(m[j] == valkey::Reply::integer(1));
  CHECK(m[m.size() - 2].as_string() == "2");
  CHECK(m.back().as_string() == keys[1]);
  auto [x, y] = db.with({.timeout = std::chrono::seconds(5)}).pipeline().hget("bmixed:3", "f").get(keys[9]).exec();
  CHECK(x == keys[3]);
  CHECK(y == "9");
  CHECK(db.stats().moved == moved);
}

// The cluster clients (and a with() handle on one) note a typed command's
// slot as a batch adds it; the single-node clients do not.
static_assert(valkey::detail::MarksCommands<valkey::ClusterClient, valkey::exec::CommandPlan<valkey::cmd::Get>>);
static_assert(valkey::detail::MarksCommands<valkey::AsyncClusterClient, valkey::exec::CommandPlan<valkey::cmd::Get>>);
static_assert(
    valkey::detail::MarksCommands<valkey::With<valkey::ClusterClient>, valkey::exec::CommandPlan<valkey::cmd::Get>>);
static_assert(!valkey::detail::MarksCommands<valkey::Client, valkey::exec::CommandPlan<valkey::cmd::Get>>);

TEST_CASE("cluster client: MSETEX across slots is split with its key count rewritten; with NX it is cross_slot",
          "[cluster][cluster-client][threads]") {
  valkey::test::require_server(valkey::test::valkey_at_least<9, 0>, "MSETEX is new in Valkey 9.0");
  Cluster& cluster = shared_cluster();
  valkey::ClusterClient db{cluster.seed_url()};
  const std::vector<std::string> keys{"msetex:1", "msetex:2", "msetex:3", "msetex:4"};
  auto r = db.call({"MSETEX", "4", "msetex:1", "a", "msetex:2", "b", "msetex:3", "c", "msetex:4", "d", "EX", "100"});
  CHECK(r.is_integer());
  const char* expected[] = {"a", "b", "c", "d"};
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const int port = cluster.port_for_slot(Cluster::key_slot(keys[i]));
    CHECK(valkey::test::send_command(port, {"GET", keys[i]}).as_string() == expected[i]);
    const auto ttl = valkey::test::send_command(port, {"TTL", keys[i]}).integer;
    CHECK(ttl > 0);
    CHECK(ttl <= 100);
  }
  std::error_code ec;
  valkey::Diagnostics diag;
  db.call({"MSETEX", "2", "msetex:1", "x", "msetex:2", "y", "NX"}, ec, diag);
  CHECK(ec == valkey::errc::cross_slot);
  CHECK(valkey::test::send_command(cluster.port_for_slot(Cluster::key_slot("msetex:1")), {"GET", "msetex:1"})
            .as_string() == "a");
}

TEST_CASE("cluster client: a transaction answered MOVED while queuing is sent again whole to the new owner",
          "[cluster][cluster-client]") {
  Cluster& cluster = shared_cluster();
  AsyncFixture f;
  bool warm = false;
  f.client.get("txmove:warm", [&](std::error_code ec, auto) {
    CHECK_FALSE(ec);
    warm = true;
  });
  REQUIRE(f.wait([&] { return warm; }));
  const int slot = Cluster::key_slot("{txmove}a");
  const std::size_t target = move_empty_slot(cluster, slot);

  std::optional<std::tuple<std::int64_t, std::int64_t>> got;
  f.client.transaction().incr("{txmove}a").incr("{txmove}a").exec([&](std::error_code ec, auto t) {
    CHECK_FALSE(ec);
    got = t;
  });
  REQUIRE(f.wait([&] { return got.has_value(); }));
  CHECK(std::get<0>(*got) == 1);
  CHECK(std::get<1>(*got) == 2);  // ran once, at the new owner
  CHECK(cluster.node(target).command({"GET", "{txmove}a"}).as_string() == "2");
  CHECK(f.client.stats().moved >= 1);
}

TEST_CASE("cluster client: a transaction answered ASK while queuing is sent again whole, after ASKING, to the importing node",
          "[cluster][cluster-client]") {
  Cluster& cluster = shared_cluster();
  AsyncFixture f;
  const std::string key = "{txask}a";
  REQUIRE(cluster.node(cluster.owner_of(key)).command({"SET", key, "10"}).as_string() == "OK");
  bool warm = false;
  f.client.get("txask:warm", [&](std::error_code, auto) { warm = true; });
  REQUIRE(f.wait([&] { return warm; }));

  KeyMigration migration(cluster, key);

  // The source queues nothing (its key is gone: ASK) and aborts the EXEC;
  // the importing node runs all of it once.
  const auto ask_before = f.client.stats().ask;
  std::optional<std::tuple<std::int64_t, std::int64_t>> got;
  f.client.transaction().incr(key).incr(key).exec([&](std::error_code ec, auto t) {
    CHECK_FALSE(ec);
    got = t;
  });
  REQUIRE(f.wait([&] { return got.has_value(); }));
  CHECK(std::get<0>(*got) == 11);
  CHECK(std::get<1>(*got) == 12);
  CHECK(f.client.stats().ask == ask_before + 1);
  migration.finish();  // then the importing node serves the slot (before, a GET there is answered MOVED)
  CHECK(cluster.node(migration.target).command({"GET", key}).as_string() == "12");
}

TEST_CASE("cluster client: read_from prefer_replica sends reads to a replica of the slot's shard, writes to the primary",
          "[cluster][cluster-client][threads]") {
  Cluster& cluster = shared_cluster();
  auto cfg = valkey::ClusterConfig::from_url(cluster.seed_url());
  cfg.read_from = valkey::ReadFrom::prefer_replica;
  valkey::ClusterClient db{cfg};
  const std::string key = "replica:key";
  const int slot = Cluster::key_slot(key);
  db.set(key, "replicated");

  std::string replica;
  for (const auto& n : db.nodes()) {
    if (n.primary) continue;
    for (const auto& r : n.slots)
      if (slot >= r.first && slot <= r.last) replica = n.address;
  }
  REQUIRE_FALSE(replica.empty());
  const int replica_port = std::stoi(replica.substr(replica.rfind(':') + 1));
  // Until the replica has the value (replication is asynchronous).
  valkey::test::wait_until("the value on the replica", 10s, [&](std::string&) {
    valkey::test::RespConnection rc("127.0.0.1", replica_port);
    rc.command({"READONLY"});
    auto v = rc.command({"GET", key});
    return !v.is_null() && v.as_string() == "replicated";
  });
  valkey::test::send_command(replica_port, {"CONFIG", "RESETSTAT"});
  const auto moved_before = db.stats().moved;
  for (int i = 0; i < 5; ++i) CHECK(db.get(key) == "replicated");
  const std::string stats = valkey::test::send_command(replica_port, {"INFO", "commandstats"}).as_string();
  CHECK(stats.find("cmdstat_get:calls=5,") != std::string::npos);
  // A pipeline's typed reads go there too, each routed as a batch's command.
  auto [first, second] = db.pipeline().get(key).get(key).exec();
  CHECK(first == "replicated");
  CHECK(second == "replicated");
  const std::string after = valkey::test::send_command(replica_port, {"INFO", "commandstats"}).as_string();
  CHECK(after.find("cmdstat_get:calls=7,") != std::string::npos);
  CHECK(db.stats().moved == moved_before);
  // A write still goes to the primary.
  db.set(key, "again");
  CHECK(valkey::test::send_command(cluster.port_for_slot(slot), {"GET", key}).as_string() == "again");
}

TEST_CASE("cluster client: over RESP2, generic replies take their RESP3 shape: alone, per node, in pipelines",
          "[cluster][cluster-client][resp3-shape]") {
  Cluster& cluster = shared_cluster();
  auto cfg = valkey::ClusterConfig::from_url(cluster.seed_url());
  cfg.node.protocol = valkey::Protocol::resp2;
  valkey::ClusterClient two{cfg};
  valkey::ClusterClient three{cluster.seed_url()};
  three.call({"DEL", "{shape}h", "{shape}z"});
  three.call({"HSET", "{shape}h", "a", "1", "b", "2"});
  three.call({"ZADD", "{shape}z", "1.5", "m"});

  const valkey::Reply h2 = two.call({"HGETALL", "{shape}h"});
  CHECK(h2.is_map());
  CHECK(h2 == three.call({"HGETALL", "{shape}h"}));
  CHECK(two.call({"ZSCORE", "{shape}z", "m"}).is_double());
  CHECK(two.call({"ZRANGE", "{shape}z", "0", "-1", "WITHSCORES"}) ==
        three.call({"ZRANGE", "{shape}z", "0", "-1", "WITHSCORES"}));

  // Each node's answer to a fanned-out command.
  const valkey::PerNode<valkey::Reply> configs = two.call_on_primaries({"CONFIG", "GET", "maxmemory"});
  REQUIRE(configs.size() == cluster.initial_primary_count());
  for (const auto& e : configs) CHECK(e.value.is_map());

  // Pipeline and batch entries, split across nodes or not.
  auto [h, n, z] = two.pipeline().call({"HGETALL", "{shape}h"}).incr("shape:n").call({"ZSCORE", "{shape}z", "m"}).exec();
  CHECK(h.is_map());
  CHECK(n >= 1);
  CHECK(z.is_double());
  valkey::Batch<valkey::ClusterClient> b{two};
  b.add({"HGETALL", "{shape}h"}).add({"GET", "shape:other"}).add({"ZSCORE", "{shape}z", "m"});
  const std::vector<valkey::Reply> replies = b.exec();
  REQUIRE(replies.size() == 3);
  CHECK(replies[0].is_map());
  CHECK(replies[2].is_double());
  // A typed result is what its decoder makes of either protocol.
  CHECK(two.hgetall("{shape}h") == three.hgetall("{shape}h"));
}

TEST_CASE("cluster client: a blocking command waits on a leased connection while the node keeps serving",
          "[cluster][cluster-client]") {
  shared_cluster();
  AsyncFixture f;
  std::optional<std::optional<std::pair<std::string, std::string>>> popped;
  f.client.blpop(std::vector<std::string_view>{"{blk}list"}, 10.0,
                 [&](std::error_code ec, std::optional<std::pair<std::string, std::string>> v) {
                   CHECK_FALSE(ec);
                   popped = std::move(v);
                 });
  // Give the BLPOP time to block on its node.
  f.wait([] { return false; }, 300ms);
  REQUIRE_FALSE(popped.has_value());
  // The shared connection of that node is not held up by it.
  std::optional<std::optional<std::string>> other;
  f.client.get("{blk}other", [&](std::error_code ec, std::optional<std::string> v) {
    CHECK_FALSE(ec);
    other = std::move(v);
  });
  REQUIRE(f.wait([&] { return other.has_value(); }));
  CHECK_FALSE(popped.has_value());
  std::int64_t pushed = -1;
  f.client.rpush("{blk}list", std::vector<std::string_view>{"item"}, [&](std::error_code ec, std::int64_t n) {
    CHECK_FALSE(ec);
    pushed = n;
  });
  REQUIRE(f.wait([&] { return popped.has_value() && pushed >= 0; }));
  CHECK(pushed == 1);
  REQUIRE(popped->has_value());
  CHECK((*popped)->first == "{blk}list");
  CHECK((*popped)->second == "item");

  valkey::Diagnostics diag;
  std::error_code got;
  bool done = false;
  f.client.blpop(std::vector<std::string_view>{"blk:a", "blk:b"}, 1.0, diag, [&](std::error_code ec, auto) {
    got = ec;
    done = true;
  });
  REQUIRE(f.wait([&] { return done; }));
  CHECK(got == valkey::errc::cross_slot);
}

// A handler bound to another io_context, run on a thread of its own: that
// run() returns only after the handler ran there (the request counts as its
// work while it is out), and the handler runs on that thread.
TEST_CASE("cluster client (async): a request counts as work on its handler's executor",
          "[cluster][cluster-client][threads]") {
  shared_cluster();
  AsyncFixture f;
  bool set = false;
  f.client.set("work:k", "v", [&](std::error_code ec, auto) {
    CHECK_FALSE(ec);
    set = true;
  });
  REQUIRE(f.wait([&] { return set; }));

  struct Outcome {
    bool on_other = false;
    std::error_code ec;
    std::optional<std::string> value;
  };
  asio::io_context other;
  std::promise<Outcome> ran;
  auto outcome = ran.get_future();
  f.client.get("work:k", asio::bind_executor(other.get_executor(), [&](std::error_code ec, std::optional<std::string> v) {
                 ran.set_value(Outcome{other.get_executor().running_in_this_thread(), ec, std::move(v)});
               }));
  bool completed = false, run_returned = false;
  {
    valkey::test::ContextThread other_thread(other);
    completed = f.wait([&] { return outcome.wait_for(0s) == std::future_status::ready; }, 10s);
    run_returned = other_thread.returned_within(5s);
  }
  REQUIRE(completed);
  const Outcome got = outcome.get();
  CHECK(got.on_other);
  CHECK_FALSE(got.ec);
  CHECK(got.value == std::optional<std::string>{"v"});
  CHECK(run_returned);  // the request's work on it ended with the handler
}

TEST_CASE("cluster client (async): scan_all with a completion token", "[cluster][cluster-client]") {
  shared_cluster();
  AsyncFixture f;
  std::set<std::string> expected;
  for (int i = 0; i < 120; ++i) expected.insert("ascan:" + std::to_string(i));
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  for (const auto& k : expected) pairs.emplace_back(k, "v");
  bool set = false;
  f.client.mset(pairs, [&](std::error_code ec, auto) {
    CHECK_FALSE(ec);
    set = true;
  });
  REQUIRE(f.wait([&] { return set; }));
  valkey::ScanAllOptions o;
  o.match = "ascan:*";
  o.count = 20;
  std::optional<std::vector<std::string>> keys;
  f.client.scan_all(o, [&](std::error_code ec, std::vector<std::string> k) {
    CHECK_FALSE(ec);
    keys = std::move(k);
  });
  REQUIRE(f.wait([&] { return keys.has_value(); }));
  CHECK(keys->size() == expected.size());
  CHECK(std::set<std::string>(keys->begin(), keys->end()) == expected);
}

TEST_CASE("cluster client: watch() holds a WATCH on the slot's owner; a changed key aborts the transaction",
          "[cluster][cluster-client][threads]") {
  Cluster& cluster = shared_cluster();
  valkey::ClusterClient db{cluster.seed_url()};
  const std::string key = "{acct}:balance";
  db.set(key, "10");
  {
    valkey::Watch w = db.watch({key, "{acct}:other"});
    CHECK(w.get(key) == "10");
    auto [ok] = w.multi().set(key, "11").exec();
    (void)ok;
    CHECK(db.get(key) == "11");
  }
  {
    valkey::Watch w = db.watch({key});
    db.set(key, "changed by someone else");
    std::error_code ec;
    w.multi().set(key, "12").exec(ec);
    CHECK(ec == valkey::errc::exec_aborted);
    CHECK(db.get(key) == "changed by someone else");
  }
  try {
    db.watch({"a", "b"});
    FAIL("keys in two slots were watched");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::cross_slot);
    CHECK(std::string(e.what()).find("different slots") != std::string::npos);
  }

  // Async: valkey::watch(AsyncClusterClient&, keys, token).
  AsyncFixture f;
  std::optional<valkey::AsyncWatch> held;
  std::error_code wec;
  bool done = false;
  valkey::watch(f.client, {key}, [&](std::error_code ec, valkey::AsyncWatch w) {
    wec = ec;
    held.emplace(std::move(w));
    done = true;
  });
  REQUIRE(f.wait([&] { return done; }));
  REQUIRE_FALSE(wec);
  CHECK(held->config().port == cluster.port_for_slot(Cluster::key_slot(key)));
  done = false;
  std::error_code xec;
  held->multi().set(key, "13").exec([&](std::error_code ec, auto) {
    xec = ec;
    done = true;
  });
  REQUIRE(f.wait([&] { return done; }));
  CHECK_FALSE(xec);
  CHECK(db.get(key) == "13");
  done = false;
  valkey::watch(f.client, {"a", "b"}, [&](std::error_code ec, valkey::AsyncWatch) {
    wec = ec;
    done = true;
  });
  REQUIRE(f.wait([&] { return done; }));
  CHECK(wec == valkey::errc::cross_slot);
  held.reset();
}

TEST_CASE("cluster client: a blocking command unblocked by MOVED waits at the new owner only for the rest of its timeout",
          "[cluster][cluster-client][lease]") {
  Cluster& cluster = shared_cluster();
  asio::io_context ioc;
  std::optional<valkey::AsyncClusterClient> holder{std::in_place, ioc.get_executor(), cluster.seed_url()};
  valkey::AsyncClusterClient& c = *holder;
  using Popped = std::optional<std::pair<std::string, std::string>>;
  bool warm = false;
  c.get("blockrest:warm", [&](std::error_code, auto) { warm = true; });
  REQUIRE(valkey::test::run_until(ioc, [&] { return warm; }, 15s));

  const std::string key = "blockrest:key";  // never written: its slot can move
  const int slot = Cluster::key_slot(key);
  const int old_port = cluster.port_for_slot(slot);
  const std::size_t old_owner = cluster.node_on_port(old_port);
  const std::size_t target = other_primary(cluster, old_port);
  valkey::test::RespConnection monitor{"127.0.0.1", cluster.node(target).port()};
  REQUIRE(monitor.command({"MONITOR"}).as_string() == "OK");

  std::optional<Popped> got;
  c.blpop(std::vector<std::string_view>{key}, 6.0, [&](std::error_code ec, Popped v) {
    CHECK_FALSE(ec);
    got = std::move(v);
  });
  REQUIRE(valkey::test::run_until(
      ioc, [&] { return cluster.node(old_owner).info_int("clients", "blocked_clients") == 1; }, 5s));
  valkey::test::run_until(ioc, [] { return false; }, 1s);  // a second of the six goes by
  cluster.give_slot(slot, target);                          // the old owner unblocks it with MOVED
  REQUIRE(valkey::test::run_until(
      ioc, [&] { return cluster.node(target).info_int("clients", "blocked_clients") == 1; }, 10s));

  // What the new owner was sent: BLPOP with what was left, not 6 again.
  std::string timeout;
  for (int i = 0; i < 50 && timeout.empty(); ++i) {
    const std::string line = monitor.read_reply().as_string();
    std::string lower = line;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower.find("\"blpop\"") == std::string::npos) continue;
    const std::size_t close = line.rfind('"');
    const std::size_t open = line.rfind('"', close - 1);
    timeout = line.substr(open + 1, close - open - 1);
  }
  REQUIRE_FALSE(timeout.empty());
  INFO("timeout sent to the new owner: " << timeout);
  CHECK(std::stod(timeout) > 0);
  CHECK(std::stod(timeout) <= 5.0);
  CHECK(c.stats().moved >= 1);

  bool pushed = false;
  c.rpush(key, std::vector<std::string_view>{"x"}, [&](std::error_code ec, std::int64_t) {
    CHECK_FALSE(ec);
    pushed = true;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return pushed && got.has_value(); }, 10s));
  REQUIRE(got->has_value());
  CHECK((*got)->second == "x");
  // Closed, then the io_context runs until the closing finished: a topology
  // query the MOVED started completes on it, as AsyncFixture's end does.
  holder.reset();
  ioc.restart();
  ioc.run_for(3s);
}

TEST_CASE("cluster client: Config::max_leases bounds each node's leases; a MOVED blocking command gives its lease "
          "back before it takes one at the new owner",
          "[cluster][cluster-client][lease][bulkhead]") {
  Cluster& cluster = shared_cluster();
  asio::io_context ioc;
  auto cfg = valkey::ClusterConfig::from_url(cluster.seed_url());
  cfg.node.max_leases = 1;
  std::optional<valkey::AsyncClusterClient> holder{std::in_place, ioc.get_executor(), cfg};
  valkey::AsyncClusterClient& c = *holder;
  using Popped = std::optional<std::pair<std::string, std::string>>;
  bool warm = false;
  c.get("leasemove:warm", [&](std::error_code ec, auto) {
    CHECK_FALSE(ec);
    warm = true;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return warm; }, 15s));

  const std::string key = "leasemove:key";  // never written: its slot can move
  const int slot = Cluster::key_slot(key);
  const int old_port = cluster.port_for_slot(slot);
  std::string old_key;  // a key the old owner keeps
  for (int i = 0; old_key.empty(); ++i) {
    const std::string k = "leasemove:old:" + std::to_string(i);
    if (Cluster::key_slot(k) != slot && cluster.port_for_slot(Cluster::key_slot(k)) == old_port) old_key = k;
  }
  const std::size_t target = move_empty_slot(cluster, slot);

  // MOVED by the old owner, then blocked at the new one on a lease of its pool.
  std::optional<Popped> first;
  c.blpop(std::vector<std::string_view>{key}, 5.0, [&](std::error_code ec, Popped v) {
    CHECK_FALSE(ec);
    first = std::move(v);
  });
  REQUIRE(valkey::test::run_until(
      ioc, [&] { return cluster.node(target).info_int("clients", "blocked_clients") == 1; }, 5s));
  CHECK(c.stats().moved >= 1);
  // The new owner's one lease is taken: a second call there fails at once.
  std::error_code second;
  valkey::Diagnostics diag;
  bool second_done = false;
  c.blpop(std::vector<std::string_view>{key}, 5.0, diag, [&](std::error_code ec, Popped) {
    second = ec;
    second_done = true;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return second_done; }, 1s));
  CHECK(second == valkey::errc::queue_full);
  CHECK(diag.outcome == valkey::policy::Outcome::not_sent);
  CHECK(diag.message.find("Config::max_leases") != std::string::npos);
  // The old owner's lease went back with the MOVED reply: a call there runs.
  std::error_code third = make_error_code(valkey::errc::invalid_argument);
  c.blpop(std::vector<std::string_view>{old_key}, 0.1, [&](std::error_code ec, Popped v) {
    CHECK_FALSE(v);
    third = ec;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return third != valkey::errc::invalid_argument; }, 5s));
  CHECK_FALSE(third);
  // The first completes with a value; its lease goes back too.
  bool pushed = false;
  c.rpush(key, std::vector<std::string_view>{"x"}, [&](std::error_code ec, std::int64_t) {
    CHECK_FALSE(ec);
    pushed = true;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return pushed && first.has_value(); }, 5s));
  REQUIRE(first->has_value());
  CHECK((*first)->second == "x");
  std::error_code fourth = make_error_code(valkey::errc::invalid_argument);
  c.blpop(std::vector<std::string_view>{key}, 0.1, [&](std::error_code ec, Popped) { fourth = ec; });
  REQUIRE(valkey::test::run_until(ioc, [&] { return fourth != valkey::errc::invalid_argument; }, 5s));
  CHECK_FALSE(fourth);
  holder.reset();
  ioc.restart();
  ioc.run_for(500ms);
}
