// The bulkhead of blocking commands: Config::max_leases bounds the leased
// connections a client's blocking calls hold at once. A call beyond the bound
// fails at once with queue_full and sends nothing; the calls within it run
// as before; every lease is given back, however its call ended.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>

#include <valkey/lease.hpp>
#include <valkey/valkey.hpp>

#include "support/server_process.hpp"
#include "client_test_util.hpp"

using valkey::test::ServerProcess;
using namespace std::chrono_literals;
using Popped = std::optional<std::pair<std::string, std::string>>;

namespace {

std::int64_t blocked_clients(ServerProcess& server) { return server.info_int("clients", "blocked_clients"); }

std::int64_t blpop_calls(ServerProcess& server) {
  const std::string stats = server.command({"INFO", "commandstats"}).as_string();
  const auto at = stats.find("cmdstat_blpop:calls=");
  if (at == std::string::npos) return 0;
  return std::stoll(stats.substr(at + 20));
}

valkey::Config bounded(ServerProcess& server, std::size_t max_leases) {
  valkey::Config cfg = valkey::Config::from_url(server.url());
  cfg.max_leases = max_leases;
  return cfg;
}

}  // namespace

TEST_CASE("bulkhead: with max_leases = 2 a third concurrent BLPOP fails at once, the two others complete",
          "[blocking][lease][bulkhead]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), bounded(server, 2)};
  struct Call {
    bool done = false;
    std::error_code ec;
    Popped value;
    valkey::Diagnostics diag;
    std::chrono::steady_clock::time_point at;
  };
  Call calls[3];
  const auto start = std::chrono::steady_clock::now();
  for (Call& call : calls) {
    c.blpop(std::vector<std::string>{"bulk"}, 5.0, call.diag, [&call](std::error_code ec, Popped v) {
      call.done = true;
      call.ec = ec;
      call.value = std::move(v);
      call.at = std::chrono::steady_clock::now();
    });
  }
  // The third is refused before anything else happens.
  REQUIRE(valkey::test::run_until(ioc, [&] { return calls[2].done; }, 1s));
  CHECK(calls[2].ec == valkey::errc::queue_full);
  CHECK(calls[2].at - start < 100ms);
  CHECK(calls[2].diag.outcome == valkey::policy::Outcome::not_sent);
  CHECK(calls[2].diag.message.find("Config::max_leases") != std::string::npos);
  CHECK(calls[2].diag.message.find("2 blocking calls") != std::string::npos);
  CHECK(calls[2].diag.message.find("BLPOP") != std::string::npos);
  CHECK_FALSE(calls[0].done);
  CHECK_FALSE(calls[1].done);
  // The two others block on the server; nothing of the third reached it.
  REQUIRE(valkey::test::run_until(ioc, [&] { return blocked_clients(server) == 2; }, 5s));
  // Valkey counts a blocked call when it ends, Redis 7 when it starts: at
  // most the two here; the total below shows the third never arrived.
  CHECK(blpop_calls(server) <= 2);
  server.command({"RPUSH", "bulk", "a", "b"});
  REQUIRE(valkey::test::run_until(ioc, [&] { return calls[0].done && calls[1].done; }, 5s));
  for (int i = 0; i < 2; ++i) {
    CHECK_FALSE(calls[i].ec);
    REQUIRE(calls[i].value);
    CHECK(calls[i].value->first == "bulk");
  }
  CHECK(blpop_calls(server) == 2);
  // The leases went back: two more calls fit again.
  int more = 0;
  for (int i = 0; i < 2; ++i)
    c.blpop(std::vector<std::string>{"empty"}, 0.05, [&](std::error_code ec, Popped v) {
      CHECK_FALSE(ec);
      CHECK_FALSE(v);
      ++more;
    });
  REQUIRE(valkey::test::run_until(ioc, [&] { return more == 2; }, 5s));
  c.close();
  ioc.run_for(100ms);
}

TEST_CASE("bulkhead: every lease goes back: cancelled, closed and refused calls leave room",
          "[blocking][lease][bulkhead]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::BlockingClient blk{ioc.get_executor(), bounded(server, 1)};
  CHECK(blk.pool().max_leases() == 1);
  // A cancelled call gives its lease back.
  asio::cancellation_signal cancel;
  std::error_code first = make_error_code(valkey::errc::invalid_argument);
  blk.blpop(std::vector<std::string>{"q"}, 0.0,
            asio::bind_cancellation_slot(cancel.slot(), [&](std::error_code ec, Popped) { first = ec; }));
  CHECK(blk.pool().leased() == 1);
  REQUIRE(valkey::test::run_until(ioc, [&] { return blocked_clients(server) == 1; }, 5s));
  std::error_code second;
  bool second_done = false;
  blk.blpop(std::vector<std::string>{"q"}, 0.0, [&](std::error_code ec, Popped) {
    second = ec;
    second_done = true;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return second_done; }, 1s));
  CHECK(second == valkey::errc::queue_full);
  cancel.emit(asio::cancellation_type::terminal);
  REQUIRE(valkey::test::run_until(ioc, [&] { return first == valkey::errc::cancelled; }, 1s));
  CHECK(blk.pool().leased() == 0);
  // A call with an argument the encoder refuses takes no lease at all.
  std::error_code refused;
  bool refused_done = false;
  blk.call({}, [&](std::error_code ec, valkey::Reply) {
    refused = ec;
    refused_done = true;
  });
  CHECK(blk.pool().leased() == 0);
  REQUIRE(valkey::test::run_until(ioc, [&] { return refused_done; }, 1s));
  CHECK(refused);
  CHECK(refused != valkey::errc::queue_full);
  // The one lease serves again; close() fails it and gives it back.
  std::error_code third;
  bool third_done = false;
  blk.blpop(std::vector<std::string>{"q"}, 0.0, [&](std::error_code ec, Popped) {
    third = ec;
    third_done = true;
  });
  CHECK(blk.pool().leased() == 1);
  REQUIRE(valkey::test::run_until(ioc, [&] { return blocked_clients(server) == 1; }, 5s));
  blk.close();
  REQUIRE(valkey::test::run_until(ioc, [&] { return third_done; }, 1s));
  CHECK(third == valkey::errc::connection_closed);
  CHECK(blk.pool().leased() == 0);
  ioc.run_for(50ms);
}

TEST_CASE("bulkhead: the sync Client with max_leases = 2: a third thread's BLPOP fails at once, nothing sent",
          "[blocking][lease][bulkhead][threads]") {
  ServerProcess server;
  valkey::Client db{bounded(server, 2)};
  Popped popped[2];
  std::thread waiters[2];
  for (int i = 0; i < 2; ++i) waiters[i] = std::thread([&, i] { popped[i] = db.blpop({"work"}, 5.0); });
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (blocked_clients(server) < 2 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  REQUIRE(blocked_clients(server) == 2);
  // Beyond the bound: refused on the spot, with the reason.
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  valkey::Diagnostics diag;
  const Popped third = db.blpop({"work"}, 5.0, ec, diag);
  CHECK(std::chrono::steady_clock::now() - start < 100ms);
  CHECK(ec == valkey::errc::queue_full);
  CHECK_FALSE(third);
  CHECK(diag.outcome == valkey::policy::Outcome::not_sent);
  CHECK(diag.message.find("Config::max_leases") != std::string::npos);
  CHECK(diag.message.find("2 blocking calls") != std::string::npos);
  // The throwing overload says the same.
  try {
    (void)db.blpop({"work"}, 5.0);
    FAIL("no exception");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::queue_full);
    CHECK(std::string(e.what()).find("Config::max_leases") != std::string::npos);
  }
  // The shared connection is not bounded by it.
  db.set("k", "v");
  CHECK(db.get("k") == std::optional<std::string>("v"));
  db.rpush("work", std::vector<std::string>{"a", "b"});
  for (auto& t : waiters) t.join();
  for (const Popped& p : popped) {
    REQUIRE(p);
    CHECK(p->first == "work");
  }
  CHECK(blpop_calls(server) == 2);
  // Both leases went back.
  std::thread again([&] { CHECK_FALSE(db.blpop({"none"}, 0.05)); });
  CHECK_FALSE(db.blpop({"none"}, 0.05));
  again.join();
}

TEST_CASE("bulkhead: SyncBlockingClient counts its leases; close() frees them", "[blocking][lease][bulkhead][threads]") {
  ServerProcess server;
  valkey::SyncBlockingClient blk{bounded(server, 1)};
  std::error_code waiting_ec;
  std::thread waiter([&] { (void)blk.blpop({"q"}, 0.0, waiting_ec); });
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (blocked_clients(server) < 1 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  REQUIRE(blocked_clients(server) == 1);
  CHECK(blk.leased() == 1);
  std::error_code ec;
  (void)blk.blpop({"q"}, 0.0, ec);
  CHECK(ec == valkey::errc::queue_full);
  blk.close();
  waiter.join();
  CHECK(waiting_ec == valkey::errc::connection_closed);
  CHECK(blk.leased() == 0);
}
