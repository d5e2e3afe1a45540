// valkey::watch_retry() on an AsyncClient: the optimistic-transaction loop
// as a coroutine and with a callback, against a real server, a concurrent
// writer aborting the first attempts.
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <tuple>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/valkey.hpp>

#include "client_test_util.hpp"
#include "support/server_process.hpp"

using valkey::test::ServerProcess;
using namespace std::chrono_literals;

namespace {

std::string commandstats(ServerProcess& server) { return server.command({"INFO", "commandstats"}).as_string(); }

}  // namespace

TEST_CASE("watch_retry (async): an aborted EXEC runs the coroutine again; co_await gets the transaction's result",
          "[policy][watch]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  valkey::Client writer{server.url()};  // the concurrent writer, on its own connection
  writer.set("balance", "100");
  int calls = 0;
  bool done = false;
  std::tuple<bool> result{false};
  const std::vector<std::string> keys{"balance"};  // no braced list inside co_await (g++ 12)
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    result = co_await valkey::watch_retry(
        c, keys,
        [&](valkey::AsyncWatch& w) -> asio::awaitable<std::tuple<bool>> {
          ++calls;
          auto cur = co_await w.get("balance", asio::use_awaitable);
          if (calls <= 2) writer.incrby("balance", 1);  // written between WATCH and EXEC
          const long long next = std::stoll(cur.value_or("0")) - 30;
          co_return co_await w.multi().set("balance", std::to_string(next)).exec(asio::use_awaitable);
        },
        asio::use_awaitable);
    done = true;
  }, asio::detached);
  REQUIRE(valkey::test::run_until(ioc, [&] { return done; }, 10s));
  CHECK(std::get<0>(result));
  CHECK(calls == 3);
  CHECK(writer.get("balance") == std::optional<std::string>("72"));
  // One WATCH connection for every attempt, a WATCH and an EXEC per attempt.
  const std::string stats = commandstats(server);
  CHECK(stats.find("cmdstat_watch:calls=3,") != std::string::npos);
  CHECK(stats.find("cmdstat_exec:calls=3,") != std::string::npos);
  c.close();
}

TEST_CASE("watch_retry (async): a callback gets exec_aborted after the last attempt, with Diagnostics",
          "[policy][watch]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  valkey::Client writer{server.url()};
  int calls = 0;
  bool done = false;
  std::error_code got;
  valkey::Diagnostics diag;
  valkey::watch_retry(
      c, {"k"},
      [&](valkey::AsyncWatch& w) -> asio::awaitable<std::tuple<std::int64_t>> {
        ++calls;
        writer.incr("k");  // every attempt is aborted
        co_return co_await w.multi().incr("k").exec(asio::use_awaitable);
      },
      2, diag,
      [&](std::error_code ec, std::tuple<std::int64_t> r) {
        got = ec;
        CHECK(std::get<0>(r) == 0);
        done = true;
      });
  REQUIRE(valkey::test::run_until(ioc, [&] { return done; }, 10s));
  CHECK(got == valkey::errc::exec_aborted);
  CHECK(calls == 2);
  CHECK(diag.command == "transaction");
  CHECK_FALSE(diag.message.empty());
  CHECK(writer.get("k") == std::optional<std::string>("2"));  // the transaction's INCR never ran

  // Any other failure ends the loop at once: WRONGTYPE from the transaction.
  calls = 0;
  done = false;
  valkey::watch_retry(
      c, {"k"},
      [&](valkey::AsyncWatch& w) -> asio::awaitable<std::tuple<std::int64_t>> {
        ++calls;
        const std::vector<std::string> values{"x"};
        co_return co_await w.multi().lpush("k", values).exec(asio::use_awaitable);
      },
      5, diag,
      [&](std::error_code ec, std::tuple<std::int64_t>) {
        got = ec;
        done = true;
      });
  REQUIRE(valkey::test::run_until(ioc, [&] { return done; }, 10s));
  CHECK(got == valkey::errc::server_error);
  CHECK(diag.prefix() == "WRONGTYPE");
  CHECK(diag.outcome == valkey::policy::Outcome::server_error);
  CHECK(calls == 1);

  // A success clears the Diagnostics; fewer than one attempt is refused.
  done = false;
  valkey::watch_retry(
      c, {"k"},
      [](valkey::AsyncWatch& w) -> asio::awaitable<std::tuple<std::optional<std::string>>> {
        co_return co_await w.multi().get("k").exec(asio::use_awaitable);
      },
      1, diag,
      [&](std::error_code ec, std::tuple<std::optional<std::string>> r) {
        got = ec;
        CHECK(std::get<0>(r) == std::optional<std::string>("2"));
        done = true;
      });
  REQUIRE(valkey::test::run_until(ioc, [&] { return done; }, 10s));
  CHECK_FALSE(got);
  CHECK(diag.empty());
  CHECK_THROWS_AS(valkey::watch_retry(
                      c, {"k"},
                      [](valkey::AsyncWatch& w) -> asio::awaitable<std::tuple<std::optional<std::string>>> {
                        co_return co_await w.multi().get("k").exec(asio::use_awaitable);
                      },
                      0, [](std::error_code, std::tuple<std::optional<std::string>>) {}),
                  valkey::Error);
  c.close();
  ioc.run_for(50ms);
}
