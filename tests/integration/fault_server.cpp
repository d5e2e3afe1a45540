// Faults against a real server: timeouts, cancellation, the server killed
// mid-burst and restarted, CLIENT KILL, CLIENT PAUSE, a frozen peer.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <future>
#include <thread>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <valkey/valkey.hpp>

#include "client_test_util.hpp"
#include "support/server_process.hpp"

using namespace std::chrono_literals;
using valkey::test::eventually;
using valkey::test::IoThread;
using valkey::test::ServerProcess;

TEST_CASE("fault: a request past its timeout fails, the stream stays in sync", "[fault][timeout]") {
  ServerProcess server;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.request_timeout = 200ms;
  valkey::Client db{cfg};
  db.set("k", "value");
  auto t0 = std::chrono::steady_clock::now();
  std::error_code ec;
  db.call({"DEBUG", "SLEEP", "0.8"}, ec);
  auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(ec == valkey::errc::timeout);
  CHECK(waited < 700ms);
  // queued behind the sleep on the server: also times out
  db.get("k", ec);
  CHECK(ec == valkey::errc::timeout);
  std::this_thread::sleep_for(800ms);
  // the late replies (+OK of DEBUG SLEEP, the GET's) were discarded: this GET
  // gets its own reply
  CHECK(db.get("k") == std::optional<std::string>("value"));
  CHECK(db.incr("n") == 1);
  CHECK_THROWS_AS(db.call({"DEBUG", "SLEEP", "0.5"}), valkey::Error);
}

TEST_CASE("fault: cancellation before and after the write", "[fault][cancel]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  std::error_code first_ec, held_ec, later_ec;
  std::optional<std::string> later;
  bool set_done = false;
  c.set("k", "v", [&](std::error_code, auto) { set_done = true; });
  REQUIRE(valkey::test::run_until(ioc, [&] { return set_done; }));

  // not yet written: removed, never sent
  asio::cancellation_signal held_signal;
  c.connection().hold_writes();
  const auto written_before = c.connection().stats().requests_written;
  c.incr("never", asio::bind_cancellation_slot(held_signal.slot(), [&](std::error_code ec, std::int64_t) { held_ec = ec; }));
  held_signal.emit(asio::cancellation_type::total);
  c.connection().release_writes();
  valkey::test::run_until(ioc, [&] { return bool(held_ec); }, 2s);
  CHECK(held_ec == valkey::errc::cancelled);
  CHECK(c.connection().stats().requests_written == written_before);

  // written: completes now, the reply is discarded later
  asio::cancellation_signal signal;
  const std::vector<std::string_view> sleep{"DEBUG", "SLEEP", "0.3"};
  c.call(sleep, asio::bind_cancellation_slot(signal.slot(), [&](std::error_code ec, valkey::Reply) { first_ec = ec; }));
  c.get("k", [&](std::error_code ec, std::optional<std::string> v) {
    later_ec = ec;
    later = v;
  });
  asio::post(ioc, [&] { signal.emit(asio::cancellation_type::terminal); });
  valkey::test::run_until(ioc, [&] { return later.has_value() || later_ec; }, 3s);
  CHECK(first_ec == valkey::errc::cancelled);
  CHECK_FALSE(later_ec);
  CHECK(later == std::optional<std::string>("v"));
  CHECK(server.command({"EXISTS", "never"}).integer == 0);
}

TEST_CASE("fault: server killed during a burst, client reconnects after restart", "[fault][kill][threads]") {
  ServerProcess server;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.reconnect.initial_delay = 20ms;
  cfg.reconnect.max_delay = 200ms;
  IoThread io;
  valkey::AsyncClient c{io.ioc.get_executor(), cfg};
  io.on_io([&] { return c.async_ping(asio::use_future); }).get();

  constexpr int burst = 500;
  std::atomic<int> done{0}, lost{0}, ok{0};
  io.on_io([&] {
    const std::vector<std::string_view> sleep{"DEBUG", "SLEEP", "5"};
    c.call(sleep, [&](std::error_code ec, valkey::Reply) {
      if (ec == valkey::errc::connection_lost) ++lost;
      ++done;
    });
    for (int i = 0; i < burst; ++i) {
      c.incr("n", [&](std::error_code ec, std::int64_t) {
        if (ec == valkey::errc::connection_lost) ++lost;
        if (!ec) ++ok;
        ++done;
      });
    }
    return 0;
  });
  REQUIRE(eventually([&] { return io.on_io([&] { return c.connection().pending(); }) == burst + 1; }, 5s));
  const auto t0 = std::chrono::steady_clock::now();
  server.kill(9);
  REQUIRE(eventually([&] { return done == burst + 1; }, 5s));
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);  // fail fast, not after a timeout
  CHECK(lost == burst + 1);
  CHECK(ok == 0);

  server.restart();
  std::int64_t n = 0;
  REQUIRE(eventually([&] {
    try {
      n = io.on_io([&] { return c.incr("after", asio::use_future); }).get();
      return true;
    } catch (const std::system_error&) {
      return false;  // not_connected while the restart settles
    }
  }));
  CHECK(n == 1);
  CHECK(io.on_io([&] { return c.connection().stats().connects; }) >= 2u);
  io.on_io([&] { c.close(); return 0; });
}

TEST_CASE("fault: CLIENT KILL of our connection", "[fault]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  const auto id = db.call({"CLIENT", "ID"}).as_integer();
  db.set("k", "v");
  auto killed = server.command({"CLIENT", "KILL", "ID", std::to_string(id)});
  CHECK(killed.integer == 1);
  // the next request either rides the new connection or waits for it
  REQUIRE(eventually([&] {
    std::error_code ec;
    auto v = db.get("k", ec);
    return !ec && v == std::optional<std::string>("v");
  }));
  CHECK(db.call({"CLIENT", "ID"}).as_integer() != id);
  CHECK(db.stats().connects >= 2u);
}

TEST_CASE("fault: CLIENT PAUSE delays writes; with a timeout they fail", "[fault]") {
  ServerProcess server;
  auto cfg = valkey::Config::from_url(server.url());
  valkey::Client db{cfg};
  cfg.request_timeout = 150ms;
  valkey::Client impatient{cfg};
  server.command({"CLIENT", "PAUSE", "600", "WRITE"});
  std::error_code ec;
  impatient.set("p", "1", ec);
  CHECK(ec == valkey::errc::timeout);
  auto t0 = std::chrono::steady_clock::now();
  db.set("p", "2");  // waits out the pause
  CHECK(std::chrono::steady_clock::now() - t0 > 200ms);
  CHECK(db.get("p") == std::optional<std::string>("2"));
}

TEST_CASE("fault: a frozen peer is detected by the health check", "[fault][health]") {
  ServerProcess server;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.health_check_interval = 200ms;
  cfg.connect_timeout = 300ms;
  cfg.reconnect.initial_delay = 20ms;
  cfg.reconnect.max_delay = 100ms;
  IoThread io;
  valkey::AsyncClient c{io.ioc.get_executor(), cfg};
  io.on_io([&] { return c.async_ping(asio::use_future); }).get();

  SECTION("with a request in flight") {
    server.pause();
    auto t0 = std::chrono::steady_clock::now();
    auto f = io.on_io([&] { return c.incr("n", asio::use_future); });
    try {
      f.get();
      FAIL("a frozen server answered");
    } catch (const std::system_error& e) {
      CHECK(e.code() == valkey::errc::health_check_failed);
    }
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  }
  SECTION("idle: the PING goes unanswered") {
    const auto pings_before = io.on_io([&] { return c.connection().stats().pings; });
    server.pause();
    REQUIRE(eventually([&] { return io.on_io([&] { return c.connection().state(); }) != valkey::ConnectionState::ready; }, 3s));
    CHECK(io.on_io([&] { return c.connection().stats().pings; }) > pings_before);
  }
  server.resume();
  REQUIRE(eventually([&] {
    try {
      io.on_io([&] { return c.incr("back", asio::use_future); }).get();
      return true;
    } catch (const std::system_error&) {
      return false;
    }
  }));
  io.on_io([&] { c.close(); return 0; });
}

TEST_CASE("fault: fail-fast policy while disconnected", "[fault]") {
  ServerProcess server;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.when_disconnected = valkey::DisconnectedPolicy::fail;
  cfg.reconnect.initial_delay = 1000ms;
  valkey::Client db{cfg};
  db.set("k", "v");
  server.kill(9);
  std::error_code ec;
  // the first request may still see the dying connection
  db.get("k", ec);
  CHECK((ec == valkey::errc::connection_lost || ec == valkey::errc::not_connected));
  auto t0 = std::chrono::steady_clock::now();
  db.get("k", ec);
  CHECK(ec == valkey::errc::not_connected);
  CHECK(std::chrono::steady_clock::now() - t0 < 100ms);
}

TEST_CASE("fault: close() completes everything with connection_closed", "[fault]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  std::vector<std::error_code> got;
  const std::vector<std::string_view> sleep{"DEBUG", "SLEEP", "0.3"};
  c.call(sleep, [&](std::error_code ec, valkey::Reply) { got.push_back(ec); });
  for (int i = 0; i < 10; ++i) c.incr("x", [&](std::error_code ec, std::int64_t) { got.push_back(ec); });
  asio::post(ioc, [&] { c.close(); });
  ioc.run_for(2s);
  REQUIRE(got.size() == 11);
  for (auto& ec : got) CHECK(ec == valkey::errc::connection_closed);
  bool after = false;
  c.incr("x", [&](std::error_code ec, std::int64_t) { after = ec == valkey::errc::connection_closed; });
  ioc.restart();
  ioc.run_for(200ms);
  CHECK(after);
}
