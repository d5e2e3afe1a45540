// valkey::Transaction and WATCH sessions against a real server.
#include <catch2/catch_test_macros.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/transaction.hpp>
#include <valkey/valkey.hpp>

#include "support/server_process.hpp"

using valkey::test::ServerProcess;

TEST_CASE("transaction: MULTI/EXEC typed results, sync", "[transaction]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  auto [ok, n, v] = valkey::transaction(db).set("k", "v").incr("n").get("k").exec();
  static_assert(std::is_same_v<decltype(n), std::int64_t>);
  CHECK(n == 1);
  CHECK(v == std::optional<std::string>("v"));
  CHECK(server.command({"GET", "n"}).as_string() == "1");
}

TEST_CASE("transaction: a queuing error reports EXECABORT and the command", "[transaction]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  std::error_code ec;
  valkey::Diagnostics diag;
  valkey::transaction(db).incr("a").call({"NOSUCHCOMMAND", "x"}).exec(ec, diag);
  CHECK(ec == valkey::errc::server_error);
  CHECK(diag.prefix() == "EXECABORT");
  CHECK(diag.server_message.find("command #1") != std::string::npos);
  CHECK(server.command({"EXISTS", "a"}).integer == 0);  // nothing ran
  CHECK(db.incr("a") == 1);                              // the connection is fine
}

TEST_CASE("transaction: a runtime error fails exec, the other commands ran", "[transaction]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  db.call({"LPUSH", "list", "x"});
  std::error_code ec;
  valkey::Diagnostics diag;
  valkey::transaction(db).incr("a").get("list").exec(ec, diag);
  CHECK(ec == valkey::errc::server_error);
  CHECK(diag.prefix() == "WRONGTYPE");
  CHECK(server.command({"GET", "a"}).as_string() == "1");
}

TEST_CASE("transaction: sync WATCH conflict -> exec_aborted, no conflict -> runs", "[transaction][threads]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  db.set("balance", "10");
  {
    valkey::Watch w{db, {"balance"}};
    auto cur = w.get("balance");
    REQUIRE(cur == std::optional<std::string>("10"));
    db.set("balance", "20");  // someone else changes it
    std::error_code ec;
    w.multi().set("balance", "9").exec(ec);
    CHECK(ec == valkey::errc::exec_aborted);
    CHECK(server.command({"GET", "balance"}).as_string() == "20");
  }
  {
    valkey::Watch w{db, {"balance"}};
    auto [ok, n] = w.multi().set("balance", "19").incr("tx").exec();
    CHECK(n == 1);
    CHECK(server.command({"GET", "balance"}).as_string() == "19");
  }
  // the shared client never saw WATCH
  CHECK(server.command({"GET", "balance"}).as_string() == "19");
}

TEST_CASE("transaction: async WATCH on a dedicated connection", "[transaction]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  std::error_code aborted, committed;
  std::int64_t final_value = 0;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    co_await c.set("balance", "10", asio::use_awaitable);
    std::vector<std::string> keys{"balance"};
    {
      auto w = co_await valkey::watch(c, keys, asio::use_awaitable);
      co_await w.get("balance", asio::use_awaitable);
      co_await c.set("balance", "11", asio::use_awaitable);  // shared connection: conflict
      auto [ec, r] = co_await w.multi().set("balance", "0").exec(asio::experimental::as_tuple(asio::use_awaitable));
      aborted = ec;
    }
    {
      auto w = co_await valkey::watch(c, keys, asio::use_awaitable);
      auto cur = co_await w.get("balance", asio::use_awaitable);
      auto next = std::to_string(std::stoll(cur.value()) + 5);
      auto [ec, r] = co_await w.multi().set("balance", next).incr("balance").exec(
          asio::experimental::as_tuple(asio::use_awaitable));
      committed = ec;
      final_value = std::get<1>(r);
    }
    // the plain transaction on the shared connection
    auto [n] = co_await valkey::transaction(c).incr("balance").exec(asio::use_awaitable);
    final_value = n;
    c.close();
  }, asio::detached);
  ioc.run();
  CHECK(aborted == valkey::errc::exec_aborted);
  CHECK_FALSE(committed);
  CHECK(final_value == 18);
}

TEST_CASE("transaction: RESP2 EXEC array decodes the same way", "[transaction]") {
  ServerProcess server;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.protocol = valkey::Protocol::resp2;
  valkey::Client db{cfg};
  db.hset("h", {{"a", "1"}, {"b", "2"}});
  auto [all, n, missing] = valkey::transaction(db).hgetall("h").incr("n").get("nope").exec();
  CHECK(all.size() == 2);
  CHECK(n == 1);
  CHECK_FALSE(missing.has_value());
  valkey::Watch w{cfg, {"n"}};
  db.incr("n");
  std::error_code ec;
  w.multi().incr("n").exec(ec);
  CHECK(ec == valkey::errc::exec_aborted);
}
