// The sentinel client following the primary: a SENTINEL FAILOVER while a
// loop writes, a kill -9 of the primary with a subscriber listening, and a
// stale sentinel whose address the ROLE check rejects.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <mutex>
#include <thread>

#include <asio/io_context.hpp>

#include <valkey/valkey.hpp>

#include "observer_recorder.hpp"
#include "support/sentinel.hpp"
#include "support/valkey_test.hpp"
#include "support/wait.hpp"

using valkey::test::ReplicatedSet;
using valkey::test::Sentinels;
using namespace std::chrono_literals;

namespace {

std::string url_for(const Sentinels& s, std::string_view options = "") {
  return "valkey+sentinel://" + s.addresses() + "/mymaster?connect_timeout=2s&recheck_interval=1s" +
         std::string(options);
}

int new_primary(const Sentinels& sentinels, int old_port) {
  valkey::test::wait_until("the sentinels to name a new primary", 30s, [&](std::string& state) {
    const int p = sentinels.master_port(0);
    state = "sentinel 0 names " + std::to_string(p);
    return p != old_port;
  }, 100ms);
  const int port = sentinels.master_port(0);
  sentinels.wait_master(port, 30s);
  return port;
}

// INCRs from a thread of its own until stopped; every call ends with a
// reply or an error (a hang would keep join() from returning).
struct IncrLoop {
  valkey::Client& db;
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> ok{0}, failed{0}, last{0};
  std::thread t;
  explicit IncrLoop(valkey::Client& c) : db(c) {
    t = std::thread([this] {
      while (!stop.load()) {
        std::error_code ec;
        const std::int64_t v = db.incr("counter", ec);
        if (ec) {
          ++failed;
          std::this_thread::sleep_for(10ms);
        } else {
          ++ok;
          last = v;
        }
      }
    });
  }
  void wait_for_more(std::int64_t n, std::chrono::milliseconds limit) {
    const std::int64_t target = ok.load() + n;
    valkey::test::wait_until("writes to resume", limit, [&](std::string& state) {
      state = std::to_string(ok.load()) + " ok, " + std::to_string(failed.load()) + " failed";
      return ok.load() >= target;
    }, 20ms);
  }
  ~IncrLoop() {
    stop = true;
    t.join();
  }
};

}  // namespace

TEST_CASE("sentinel failover: SENTINEL FAILOVER while a loop writes; writes resume on the new primary",
          "[sentinel][slow][threads]") {
  ReplicatedSet set;
  Sentinels sentinels(set);
  const int old_port = set.primary().port();
  auto config = valkey::SentinelConfig::from_url(url_for(sentinels));
  auto observer = std::make_shared<valkey::test::RecordingObserver>();
  config.node.observer = observer;
  valkey::Client db{config};
  {
    IncrLoop loop(db);
    loop.wait_for_more(50, 10s);
    auto reply = sentinels.sentinel(0).command({"SENTINEL", "FAILOVER", "mymaster"});
    INFO(reply.to_string());
    const int port = new_primary(sentinels, old_port);
    CHECK(port != old_port);
    // The old primary keeps acknowledging writes until it is demoted; the
    // client moves on the +switch-master event (or the next recheck), and
    // from then on the counter grows on the new primary.
    auto counter_at = [](int p) {
      auto r = valkey::test::send_command(p, {"GET", "counter"});
      return r.is_null() ? std::int64_t{0} : std::stoll(r.as_string());
    };
    const auto t0 = std::chrono::steady_clock::now();
    valkey::test::wait_until("writes to land on the new primary", 10s, [&](std::string& state) {
      const std::int64_t before = counter_at(port);
      std::this_thread::sleep_for(50ms);
      const std::int64_t after = counter_at(port);
      state = "counter " + std::to_string(before) + " -> " + std::to_string(after) + ", loop ok " +
              std::to_string(loop.ok.load()) + ", failed " + std::to_string(loop.failed.load());
      return after > before;
    }, 10ms);
    WARN("writes on the new primary " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::steady_clock::now() - t0).count()
                                      << " ms after the sentinels named it; " << loop.failed.load()
                                      << " INCRs failed during the switch");
    loop.wait_for_more(100, 10s);
  }
  // The next write lands on the new primary, and the client's connections
  // verified it with ROLE.
  const int port = sentinels.master_port(0);
  const std::int64_t v = db.incr("counter");
  CHECK(valkey::test::send_command(port, {"GET", "counter"}).as_string() == std::to_string(v));
  CHECK(db.call({"ROLE"})[0].as_string() == "master");
  // The observer saw the switch, naming the new primary.
  bool reported = false;
  for (const auto& e : observer->topology())
    if (e.kind == valkey::TopologyEvent::Kind::failover && e.target.port == port) reported = true;
  CHECK(reported);
}

TEST_CASE("sentinel failover: kill -9 of the primary; writes resume and a subscriber keeps receiving",
          "[sentinel][slow][threads]") {
  ReplicatedSet set;
  Sentinels sentinels(set);
  const int old_port = set.primary().port();
  const std::string url = url_for(sentinels);
  valkey::Client db{url};

  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), url};
  valkey::Subscriber sub{c};
  std::vector<std::string> got;
  sub.on_message([&](const valkey::Message& m) { got.push_back(m.payload); });
  bool subscribed = false;
  sub.subscribe({"news"}, [&](std::error_code ec, auto) { subscribed = !ec; });
  auto run_until = [&](auto done, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < until) ioc.run_for(10ms);
    return done();
  };
  REQUIRE(run_until([&] { return subscribed; }, 5s));
  CHECK(db.publish("news", "before") == 1);
  REQUIRE(run_until([&] { return !got.empty(); }, 5s));

  set.primary().kill(SIGKILL);
  const int port = new_primary(sentinels, old_port);
  CHECK(port != old_port);

  // Writes resume (the first ones may still fail while the client moves).
  const auto t0 = std::chrono::steady_clock::now();
  std::int64_t v = 0;
  valkey::test::wait_until("a write to succeed", 10s, [&](std::string& state) {
    std::error_code ec;
    v = db.incr("after", ec);
    state = ec.message();
    return !ec;
  }, 50ms);
  WARN("first write after every sentinel named the new primary: "
       << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count()
       << " ms");
  CHECK(valkey::test::send_command(port, {"GET", "after"}).as_string() == std::to_string(v));

  // The subscriber moved too: a message published on the new primary arrives.
  int n = 0;
  const bool moved = run_until([&] {
    std::error_code ec;
    if (n++ % 10 == 0) db.publish("news", "after", ec);
    return !got.empty() && got.back() == "after";
  }, 15s);
  CHECK(moved);
  c.close();
  sub.close();
  ioc.run_for(50ms);
}

TEST_CASE("sentinel failover: an address a stale sentinel reports is rejected by the ROLE check", "[sentinel][slow][threads]") {
  ReplicatedSet set;
  Sentinels sentinels(set);
  // A sentinel of its own that names a replica as the primary of "mymaster".
  valkey::test::ServerOptions so;
  so.kind = valkey::test::ServerKind::sentinel;
  so.config = {"sentinel monitor mymaster 127.0.0.1 " + std::to_string(set.replica(0).port()) + " 1",
               "sentinel down-after-milliseconds mymaster 60000"};
  valkey::test::ServerProcess stale(so);
  REQUIRE(valkey::test::send_command(stale.port(), {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"})
              .elements.at(1)
              .as_string() == std::to_string(set.replica(0).port()));

  valkey::SentinelConfig config = valkey::SentinelConfig::from_url(
      "valkey+sentinel://127.0.0.1:" + std::to_string(stale.port()) + "," + sentinels.addresses() +
      "/mymaster?connect_timeout=3s");
  std::mutex mu;
  std::vector<std::string> lines;
  config.node.logger = [&](valkey::LogLevel, std::string_view text) {
    std::lock_guard lk(mu);
    lines.emplace_back(text);
  };
  valkey::Client db{config};
  db.set("k", "v");
  CHECK(valkey::test::send_command(set.primary().port(), {"GET", "k"}).as_string() == "v");
  CHECK(db.call({"ROLE"})[0].as_string() == "master");
  std::lock_guard lk(mu);
  bool rejected = false;
  for (const auto& l : lines) rejected |= l.find("ROLE reports slave") != std::string::npos;
  CHECK(rejected);
}

TEST_CASE("sentinel failover: replica reads move to another replica when the one in use dies", "[sentinel][slow][threads]") {
  ReplicatedSet set;
  Sentinels sentinels(set);
  valkey::Client writer{url_for(sentinels)};
  valkey::Client reader{url_for(sentinels, "&role=replica")};
  writer.set("k", "v");
  writer.call({"WAIT", "2", "2000"});  // may give up early on a loaded machine: the read is polled
  valkey::test::wait_until("k read through the reader", 10s, [&](std::string& state) {
    std::optional<std::string> v = reader.get("k");
    state = v.value_or("(nil)");
    return v == "v";
  });
  // The node this client's connection reached (each attempt asks anew).
  const valkey::Reply port_reply = reader.call({"CONFIG", "GET", "port"});  // a map on RESP3
  const int used = std::stoi(std::string((port_reply.is_map() ? port_reply.value(0) : port_reply[1]).as_string()));
  const std::size_t dead = used == set.replica(0).port() ? 0 : 1;
  REQUIRE(set.replica(dead).port() == used);
  const int other = set.replica(1 - dead).port();
  set.replica(dead).kill(SIGKILL);

  // The reconnect asks the sentinels again; until they flag the dead replica
  // an attempt may pick it and fail, and the next one asks again.
  valkey::test::wait_until("a read on the other replica", 15s, [&](std::string& state) {
    std::error_code ec;
    valkey::Reply role = reader.call({"ROLE"}, ec);
    if (ec) {
      state = ec.message();
      return false;
    }
    std::optional<std::string> v = reader.get("k", ec);
    state = ec ? ec.message() : "read " + v.value_or("(nil)");
    return !ec && v == "v" && role[0].as_string() == "slave";
  }, 50ms);
  // The new connection is on the surviving replica: it sees new writes once
  // that replica has them (WAIT can give up first on a loaded machine, so
  // the read is retried within a bound rather than once).
  writer.set("k2", "v2");
  writer.call({"WAIT", "1", "2000"});
  valkey::test::wait_until("k2 read through the reader", 10s, [&](std::string& state) {
    std::error_code ec;
    std::optional<std::string> v = reader.get("k2", ec);
    state = ec ? ec.message() : "read " + v.value_or("(nil)");
    return !ec && v == "v2";
  }, 50ms);
  CHECK(valkey::test::send_command(other, {"GET", "k2"}).as_string() == "v2");
}

TEST_CASE("sentinel failover: a stopped sentinel misses the event; the other sentinels' events or the recheck move the client",
          "[sentinel][slow][threads]") {
  ReplicatedSet set;
  Sentinels sentinels(set);
  const int old_port = set.primary().port();
  // Sentinel 0 answers first, so it carries the event subscription.
  valkey::Client db{url_for(sentinels, "&connect_timeout=500ms")};
  db.set("k", "v");
  sentinels.sentinel(0).pause();
  set.primary().kill(SIGKILL);
  int port = old_port;
  valkey::test::wait_until("the running sentinels to name a new primary", 30s, [&](std::string& state) {
    port = sentinels.master_port(1);
    state = "sentinel 1 names " + std::to_string(port);
    return port != old_port && sentinels.master_port(2) == port;
  }, 100ms);
  const auto t0 = std::chrono::steady_clock::now();
  valkey::test::wait_until("a write to succeed", 10s, [&](std::string& state) {
    std::error_code ec;
    db.set("k", "after", ec);
    state = ec.message();
    return !ec;
  }, 50ms);
  const auto took = std::chrono::steady_clock::now() - t0;
  WARN("first write " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                      << " ms after the running sentinels named the new primary");
  CHECK(valkey::test::send_command(port, {"GET", "k"}).as_string() == "after");
  sentinels.sentinel(0).resume();
}
