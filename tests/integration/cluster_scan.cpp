// scan_all through a migration, a failover (kill -9, and CLUSTER FAILOVER)
// and a lost shard, on a fresh cluster each: 10,000 keys, a small COUNT, and
// the async client's io_context driven by the test, so the fault happens at
// a chosen point of the scan (seen in the servers' commandstats) while
// nothing of it runs. The SCAN fallback runs on every server: on one with
// CLUSTERSCAN (Valkey 9.1) the nodes are started with that command renamed
// away. Then the sync scan_all against close() from another thread, and the
// async one against its cancellation slot (waiting in a backoff, a page out)
// and with a handler bound to another executor. Last, the streaming form
// (pages handed over as they arrive): the same keys as the collecting one,
// stopping early, an exception from the callback, a slow consumer holding
// the scan back, and the async form with its cancellation.
#include <catch2/catch_test_macros.hpp>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/cluster/async_cluster_client.hpp>
#include <valkey/cluster/cluster_client.hpp>
#include <valkey/cluster/slot.hpp>
#include <valkey/observe/observer.hpp>

#include "client_test_util.hpp"
#include "support/cluster.hpp"
#include "support/context_thread.hpp"
#include "support/server_version.hpp"
#include "support/wait.hpp"

using namespace std::chrono_literals;
using valkey::test::Cluster;

namespace {

constexpr int kKeys = 10000;

bool has_clusterscan(const valkey::test::ServerVersion& v) { return v.valkey && v.at_least(9, 1); }

// A 3+1 cluster; `fallback` renames CLUSTERSCAN away where the server has it.
valkey::test::ClusterOptions options(bool fallback, int replicas = 1) {
  valkey::test::ClusterOptions o;
  o.replicas_per_primary = replicas;
  o.node.cluster_node_timeout_ms = 1000;
  if (fallback && has_clusterscan(valkey::test::server_version())) o.node.config = {"rename-command CLUSTERSCAN \"\""};
  return o;
}

std::set<std::string> fill(Cluster& cluster, int n = kKeys) {
  valkey::ClusterClient db{cluster.seed_url()};
  std::set<std::string> keys;
  std::vector<std::string> batch;
  for (int i = 0; i < n; ++i) {
    batch.push_back("scan:" + std::to_string(i));
    keys.insert(batch.back());
    if (batch.size() == 1000 || i + 1 == n) {
      std::vector<std::pair<std::string_view, std::string_view>> pairs;
      for (const auto& k : batch) pairs.emplace_back(k, "v");
      db.mset(pairs);
      batch.clear();
    }
  }
  return keys;
}

// Calls of the commands named (INFO commandstats names, "cmdstat_scan:")
// that `node` served, redirected ones included.
std::int64_t command_calls(Cluster& cluster, std::size_t node, std::initializer_list<std::string> names) {
  const std::string stats = cluster.node(node).command({"INFO", "commandstats"}).as_string();
  std::int64_t n = 0;
  for (const std::string& name : names) {
    const auto at = stats.find(name);
    if (at == std::string::npos) continue;
    const auto line = stats.substr(at, stats.find('\n', at) - at);
    for (const std::string field : {"calls=", "rejected_calls="}) {
      const auto f = line.find(field);
      if (f != std::string::npos && (f == 0 || line[f - 1] == ',' || line[f - 1] == ':'))
        n += std::stoll(line.substr(f + field.size()));
    }
  }
  return n;
}

// SCAN and CLUSTERSCAN calls `node` served.
std::int64_t scan_calls(Cluster& cluster, std::size_t node) {
  return command_calls(cluster, node, {"cmdstat_scan:", "cmdstat_clusterscan:"});
}

// The expected keys the scan did not return (empty: every one was).
std::vector<std::string> missing(const std::set<std::string>& expected, const std::vector<std::string>& got) {
  const std::set<std::string> have(got.begin(), got.end());
  std::vector<std::string> out;
  for (const auto& k : expected)
    if (!have.contains(k)) out.push_back(k + " (slot " + std::to_string(Cluster::key_slot(k)) + ")");
  return out;
}

// An async scan_all whose io_context the test runs in steps.
struct SteppedScan {
  asio::io_context ioc;
  std::optional<valkey::AsyncClusterClient> client;
  std::optional<std::error_code> ec;
  std::vector<std::string> keys;

  SteppedScan(const std::string& url, valkey::ScanAllOptions o) {
    auto cfg = valkey::ClusterConfig::from_url(url);
    cfg.node.connect_timeout = 500ms;
    cfg.node.request_timeout = 2s;
    client.emplace(ioc.get_executor(), cfg);
    client->scan_all(o, [this](std::error_code e, std::vector<std::string> k) {
      ec = e;
      keys = std::move(k);
    });
  }
  ~SteppedScan() {
    client.reset();
    ioc.restart();
    ioc.run_for(3s);
  }
  bool done() const { return ec.has_value(); }
  // Runs the scan until `until` holds or it completes; false on neither in time.
  bool run(const std::function<bool()>& until, std::chrono::milliseconds limit = 20s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    ioc.restart();
    while (!done() && !until() && std::chrono::steady_clock::now() < end) ioc.run_for(2ms);
    return done() || until();
  }
  // Runs the scan until one of the cluster's first primaries served `pages`
  // SCAN/CLUSTERSCAN calls, and returns it (the primary being walked).
  std::size_t run_until_walking(Cluster& cluster, std::int64_t pages = 3) {
    std::size_t walked = 0;
    REQUIRE(run([&] {
      for (std::size_t p = 0; p < cluster.initial_primary_count(); ++p)
        if (scan_calls(cluster, p) >= pages) {
          walked = p;
          return true;
        }
      return false;
    }));
    REQUIRE_FALSE(done());
    return walked;
  }
};

// A classic migration of the first `n` slots holding keys of `source`'s
// range (from `from`) to `target`, in two halves: open() sets IMPORTING and
// MIGRATING and MIGRATEs half of each slot's keys; close() the rest, then
// SETSLOT NODE on the target, the source and the others, and waits until
// every node agrees.
struct Migration {
  Cluster& cluster;
  std::size_t source, target;
  std::vector<std::pair<int, std::vector<std::string>>> slots;

  Migration(Cluster& c, std::size_t src, std::size_t dst, const std::set<std::string>& keys, int from, int n)
      : cluster(c), source(src), target(dst) {
    std::map<int, std::vector<std::string>> by_slot;
    for (const auto& k : keys) by_slot[Cluster::key_slot(k)].push_back(k);
    for (auto it = by_slot.lower_bound(from); it != by_slot.end() && static_cast<int>(slots.size()) < n; ++it)
      if (it->second.size() >= 2 && cluster.port_for_slot(it->first) == cluster.node(source).port())
        slots.emplace_back(*it);
    REQUIRE(static_cast<int>(slots.size()) == n);
  }
  void migrate(const std::vector<std::string>& ks) {
    std::vector<std::string> args{"MIGRATE", "127.0.0.1", std::to_string(cluster.node(target).port()), "", "0", "5000",
                                  "KEYS"};
    args.insert(args.end(), ks.begin(), ks.end());
    REQUIRE(cluster.node(source).command(args).as_string() == "OK");
  }
  void open() {
    for (auto& [slot, ks] : slots) {
      const std::string s = std::to_string(slot);
      REQUIRE(cluster.node(target).command({"CLUSTER", "SETSLOT", s, "IMPORTING", cluster.node_id(source)}).as_string() == "OK");
      REQUIRE(cluster.node(source).command({"CLUSTER", "SETSLOT", s, "MIGRATING", cluster.node_id(target)}).as_string() == "OK");
      migrate({ks.begin(), ks.begin() + static_cast<std::ptrdiff_t>(ks.size() / 2)});
    }
  }
  void close() {
    for (auto& [slot, ks] : slots) {
      migrate({ks.begin() + static_cast<std::ptrdiff_t>(ks.size() / 2), ks.end()});
      const std::string s = std::to_string(slot);
      REQUIRE(cluster.node(target).command({"CLUSTER", "SETSLOT", s, "NODE", cluster.node_id(target)}).as_string() == "OK");
      REQUIRE(cluster.node(source).command({"CLUSTER", "SETSLOT", s, "NODE", cluster.node_id(target)}).as_string() == "OK");
      for (std::size_t i = 0; i < cluster.initial_primary_count(); ++i)
        if (i != source && i != target) cluster.node(i).command({"CLUSTER", "SETSLOT", s, "NODE", cluster.node_id(target)});
    }
    for (auto& [slot, ks] : slots)
      valkey::test::wait_until("slot " + std::to_string(slot) + " at its new owner", 10s, [&, slot = slot](std::string&) {
        return cluster.port_for_slot(slot) == cluster.node(target).port();
      });
  }
};

// Scans while `migration` runs: opened once the scan has begun (`started`),
// closed after `progress` more pages went by, the scan resumed to the end.
void scan_through_migration(bool fallback) {
  Cluster cluster(options(fallback));
  const auto expected = fill(cluster);
  // The middle primary's range, so a CLUSTERSCAN (in slot order) reaches it
  // after the scan began on the first.
  const std::size_t source = cluster.node_on_port(cluster.port_for_slot(8000));
  const std::size_t target = source == 0 ? 1 : 0;
  Migration migration(cluster, source, target, expected, 5462, 5);

  valkey::ScanAllOptions o;
  o.count = 10;
  SteppedScan scan(cluster.seed_url(), o);
  auto total = [&] {
    std::int64_t n = 0;
    for (std::size_t i = 0; i < cluster.initial_primary_count(); ++i) n += scan_calls(cluster, i);
    return n;
  };
  // The fallback walks the source while its slots migrate; CLUSTERSCAN is
  // still on the first node's range when the migration opens.
  if (fallback)
    REQUIRE(scan.run([&] { return scan_calls(cluster, source) >= 3; }));
  else
    REQUIRE(scan.run([&] { return total() >= 3; }));
  REQUIRE_FALSE(scan.done());
  migration.open();
  // Then the scan goes on at the source while its slots migrate: the
  // fallback's walk of it, or CLUSTERSCAN's cursor entering its range (the
  // migrating slots are the first ones of it holding keys).
  const std::int64_t before = scan_calls(cluster, source);
  REQUIRE(scan.run([&] { return scan_calls(cluster, source) >= before + (fallback ? 20 : 3); }));
  REQUIRE_FALSE(scan.done());
  migration.close();
  REQUIRE(scan.run([] { return false; }));
  REQUIRE(scan.done());
  CHECK_FALSE(*scan.ec);
  const std::set<std::string> got(scan.keys.begin(), scan.keys.end());
  CHECK(got.size() == scan.keys.size());  // each key once
  CHECK(missing(expected, scan.keys) == std::vector<std::string>{});
  CHECK(got.size() == expected.size());
  for (auto& [slot, ks] : migration.slots) CHECK(cluster.port_for_slot(slot) == cluster.node(target).port());
}

// Scans through a manual failover: once the scan is at work on a primary
// (its third SCAN or CLUSTERSCAN page), `CLUSTER FAILOVER` is sent to that
// primary's replica (the primary stops taking writes, the replica catches up
// with its offset and takes the slots over, the old primary becomes its
// replica: nothing is lost), and the scan resumes once both nodes report
// their new roles and the cluster names the replica as the slots' owner.
// The walk or the cursor then goes on at a node that no longer owns the
// slots; every key must still come back once.
void scan_through_manual_failover(bool fallback) {
  Cluster cluster(options(fallback));
  const auto expected = fill(cluster);

  valkey::ScanAllOptions o;
  o.count = 10;
  o.max_stall = 15s;
  SteppedScan scan(cluster.seed_url(), o);
  const std::size_t victim = scan.run_until_walking(cluster);
  // A slot of the victim's that holds keys, to see the new owner by.
  int slot = -1;
  for (const auto& k : expected)
    if (cluster.port_for_slot(Cluster::key_slot(k)) == cluster.node(victim).port()) {
      slot = Cluster::key_slot(k);
      break;
    }
  REQUIRE(slot >= 0);
  const std::size_t replica = cluster.initial_primary_count() + victim;  // one replica per primary
  const std::int64_t replica_calls = scan_calls(cluster, replica);
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(cluster.node(replica).command({"CLUSTER", "FAILOVER"}).as_string() == "OK");
  valkey::test::wait_until("the replica promoted by CLUSTER FAILOVER", 20s, [&](std::string& state) {
    state = "replica " + cluster.role(replica) + ", old primary " + cluster.role(victim) + ", slot " +
            std::to_string(slot) + " at port " + std::to_string(cluster.port_for_slot(slot));
    return cluster.role(replica) == "master" && cluster.role(victim) == "slave" &&
           cluster.port_for_slot(slot) == cluster.node(replica).port();
  });
  REQUIRE(scan.run([] { return false; }));
  REQUIRE(scan.done());
  CHECK_FALSE(*scan.ec);
  const std::set<std::string> got(scan.keys.begin(), scan.keys.end());
  CHECK(std::is_sorted(scan.keys.begin(), scan.keys.end()));
  CHECK(got.size() == scan.keys.size());  // each key once
  CHECK(missing(expected, scan.keys) == std::vector<std::string>{});
  CHECK(got.size() == expected.size());
  INFO("scan after CLUSTER FAILOVER took " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::steady_clock::now() - start).count() << " ms");
  // The promoted replica served the rest of its slots' scan.
  CHECK(scan_calls(cluster, replica) > replica_calls);
  CHECK(cluster.role(replica) == "master");
}

}  // namespace

TEST_CASE("cluster scan_all (SCAN fallback): every key of 10,000 through a migration of slots during the scan",
          "[cluster][cluster-scan]") {
  scan_through_migration(true);
}

// CLUSTERSCAN in range mode (no SLOT argument) is routed by the slot its
// cursor names only, then scans the node's following slots in the same call,
// a migrating one included, where the keys already MIGRATEd are no longer
// (clusterscanCommand, kvstoreScan over slot..final_slot): the pass alone
// misses them, and scan_all walks the slots that migrated again with SCAN.
TEST_CASE("cluster scan_all (CLUSTERSCAN): every key of 10,000 through a migration of slots during the scan",
          "[cluster][cluster-scan]") {
  valkey::test::require_server(has_clusterscan, "CLUSTERSCAN is new in Valkey 9.1");
  scan_through_migration(false);
}

TEST_CASE("cluster scan_all (SCAN fallback): every key of 10,000 through a failover of the primary being walked",
          "[cluster][cluster-scan][cluster-failover]") {
  Cluster cluster(options(true));
  const auto expected = fill(cluster);
  for (std::size_t p = 0; p < cluster.initial_primary_count(); ++p)
    REQUIRE(cluster.node(p).command({"WAIT", "1", "2000"}).integer == 1);  // the replicas have every key

  valkey::ScanAllOptions o;
  o.count = 10;
  o.max_stall = 15s;
  SteppedScan scan(cluster.seed_url(), o);
  const std::size_t victim = scan.run_until_walking(cluster);
  const auto start = std::chrono::steady_clock::now();
  cluster.node(victim).kill(SIGKILL);
  REQUIRE(scan.run([] { return false; }));
  CHECK_FALSE(*scan.ec);
  const std::set<std::string> got(scan.keys.begin(), scan.keys.end());
  CHECK(got.size() == scan.keys.size());
  CHECK(missing(expected, scan.keys) == std::vector<std::string>{});
  CHECK(got.size() == expected.size());
  INFO("scan after the kill took " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - start).count() << " ms");
  CHECK(cluster.role(cluster.initial_primary_count() + victim) == "master");
}

TEST_CASE("cluster scan_all (SCAN fallback): every key of 10,000 through a CLUSTER FAILOVER of the primary being walked",
          "[cluster][cluster-scan][cluster-failover]") {
  scan_through_manual_failover(true);
}

// The cursor names a slot of the old primary: the next page is answered
// MOVED to the promoted replica, which restarts the slot (the cursor carries
// another node's fingerprint), and the pass's check finds the old primary's
// slots served by another node, so they are walked again with SCAN.
TEST_CASE("cluster scan_all (CLUSTERSCAN): every key of 10,000 through a CLUSTER FAILOVER of the primary being scanned",
          "[cluster][cluster-scan][cluster-failover]") {
  valkey::test::require_server(has_clusterscan, "CLUSTERSCAN is new in Valkey 9.1");
  scan_through_manual_failover(false);
}

TEST_CASE("cluster scan_all: a shard lost for good ends the scan with an error within max_stall",
          "[cluster][cluster-scan][cluster-failover]") {
  Cluster cluster(options(true, 0));
  fill(cluster);
  cluster.node(1).kill(SIGKILL);
  auto cfg = valkey::ClusterConfig::from_url(cluster.seed_url());
  cfg.node.connect_timeout = 500ms;
  cfg.node.request_timeout = 1s;
  valkey::ClusterClient db{cfg};
  valkey::ScanAllOptions o;
  o.max_stall = 2s;
  const auto start = std::chrono::steady_clock::now();
  std::error_code got;
  try {
    db.scan_all(o);
  } catch (const valkey::Error& e) {
    got = e.code();
    INFO(e.what());
    CHECK(std::string(e.what()).find("slots not covered") != std::string::npos);
  }
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(got == valkey::errc::cluster_down);
  CHECK(took < 10s);
}

namespace {

// ClusterClient::scan_all on a thread of its own. outcome(limit) waits at
// most `limit` for the call to return and fails the test when it did not
// (the thread, stuck in the call, is then left behind with the client
// instead of being joined).
class ScanThread {
 public:
  struct Outcome {
    std::error_code ec;
    std::string what;
    std::size_t keys = 0;
  };

  ScanThread(std::shared_ptr<valkey::ClusterClient> db, valkey::ScanAllOptions o) {
    auto done = std::make_shared<std::promise<Outcome>>();
    outcome_ = done->get_future();
    thread_ = std::thread([db = std::move(db), o, done] {
      Outcome out;
      try {
        out.keys = db->scan_all(o).size();
      } catch (const valkey::Error& e) {
        out.ec = e.code();
        out.what = e.what();
      } catch (const std::exception& e) {
        out.what = e.what();
      }
      done->set_value(std::move(out));
    });
  }
  ~ScanThread() {
    if (thread_.joinable()) thread_.detach();  // outcome() failed: the call hangs
  }
  ScanThread(const ScanThread&) = delete;
  ScanThread& operator=(const ScanThread&) = delete;

  bool returned() const { return outcome_.wait_for(0s) == std::future_status::ready; }
  Outcome outcome(std::chrono::seconds limit) {
    if (outcome_.wait_for(limit) != std::future_status::ready)
      FAIL("scan_all did not return within " << limit.count() << " s");
    thread_.join();
    return outcome_.get();
  }

 private:
  std::future<Outcome> outcome_;
  std::thread thread_;
};

valkey::ClusterConfig quick_config(const Cluster& cluster) {
  auto cfg = valkey::ClusterConfig::from_url(cluster.seed_url());
  cfg.node.connect_timeout = 500ms;
  cfg.node.request_timeout = 1s;
  return cfg;
}

}  // namespace

// As every other call of a closed client: connection_closed, at once. Once
// with the topology known, once closed while the first one was being read.
TEST_CASE("cluster scan_all (sync): after close() it fails with connection_closed", "[cluster][cluster-scan]") {
  Cluster cluster(options(true, 0));
  for (const bool topology_known : {true, false}) {
    INFO("topology known before close(): " << topology_known);
    auto db = std::make_shared<valkey::ClusterClient>(quick_config(cluster));
    if (topology_known) db->set("k", "v");
    db->close();
    const auto start = std::chrono::steady_clock::now();
    ScanThread scan(db, {});
    const auto out = scan.outcome(20s);
    INFO(out.what);
    CHECK(out.ec == valkey::errc::connection_closed);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    std::error_code ec;
    db->call({"GET", "k"}, ec);
    CHECK(ec == out.ec);  // the same code as any other call after close()
  }
}

// close() on another thread while the scan walks the primaries page by
// page, and while it waits for a shard that is lost for good (it could go
// on for max_stall): either way scan_all returns connection_closed.
TEST_CASE("cluster scan_all (sync): close() from another thread ends a scan in progress",
          "[cluster][cluster-scan][threads]") {
  Cluster cluster(options(true, 0));
  fill(cluster);
  auto calls = [&] {
    std::int64_t n = 0;
    for (std::size_t i = 0; i < cluster.size(); ++i)
      if (i != 1 || cluster.node(1).running()) n += scan_calls(cluster, i);
    return n;
  };
  for (const bool shard_lost : {false, true}) {
    INFO("a shard lost: " << shard_lost);
    if (shard_lost) cluster.node(1).kill(SIGKILL);
    auto db = std::make_shared<valkey::ClusterClient>(quick_config(cluster));
    valkey::ScanAllOptions o;
    // Healthy: thousands of pages, the scan still at work when close()
    // comes. A shard lost: the live primaries walked quickly, then rounds
    // for the lost one's slots until max_stall, far beyond the test.
    o.count = shard_lost ? 1000 : 1;
    o.max_stall = std::chrono::minutes(10);
    const std::int64_t before = calls();
    std::int64_t nodes_before[3] = {};
    for (const std::size_t i : {0, 2}) nodes_before[i] = command_calls(cluster, i, {"cmdstat_cluster|nodes:"});
    ScanThread scan(db, o);
    valkey::test::wait_until("the scan's pages", 20s, [&](std::string&) { return calls() >= before + 3; });
    // The walks of the live primaries ended: each read CLUSTER NODES three
    // times (the check of a CLUSTERSCAN pass, before and after its walk).
    if (shard_lost)
      valkey::test::wait_until("the live primaries walked", 20s, [&](std::string&) {
        for (const std::size_t i : {0, 2})
          if (command_calls(cluster, i, {"cmdstat_cluster|nodes:"}) < nodes_before[i] + 3) return false;
        return true;
      });
    REQUIRE_FALSE(scan.returned());
    const auto start = std::chrono::steady_clock::now();
    std::thread closer([&] { db->close(); });
    closer.join();
    const auto out = scan.outcome(20s);
    INFO(out.what);
    CHECK(out.ec == valkey::errc::connection_closed);
    CHECK(out.keys == 0);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
  }
}

namespace {

// Counts the requests of a cluster client (the scan's pages and CLUSTER
// NODES reads; the router's own topology queries are not requests): how many
// went out and came back, so that a test knows whether a page is out, or
// whether the scan waits on nothing but its backoff timer. `idle` is the
// longest time the client had nothing out between two requests (the scan's
// backoff between rounds, when each round asks one node).
struct RequestCount final : valkey::Observer {
  using clock = std::chrono::steady_clock;
  std::atomic<int> started{0}, ended{0};
  std::mutex m;
  clock::time_point last_end{};
  clock::duration idle{};

  valkey::observe::Token on_request_start(const valkey::RequestInfo&) override {
    std::lock_guard<std::mutex> lock(m);
    if (started == ended && last_end != clock::time_point{}) idle = std::max(idle, clock::now() - last_end);
    ++started;
    return {};
  }
  void on_request_end(valkey::observe::Token, const valkey::RequestResult&) override {
    std::lock_guard<std::mutex> lock(m);
    last_end = clock::now();
    ++ended;
  }
  int out() const { return started - ended; }
  clock::duration longest_idle() {
    std::lock_guard<std::mutex> lock(m);
    return idle;
  }
};

// An AsyncClusterClient on an io_context the test runs, its requests
// counted. The destructor closes the client and lets what is left end.
struct CountedClient {
  asio::io_context ioc;
  std::shared_ptr<RequestCount> count = std::make_shared<RequestCount>();
  std::optional<valkey::AsyncClusterClient> client;

  explicit CountedClient(const Cluster& cluster) {
    auto cfg = quick_config(cluster);
    cfg.node.observer = count;
    client.emplace(ioc.get_executor(), cfg);
  }
  ~CountedClient() {
    client.reset();
    ioc.restart();
    ioc.run_for(3s);
  }
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    return valkey::test::run_until(ioc, done, limit);
  }
  // Runs the ready handlers until none is left and no request is out: the
  // scan then waits on its own timer only. False when that did not happen
  // within `limit`.
  bool settle(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      ioc.restart();
      ioc.poll();
      if (count->out() == 0) return true;
      if (std::chrono::steady_clock::now() >= end) return false;
      ioc.run_one_for(10ms);
    }
  }
};

// An async scan_all bound to a cancellation signal's slot: each call of its
// handler, and whether one came inside emit().
struct CancellableScan {
  asio::cancellation_signal signal;
  int calls = 0;
  std::error_code ec;
  std::size_t keys = 0;
  bool emitting = false, inside_emit = false;

  void start(valkey::AsyncClusterClient& c, const valkey::ScanAllOptions& o) {
    c.scan_all(o, asio::bind_cancellation_slot(signal.slot(), [this](std::error_code e, std::vector<std::string> k) {
                 ++calls;
                 ec = e;
                 keys = k.size();
                 inside_emit = inside_emit || emitting;
               }));
  }
  void cancel(asio::cancellation_type type) {
    emitting = true;
    signal.emit(type);
    emitting = false;
  }
  bool done() const { return calls > 0; }
};

// scan_all against a timer in a coroutine (`||` cancels the loser,
// terminally): which one won, or "scan failed: ..." when the scan ended first.
asio::awaitable<void> scan_or_timer(valkey::AsyncClusterClient& c, valkey::ScanAllOptions o,
                                    std::chrono::milliseconds limit, std::shared_ptr<std::string> winner) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor, limit);
  try {
    auto r = co_await (c.scan_all(o, asio::use_awaitable) || timer.async_wait(asio::use_awaitable));
    *winner = r.index() == 0 ? "scan" : "timer";
  } catch (const std::exception& e) {
    *winner = std::string("scan failed: ") + e.what();
  }
}

}  // namespace

// A shard lost for good: the scan walks the live primaries, then rounds for
// the lost one's slots, with a backoff between them (20 ms doubling to 500
// ms), until max_stall, here far beyond the test. A cancellation emitted
// while it waits in that backoff ends it at once with cancelled: not when
// the backoff ends, not inside emit(), and nothing is asked after it. Then
// the same through a coroutine's `||` with a timer.
TEST_CASE("cluster scan_all (async): a cancellation ends a scan waiting in its backoff for a lost shard",
          "[cluster][cluster-scan]") {
  Cluster cluster(options(true, 0));
  fill(cluster);
  cluster.node(1).kill(SIGKILL);
  CountedClient c(cluster);
  valkey::ScanAllOptions o;
  o.count = 1000;
  o.max_stall = std::chrono::minutes(10);
  CancellableScan scan;
  scan.start(*c.client, o);
  // Until the backoff between rounds reached its 500 ms cap, and the scan waits in it.
  REQUIRE(c.run_until([&] { return c.count->longest_idle() >= 400ms; }, 30s));
  REQUIRE(c.settle(10s));
  REQUIRE_FALSE(scan.done());
  const int asked = c.count->started;
  const auto start = std::chrono::steady_clock::now();
  scan.cancel(asio::cancellation_type::terminal);
  CHECK_FALSE(scan.done());  // never inside emit()
  REQUIRE(c.run_until([&] { return scan.done(); }, 5s));
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(scan.ec == valkey::errc::cancelled);
  CHECK(scan.keys == 0);
  CHECK_FALSE(scan.inside_emit);
  INFO("completed " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms after emit()");
  CHECK(took < 250ms);  // the backoff it was in lasts 500 ms
  // Past more than one backoff: nothing asked, no second completion.
  c.run_until([] { return false; }, 1200ms);
  CHECK(c.count->started == asked);
  CHECK(scan.calls == 1);

  auto winner = std::make_shared<std::string>();
  asio::co_spawn(c.ioc, scan_or_timer(*c.client, o, 1500ms, winner), asio::detached);
  REQUIRE(c.run_until([&] { return !winner->empty(); }, 10s));
  CHECK(*winner == "timer");
}

// Cancelled right after it began (a posted handler emits; the scan waits
// for the topology), and while a page is out (well into 10,000 keys): the
// handler runs once, later, with cancelled and no keys; a page out is
// ignored when it answers, and nothing more is asked. Every cancellation
// type ends it, `total` too with a page out (a scan only reads).
TEST_CASE("cluster scan_all (async): a cancellation while a page is out completes the scan once with cancelled",
          "[cluster][cluster-scan]") {
  Cluster cluster(options(false));
  fill(cluster);
  valkey::ScanAllOptions o;
  o.count = 10;
  o.max_stall = std::chrono::minutes(10);
  struct Case {
    asio::cancellation_type type;
    bool at_start;
  };
  for (const Case k : {Case{asio::cancellation_type::total, true}, Case{asio::cancellation_type::terminal, false},
                       Case{asio::cancellation_type::partial, false}, Case{asio::cancellation_type::total, false}}) {
    const auto type = k.type;
    const bool at_start = k.at_start;
    INFO("cancellation type " << static_cast<int>(type) << (at_start ? ", right after the start" : ", a page out"));
    CountedClient c(cluster);
    CancellableScan scan;
    scan.start(*c.client, o);
    // A page out, past the first pages.
    if (!at_start) REQUIRE(c.run_until([&] { return c.count->ended >= 5 && c.count->out() > 0; }, 20s));
    REQUIRE_FALSE(scan.done());
    int asked = -1, out = -1;
    asio::post(c.ioc, [&] {
      asked = c.count->started;
      out = c.count->out();
      scan.cancel(type);
    });
    REQUIRE(c.run_until([&] { return scan.done(); }, 20s));
    CHECK(scan.ec == valkey::errc::cancelled);
    CHECK(scan.keys == 0);
    CHECK_FALSE(scan.inside_emit);
    CHECK(out == (at_start ? 0 : 1));
    // The page out answers (ignored); no other is asked, no second completion.
    REQUIRE(c.run_until([&] { return c.count->out() == 0; }, 5s));
    c.run_until([] { return false; }, 300ms);
    CHECK(c.count->started == asked);
    CHECK(scan.calls == 1);
  }
}

// The handler runs on its associated executor: a strand of the client's
// io_context, or another io_context's executor, run on a thread of its own
// from the start. That one's run() returns only once the handler ran there:
// the scan counts as work of the handler's executor while it runs.
TEST_CASE("cluster scan_all (async): the handler runs on its associated executor",
          "[cluster][cluster-scan][threads]") {
  Cluster cluster(options(false));
  {
    valkey::ClusterClient db{cluster.seed_url()};
    for (int i = 0; i < 100; ++i) db.set("exec:" + std::to_string(i), "v");
  }
  valkey::ScanAllOptions o;
  o.count = 10;
  CountedClient c(cluster);

  auto strand = asio::make_strand(c.ioc);
  std::optional<bool> on_strand;
  std::size_t keys = 0;
  c.client->scan_all(o, asio::bind_executor(strand, [&](std::error_code ec, std::vector<std::string> k) {
                       on_strand = strand.running_in_this_thread();
                       CHECK_FALSE(ec);
                       keys = k.size();
                     }));
  REQUIRE(c.run_until([&] { return on_strand.has_value(); }, 20s));
  CHECK(*on_strand);
  CHECK(keys == 100);

  struct Outcome {
    bool on_other = false;
    std::error_code ec;
    std::size_t keys = 0;
  };
  asio::io_context other;
  std::promise<Outcome> ran;
  auto outcome = ran.get_future();
  c.client->scan_all(o, asio::bind_executor(other.get_executor(), [&](std::error_code ec, std::vector<std::string> k) {
                       ran.set_value(Outcome{other.get_executor().running_in_this_thread(), ec, k.size()});
                     }));
  bool completed = false, run_returned = false;
  {
    valkey::test::ContextThread other_thread(other);
    completed = c.run_until([&] { return outcome.wait_for(0s) == std::future_status::ready; }, 20s);
    run_returned = other_thread.returned_within(5s);
  }
  REQUIRE(completed);
  const Outcome got = outcome.get();
  CHECK(got.on_other);
  CHECK_FALSE(got.ec);
  CHECK(got.keys == 100);
  CHECK(run_returned);  // the scan's work on it ended with the handler
}

namespace {

constexpr int kStreamKeys = 2000;

// Counts the SCAN and CLUSTERSCAN requests a client made (its page reads;
// the CLUSTER NODES reads around them are not counted).
struct PageRequests final : valkey::Observer {
  std::atomic<int> started{0};
  valkey::observe::Token on_request_start(const valkey::RequestInfo& info) override {
    if (info.name == "SCAN" || info.name == "CLUSTERSCAN") ++started;
    return {};
  }
};

valkey::ClusterConfig counted_config(const Cluster& cluster, const std::shared_ptr<PageRequests>& count) {
  auto cfg = quick_config(cluster);
  cfg.node.observer = count;
  return cfg;
}

}  // namespace

// Both ways of scanning (CLUSTERSCAN where the server has it, the SCAN
// fallback everywhere): the streamed pages hold every key the collecting
// scan returns (a key may come twice in them, none is missing), and they
// come while the scan runs, not all at its end.
TEST_CASE("cluster scan_all (sync, pages): the pages hold the collecting scan's keys and arrive during the scan",
          "[cluster][cluster-scan][cluster-scan-pages]") {
  std::vector<bool> modes{true};
  if (has_clusterscan(valkey::test::server_version())) modes.push_back(false);
  for (const bool fallback : modes) {
    INFO("SCAN fallback: " << fallback);
    Cluster cluster(options(fallback));
    const auto expected = fill(cluster, kStreamKeys);
    auto count = std::make_shared<PageRequests>();
    valkey::ClusterClient db{counted_config(cluster, count)};
    valkey::ScanAllOptions o;
    o.count = 10;
    const std::vector<std::string> collected = db.scan_all(o);

    std::vector<std::string> streamed;
    int pages = 0, before_first = 0, at_first = -1;
    bool empty_page = false;
    before_first = count->started;
    db.scan_all(o, [&](std::vector<std::string>& keys) {
      if (pages++ == 0) at_first = count->started;
      empty_page = empty_page || keys.empty();
      streamed.insert(streamed.end(), keys.begin(), keys.end());
    });
    const int total = count->started - before_first;
    CHECK(pages > 1);
    CHECK_FALSE(empty_page);
    // The first page came when a small part of the scan's pages were asked.
    CHECK(at_first - before_first < total / 2);
    CHECK(streamed.size() >= collected.size());
    const std::set<std::string> got(streamed.begin(), streamed.end());
    CHECK(got == std::set<std::string>(collected.begin(), collected.end()));
    CHECK(got == expected);
  }
}

// false from the callback after the first page ends the scan: no further
// page is handed over, and nothing is asked once scan_all returned. The
// same with an exception, which leaves scan_all; the client works on.
TEST_CASE("cluster scan_all (sync, pages): the callback stops the scan by returning false or by throwing",
          "[cluster][cluster-scan][cluster-scan-pages][threads]") {
  Cluster cluster(options(false));
  fill(cluster, kStreamKeys);
  auto count = std::make_shared<PageRequests>();
  valkey::ClusterClient db{counted_config(cluster, count)};
  valkey::ScanAllOptions o;
  o.count = 10;

  int pages = 0;
  auto start = std::chrono::steady_clock::now();
  db.scan_all(o, [&](std::vector<std::string>&) {
    ++pages;
    return false;
  });
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(pages == 1);
  int asked = count->started;
  std::this_thread::sleep_for(300ms);
  CHECK(count->started == asked);

  pages = 0;
  start = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(db.scan_all(o,
                              [&](std::vector<std::string>&) {
                                if (++pages == 2) throw std::runtime_error("enough");
                              }),
                  std::runtime_error);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(pages == 2);
  asked = count->started;
  std::this_thread::sleep_for(300ms);
  CHECK(count->started == asked);
  db.set("after", "v");
  CHECK(db.get("after") == "v");
}

// A consumer slower than the scan: while it sleeps on a page, the scan
// reads at most PageStream::max_buffered pages ahead and then asks nothing
// (it would otherwise read the whole cluster during the first sleeps).
// Then every key still comes.
TEST_CASE("cluster scan_all (sync, pages): a slow consumer holds the scan back",
          "[cluster][cluster-scan][cluster-scan-pages][threads]") {
  Cluster cluster(options(false));
  const auto expected = fill(cluster, kStreamKeys);
  auto count = std::make_shared<PageRequests>();
  valkey::ClusterClient db{counted_config(cluster, count)};
  valkey::ScanAllOptions o;
  o.count = 20;
  const int total = [&] {
    const int before = count->started;
    db.scan_all(o);
    return count->started - before;
  }();
  REQUIRE(total >= 30);

  constexpr int slow_pages = 6;
  const int before = count->started;
  int pages = 0;
  std::vector<int> asked_while_asleep, asked_by_end_of_sleep;
  std::set<std::string> got;
  db.scan_all(o, [&](std::vector<std::string>& keys) {
    got.insert(keys.begin(), keys.end());
    if (pages++ >= slow_pages) return;
    std::this_thread::sleep_for(30ms);  // the scan fills its buffer and pauses
    const int settled = count->started;
    std::this_thread::sleep_for(40ms);
    asked_while_asleep.push_back(count->started - settled);
    asked_by_end_of_sleep.push_back(count->started - before);
  });
  CHECK(got == expected);
  REQUIRE(asked_while_asleep.size() == slow_pages);
  for (int i = 0; i < slow_pages; ++i) {
    INFO("page " << i + 1 << " of " << pages << ", " << total << " page reads in a collecting scan");
    CHECK(asked_while_asleep[i] == 0);
    // Pages taken, max_buffered in the queue, one empty page per primary.
    CHECK(asked_by_end_of_sleep[i] <= i + 1 + static_cast<int>(valkey::cluster::PageStream::max_buffered) + 3);
  }
}

// The pages read before a failure are handed over; then the collecting
// form's error (a shard lost for good: cluster_down within max_stall).
TEST_CASE("cluster scan_all (sync, pages): a failure after pages throws the collecting scan's error",
          "[cluster][cluster-scan][cluster-scan-pages]") {
  Cluster cluster(options(true, 0));
  fill(cluster, kStreamKeys);
  cluster.node(1).kill(SIGKILL);
  valkey::ClusterClient db{quick_config(cluster)};
  valkey::ScanAllOptions o;
  o.count = 100;
  o.max_stall = 2s;
  std::size_t keys = 0;
  std::error_code got;
  const auto start = std::chrono::steady_clock::now();
  try {
    db.scan_all(o, [&](std::vector<std::string>& page) { keys += page.size(); });
  } catch (const valkey::Error& e) {
    got = e.code();
    INFO(e.what());
    CHECK(std::string(e.what()).find("slots not covered") != std::string::npos);
  }
  CHECK(got == valkey::errc::cluster_down);
  CHECK(keys > 0);  // the live primaries' keys
  CHECK(keys < static_cast<std::size_t>(kStreamKeys));
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}

namespace {

asio::awaitable<void> scan_pages(asio::io_context& ioc, valkey::AsyncClusterClient& c, valkey::ScanAllOptions o,
                                 std::set<std::string>& keys, int& pages, bool& on_client_executor,
                                 std::optional<std::error_code>& ec) {
  try {
    co_await c.scan_all(
        o,
        [&](std::vector<std::string>& page) {
          ++pages;
          on_client_executor = on_client_executor && ioc.get_executor().running_in_this_thread();
          keys.insert(page.begin(), page.end());
        },
        asio::use_awaitable);
    ec = std::error_code{};
  } catch (const std::system_error& e) {
    ec = e.code();
  }
}

}  // namespace

// The async form with a coroutine (every key, page by page, on the client's
// executor), with a callback that stops after two pages (no error, nothing
// asked after), and cancelled while a page is out: cancelled, no page after
// the cancellation.
TEST_CASE("cluster scan_all (async, pages): a coroutine, a callback that stops, a cancellation",
          "[cluster][cluster-scan][cluster-scan-pages]") {
  Cluster cluster(options(false));
  const auto expected = fill(cluster, kStreamKeys);
  valkey::ScanAllOptions o;
  o.count = 10;
  CountedClient c(cluster);

  std::set<std::string> keys;
  int pages = 0;
  bool on_client_executor = true;
  std::optional<std::error_code> ec;
  asio::co_spawn(c.ioc, scan_pages(c.ioc, *c.client, o, keys, pages, on_client_executor, ec), asio::detached);
  REQUIRE(c.run_until([&] { return ec.has_value(); }, 20s));
  CHECK_FALSE(*ec);
  CHECK(pages > 1);
  CHECK(on_client_executor);
  CHECK(keys == expected);

  pages = 0;
  ec.reset();
  c.client->scan_all(
      o,
      [&](std::vector<std::string>&) { return ++pages < 2; },
      [&](std::error_code e) { ec = e; });
  REQUIRE(c.run_until([&] { return ec.has_value(); }, 20s));
  CHECK_FALSE(*ec);
  CHECK(pages == 2);
  REQUIRE(c.settle(5s));
  int asked = c.count->started;
  c.run_until([] { return false; }, 300ms);
  CHECK(c.count->started == asked);

  pages = 0;
  ec.reset();
  asio::cancellation_signal signal;
  int pages_at_cancel = -1;
  c.client->scan_all(
      o,
      [&](std::vector<std::string>&) {
        // After the third page, once the scan asked for the next one.
        if (++pages == 3)
          asio::post(c.ioc, [&] {
            pages_at_cancel = pages;
            signal.emit(asio::cancellation_type::terminal);
          });
      },
      asio::bind_cancellation_slot(signal.slot(), [&](std::error_code e) { ec = e; }));
  REQUIRE(c.run_until([&] { return ec.has_value(); }, 20s));
  CHECK(*ec == valkey::errc::cancelled);
  CHECK(pages_at_cancel == 3);
  REQUIRE(c.settle(5s));
  asked = c.count->started;
  c.run_until([] { return false; }, 300ms);
  CHECK(pages == 3);
  CHECK(c.count->started == asked);

  // Cancelled from inside on_page: the scan asks nothing after it.
  pages = 0;
  ec.reset();
  asio::cancellation_signal inside;
  c.client->scan_all(
      o,
      [&](std::vector<std::string>&) {
        if (++pages == 3) {
          asked = c.count->started;
          inside.emit(asio::cancellation_type::terminal);
        }
      },
      asio::bind_cancellation_slot(inside.slot(), [&](std::error_code e) { ec = e; }));
  REQUIRE(c.run_until([&] { return ec.has_value(); }, 20s));
  CHECK(*ec == valkey::errc::cancelled);
  c.run_until([] { return false; }, 300ms);
  CHECK(pages == 3);
  CHECK(c.count->started == asked);
}

// An exception from the async on_page ends the scan and leaves the
// executor's run(), as one from any handler; the completion never runs and
// nothing more is asked.
TEST_CASE("cluster scan_all (async, pages): an exception from on_page leaves run()",
          "[cluster][cluster-scan][cluster-scan-pages]") {
  Cluster cluster(options(false));
  fill(cluster, kStreamKeys);
  valkey::ScanAllOptions o;
  o.count = 10;
  CountedClient c(cluster);
  int pages = 0;
  bool completed = false, thrown = false;
  c.client->scan_all(
      o,
      [&](std::vector<std::string>&) {
        if (++pages == 2) throw std::runtime_error("enough");
      },
      [&](std::error_code) { completed = true; });
  const auto end = std::chrono::steady_clock::now() + 20s;
  while (!thrown && !completed && std::chrono::steady_clock::now() < end) {
    try {
      c.ioc.restart();
      c.ioc.run_for(10ms);
    } catch (const std::runtime_error& e) {
      thrown = std::string(e.what()) == "enough";
    }
  }
  CHECK(thrown);
  REQUIRE(c.settle(5s));
  const int asked = c.count->started;
  c.run_until([] { return false; }, 300ms);
  CHECK_FALSE(completed);
  CHECK(pages == 2);
  CHECK(c.count->started == asked);
}
