// Blocking commands on leased connections: they never stall the shared
// connection, and a cancelled one cannot consume a later value.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/lease.hpp>
#include <valkey/valkey.hpp>

#include "support/server_process.hpp"

using valkey::test::ServerProcess;
using namespace std::chrono_literals;

namespace {
std::int64_t blocked_clients(ServerProcess& server) { return server.info_int("clients", "blocked_clients"); }
}  // namespace

TEST_CASE("blocking: a 2 s BLPOP in flight while 1000 GETs complete", "[blocking]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  valkey::BlockingClient blk{c};
  using clock = std::chrono::steady_clock;
  clock::time_point start, gets_done, blpop_done;
  int gets = 0;
  std::error_code blpop_ec;
  bool blpop_null = false;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    co_await c.set("k", "v", asio::use_awaitable);
    start = clock::now();
    std::vector<std::string> keys{"empty-list"};
    blk.blpop(keys, 2.0, [&](std::error_code ec, auto r) {
      blpop_ec = ec;
      blpop_null = !r.has_value();
      blpop_done = clock::now();
    });
    for (int i = 0; i < 1000; ++i) {
      auto v = co_await c.get("k", asio::use_awaitable);
      if (v == std::optional<std::string>("v")) ++gets;
    }
    gets_done = clock::now();
    asio::steady_timer t{ioc, 2500ms};
    co_await t.async_wait(asio::use_awaitable);
    c.close();
    blk.close();
  }, asio::detached);
  ioc.run();
  CHECK(gets == 1000);
  CHECK_FALSE(blpop_ec);
  CHECK(blpop_null);  // timed out server-side: nil
  CHECK(gets_done < blpop_done);
  CHECK(gets_done - start < 1500ms);
  CHECK(blpop_done - start >= 1900ms);
  CHECK(blk.pool().opened() == 1);
}

TEST_CASE("blocking: BLPOP gets a value pushed from another client; the lease is reused", "[blocking]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  valkey::BlockingClient blk{c};
  std::optional<std::pair<std::string, std::string>> got, got2;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    std::vector<std::string> keys{"jobs"};
    blk.blpop(keys, 5.0, [&](std::error_code ec, auto r) {
      REQUIRE_FALSE(ec);
      got = r;
    });
    asio::steady_timer t{ioc, 200ms};
    co_await t.async_wait(asio::use_awaitable);
    std::vector<std::string> values{"job-1"};
    co_await c.lpush("jobs", values, asio::use_awaitable);
    while (!got) {
      t.expires_after(10ms);
      co_await t.async_wait(asio::use_awaitable);
    }
    co_await c.lpush("jobs", values, asio::use_awaitable);
    got2 = co_await blk.blpop(keys, 1.0, asio::use_awaitable);
    c.close();
    blk.close();
  }, asio::detached);
  ioc.run();
  REQUIRE(got);
  CHECK(got->first == "jobs");
  CHECK(got->second == "job-1");
  REQUIRE(got2);
  CHECK(blk.pool().opened() == 1);
}

TEST_CASE("blocking: a cancelled BLPOP closes its connection; a later LPUSH stays in the list", "[blocking]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  valkey::BlockingClient blk{c};
  asio::cancellation_signal cancel;
  std::error_code blpop_ec;
  bool completed = false;
  std::vector<std::string> keys{"q"};
  blk.blpop(keys, 0.0, asio::bind_cancellation_slot(cancel.slot(), [&](std::error_code ec, auto) {
              blpop_ec = ec;
              completed = true;
            }));
  // wait until the server has it blocked
  auto until = std::chrono::steady_clock::now() + 5s;
  while (blocked_clients(server) == 0 && std::chrono::steady_clock::now() < until) ioc.run_for(10ms);
  REQUIRE(blocked_clients(server) == 1);
  cancel.emit(asio::cancellation_type::terminal);
  ioc.run_for(50ms);
  REQUIRE(completed);
  CHECK(blpop_ec == valkey::errc::cancelled);
  // the server unblocks it once it sees the close
  until = std::chrono::steady_clock::now() + 5s;
  while (blocked_clients(server) != 0 && std::chrono::steady_clock::now() < until) ioc.run_for(10ms);
  REQUIRE(blocked_clients(server) == 0);
  CHECK(server.command({"LPUSH", "q", "precious"}).integer == 1);
  ioc.run_for(100ms);
  CHECK(server.command({"LLEN", "q"}).integer == 1);
  CHECK(blk.pool().idle() == 0);  // not returned to the pool
  c.close();
  blk.close();
  ioc.run();
}

TEST_CASE("blocking: sync BLPOP on a leased Client while other threads use the shared one", "[blocking][threads]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  valkey::SyncBlockingClient blk{db};
  db.set("k", "v");
  std::optional<std::pair<std::string, std::string>> popped;
  auto start = std::chrono::steady_clock::now();
  std::thread waiter([&] { popped = blk.blpop({"work"}, 5.0); });
  int gets = 0;
  for (int i = 0; i < 1000; ++i) gets += db.get("k") == std::optional<std::string>("v") ? 1 : 0;
  auto gets_took = std::chrono::steady_clock::now() - start;
  CHECK(gets == 1000);
  CHECK(gets_took < 3s);
  // wait until it is blocked server-side, then feed it
  auto until = std::chrono::steady_clock::now() + 5s;
  while (blocked_clients(server) == 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  std::vector<std::string> values{"job"};
  db.rpush("work", values);
  waiter.join();
  REQUIRE(popped);
  CHECK(popped->second == "job");
  // the leased client went back to the pool and serves the next call
  CHECK_FALSE(blk.blpop({"work"}, 0.1).has_value());
  CHECK(blk.opened() == 1);
  CHECK(blk.idle() == 1);
  std::error_code ec;
  blk.lpush("work", values, ec);
  CHECK_FALSE(ec);
}

namespace {
std::size_t threads_of_this_process() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}
}  // namespace

TEST_CASE("blocking: a sync lease is a connection: no thread of its own, no handshake PING", "[blocking]") {
  ServerProcess server;
  valkey::SyncBlockingClient blk{valkey::Config::from_url(server.url())};
  const std::size_t threads_before = threads_of_this_process();
  CHECK_FALSE(blk.blpop({"q"}, 0.05).has_value());
  std::thread other([&] { CHECK_FALSE(blk.brpop({"q"}, 0.05).has_value()); });
  CHECK_FALSE(blk.blpop({"r"}, 0.05).has_value());
  other.join();
  CHECK(blk.opened() >= 1);
  CHECK(threads_of_this_process() == threads_before);  // nothing left running for the idle leases
  // The connections went straight to their commands: no round trip to open them.
  CHECK(server.command({"INFO", "commandstats"}).as_string().find("cmdstat_ping:") == std::string::npos);
  CHECK(server.command({"INFO", "commandstats"}).as_string().find("cmdstat_blpop:calls=2") != std::string::npos);
}
