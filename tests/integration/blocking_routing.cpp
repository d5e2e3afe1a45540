// Blocking commands through the ordinary clients: Client::exec/call and
// AsyncClient::exec/call send commands flagged `blocking` to a leased
// connection by themselves, so a BLPOP never stalls the shared one.
//
// The shared connection has a 3 s request timeout in these tests: were a
// BLPOP 0 queued on it, every later request would fail with errc::timeout.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/valkey.hpp>

#include "support/server_process.hpp"

using valkey::test::ServerProcess;
using namespace std::chrono_literals;

namespace {

std::int64_t blocked_clients(ServerProcess& server) { return server.info_int("clients", "blocked_clients"); }

// Polls until the server counts `n` blocked clients (bounded: 5 s).
void wait_blocked(ServerProcess& server, std::int64_t n) {
  auto until = std::chrono::steady_clock::now() + 5s;
  while (blocked_clients(server) != n && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(5ms);
  REQUIRE(blocked_clients(server) == n);
}

valkey::Config config_for(ServerProcess& server) {
  auto cfg = valkey::Config::from_url(server.url());
  cfg.request_timeout = 3s;
  return cfg;
}

}  // namespace

TEST_CASE("blocking routing: Client::exec runs BLPOP 0 on a leased connection", "[blocking][threads]") {
  ServerProcess server;
  valkey::Client db{config_for(server)};
  db.set("k", "v");
  std::optional<std::pair<std::string, std::string>> popped;
  std::thread waiter([&] { popped = db.blpop({"work"}, 0.0); });  // no timeout: only a value ends it
  wait_blocked(server, 1);
  // The shared connection still serves: these would time out behind a BLPOP 0.
  for (int i = 0; i < 100; ++i) REQUIRE(db.get("k") == std::optional<std::string>("v"));
  std::vector<std::string> values{"job"};
  db.rpush("work", values);
  waiter.join();
  REQUIRE(popped);
  CHECK(popped->first == "work");
  CHECK(popped->second == "job");
  wait_blocked(server, 0);
}

TEST_CASE("blocking routing: Client::call looks BLPOP up in the command table", "[blocking][threads]") {
  ServerProcess server;
  valkey::Client db{config_for(server)};
  valkey::Reply popped;
  std::thread waiter([&] { popped = db.call({"blpop", "work", "0"}); });
  wait_blocked(server, 1);
  CHECK(db.call({"PING"}).as_string() == "PONG");
  db.call({"RPUSH", "work", "x"});
  waiter.join();
  REQUIRE(popped.is_array());
  REQUIRE(popped.size() == 2);
  CHECK(popped[1].as_string() == "x");
}

TEST_CASE("blocking routing: Client::close ends a BLPOP 0 in progress", "[blocking][threads]") {
  ServerProcess server;
  auto db = std::make_unique<valkey::Client>(config_for(server));
  std::error_code ec;
  std::optional<std::pair<std::string, std::string>> popped;
  std::thread waiter([&] { popped = db->blpop({"never"}, 0.0, ec); });
  wait_blocked(server, 1);
  db->close();
  waiter.join();
  CHECK(ec == valkey::errc::connection_closed);
  CHECK_FALSE(popped);
  wait_blocked(server, 0);  // its connection closed: the server let go
  // A value pushed now stays: nobody consumes it for the caller that gave up.
  CHECK(server.command({"RPUSH", "never", "precious"}).integer == 1);
  std::this_thread::sleep_for(50ms);
  CHECK(server.command({"LLEN", "never"}).integer == 1);
  // And calls after close fail fast, blocking or not.
  db->blpop({"never"}, 0.0, ec);
  CHECK(ec == valkey::errc::connection_closed);
  db->get("k", ec);
  CHECK(ec == valkey::errc::connection_closed);
}

TEST_CASE("blocking routing: AsyncClient sends blpop and call(BLPOP) to leased connections", "[blocking]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), config_for(server)};
  std::optional<std::pair<std::string, std::string>> typed;
  valkey::Reply untyped;
  int done = 0;
  std::error_code typed_ec, untyped_ec;
  std::vector<std::string> keys{"a"};
  c.blpop(keys, 0.0, [&](std::error_code ec, auto r) {
    typed_ec = ec;
    typed = r;
    ++done;
  });
  c.call({"BLPOP", "b", "0"}, [&](std::error_code ec, valkey::Reply r) {
    untyped_ec = ec;
    untyped = std::move(r);
    ++done;
  });
  std::atomic<bool> blocked{false};
  std::thread watcher([&] {
    wait_blocked(server, 2);
    blocked = true;
  });
  while (!blocked) ioc.run_for(5ms);
  watcher.join();
  int gets = 0;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    co_await c.set("k", "v", asio::use_awaitable);
    for (int i = 0; i < 100; ++i)
      if (co_await c.get("k", asio::use_awaitable) == std::optional<std::string>("v")) ++gets;
    std::vector<std::string> one{"1"};
    co_await c.rpush("a", one, asio::use_awaitable);
    co_await c.rpush("b", one, asio::use_awaitable);
  }, asio::detached);
  auto until = std::chrono::steady_clock::now() + 10s;
  while (done < 2 && std::chrono::steady_clock::now() < until) ioc.run_for(5ms);
  CHECK(gets == 100);
  REQUIRE(done == 2);
  CHECK_FALSE(typed_ec);
  REQUIRE(typed);
  CHECK(typed->second == "1");
  CHECK_FALSE(untyped_ec);
  REQUIRE(untyped.is_array());
  CHECK(untyped[0].as_string() == "b");
  c.close();
  ioc.run_for(100ms);
}

TEST_CASE("leader/follower: the idle thread runs health checks while no caller drives", "[client][threads]") {
  ServerProcess server;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.health_check_interval = 50ms;
  valkey::Client db{cfg};
  db.set("k", "v");
  auto before = db.stats();
  std::this_thread::sleep_for(400ms);  // nobody calls: only the idle thread can send them
  auto after = db.stats();
  CHECK(after.pings >= before.pings + 2);
  CHECK(after.idle_wakes > before.idle_wakes);  // each woke it: the health check was due
  CHECK(db.get("k") == std::optional<std::string>("v"));  // and it hands the role back
}

TEST_CASE("leader/follower: back-to-back requests never wake the idle thread", "[client][threads]") {
  ServerProcess server;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.health_check_interval = 0ms;  // no timer: only a caller could wake it
  valkey::Client db{cfg};
  db.set("k", "v");
  const auto before = db.stats().idle_wakes;
  for (int i = 0; i < 2000; ++i) REQUIRE(db.get("k") == std::optional<std::string>("v"));
  // Each caller left the connection ready with nothing in flight: it told
  // the idle thread nothing (no mutex, no futex).
  CHECK(db.stats().idle_wakes == before);
}

TEST_CASE("leader/follower: the idle thread reconnects a connection the server closed", "[client][threads]") {
  ServerProcess server;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.health_check_interval = 0ms;  // the hang-up alone wakes it
  valkey::Client db{cfg};
  db.client_setname("victim");
  REQUIRE(db.stats().connects == 1);
  server.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
  // Nobody calls: the idle thread sees the socket hang up and reconnects.
  // (stats() only reads the counters: it does not read the socket.)
  auto until = std::chrono::steady_clock::now() + 5s;
  while (db.stats().connects < 2 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  CHECK(db.stats().connects == 2);
  std::error_code ec;
  CHECK(db.get("k", ec) == std::nullopt);
  CHECK_FALSE(ec);  // the first call after the loss works, without a retry
}

TEST_CASE("leader/follower: a request after the server closed an idle connection", "[client][threads]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  db.client_setname("victim");
  std::this_thread::sleep_for(20ms);  // let the idle thread take over
  server.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
  // The idle thread sees the loss and reconnects; the next call works.
  auto until = std::chrono::steady_clock::now() + 5s;
  std::error_code ec;
  std::optional<std::string> v;
  do {
    v = db.get("k", ec);
  } while (ec && std::chrono::steady_clock::now() < until);
  CHECK_FALSE(ec);
  CHECK(db.stats().connects >= 2);
}

TEST_CASE("leader/follower: 6 threads, each request handed over between them, all replies right",
          "[client][threads]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  constexpr int kThreads = 6, kEach = 1500;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string key = "ctr:" + std::to_string(t);
      for (int i = 1; i <= kEach; ++i) {
        if (db.incr(key) != i) ++wrong;
        if (i % 500 == 0) std::this_thread::sleep_for(3ms);  // let the idle thread take over now and then
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong == 0);
  for (int t = 0; t < kThreads; ++t) CHECK(db.get("ctr:" + std::to_string(t)) == std::to_string(kEach));
}

TEST_CASE("blocking routing: an idle dedicated client revives after the server dropped it", "[blocking][threads]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  CHECK_FALSE(db.blpop({"q"}, 0.05).has_value());  // opens the dedicated client, which goes back idle
  // Drop every connection but the fixture's own: the shared one and the idle lease.
  server.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
  std::this_thread::sleep_for(100ms);
  std::vector<std::string> values{"v"};
  std::error_code ec;
  auto until = std::chrono::steady_clock::now() + 5s;
  do {
    db.rpush("q", values, ec);  // the shared connection reconnects on its own
  } while (ec && std::chrono::steady_clock::now() < until);
  REQUIRE_FALSE(ec);
  auto popped = db.blpop({"q"}, 1.0, ec);  // not not_connected: the idle lease reconnected too
  CHECK_FALSE(ec);
  REQUIRE(popped);
  CHECK(popped->second == "v");
}

TEST_CASE("leader/follower: close() from two threads at once, then the destructor", "[client][threads]") {
  ServerProcess server;
  for (int round = 0; round < 5; ++round) {
    auto db = std::make_unique<valkey::Client>(server.url());
    std::atomic<int> failed{0};
    std::thread user([&] {
      std::error_code ec;
      for (int i = 0; i < 200 && !ec; ++i) db->incr("n", ec);
      if (ec && ec != valkey::errc::connection_closed) ++failed;
    });
    std::thread closer([&] { db->close(); });
    db->close();
    closer.join();
    user.join();
    CHECK(failed == 0);
    db.reset();  // a third close(), after the other two finished
  }
}
