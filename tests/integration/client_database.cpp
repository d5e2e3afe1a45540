// db.database(n) against a real server: calls through the handle run in
// database n over the client's shared connection(s), batches included; the
// other calls stay where Config::database puts them; a reconnect keeps each
// handle in its database; a database the server lacks gives its error and
// runs nothing; SELECT of one's own is refused.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/valkey.hpp>

#include "client_test_util.hpp"
#include "support/server_process.hpp"

using namespace std::chrono_literals;
using valkey::test::ServerProcess;

namespace {

// A client of its own in database `n`, to look at what landed there.
valkey::Client in_database(const ServerProcess& server, int n) {
  valkey::Config cfg = valkey::Config::from_url(server.url());
  cfg.database = n;
  return valkey::Client{cfg};
}

// The server's count of SELECT calls (INFO commandstats).
std::int64_t selects_seen(valkey::Client& db) {
  const std::string info{db.call({"INFO", "commandstats"}).as_string()};
  const auto at = info.find("cmdstat_select:calls=");
  if (at == std::string::npos) return 0;
  return std::stoll(info.substr(at + 21));
}

// Retries `f` until it succeeds (a killed connection fails the call that
// learns of it, then reconnects).
template <class F>
void until_ok(F f) {
  const auto end = std::chrono::steady_clock::now() + 5s;
  std::error_code ec;
  do {
    ec.clear();
    f(ec);
  } while (ec && std::chrono::steady_clock::now() < end);
  REQUIRE_FALSE(ec);
}

}  // namespace

TEST_CASE("database: writes through db.database(2) land in database 2 and not in 0", "[client][database]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  valkey::Client zero = in_database(server, 0);
  valkey::Client two = in_database(server, 2);

  CHECK(db.database(2).set("k", "in-two"));
  CHECK(db.set("k", "in-zero"));
  CHECK(db.database(2).get("k") == "in-two");
  CHECK(db.get("k") == "in-zero");
  CHECK(two.get("k") == "in-two");
  CHECK(zero.get("k") == "in-zero");
  CHECK(db.database(2).call({"GET", "k"}).as_string() == "in-two");
  CHECK(db.with({.timeout = 2s}).database(2).get("k") == "in-two");

  // Batches through the handle: SELECT goes before the batch, never inside
  // MULTI ... EXEC.
  auto [ok, n] = db.database(2).pipeline().set("p", "1").incr("n").exec();
  CHECK(ok);
  CHECK(n == 1);
  auto [a, b] = db.database(2).transaction().incr("t").incr("t").exec();
  CHECK(a == 1);
  CHECK(b == 2);
  auto db2 = db.database(2);  // a Batch keeps a reference to its target
  valkey::Batch<valkey::With<valkey::Client>> batch{db2};
  batch.get("p").incr("n");
  const std::vector<valkey::Reply> replies = batch.exec();
  REQUIRE(replies.size() == 2);
  CHECK(replies[0].as_string() == "1");
  CHECK(replies[1].as_integer() == 2);
  CHECK(two.get("p") == "1");
  CHECK(two.get("t") == "2");
  CHECK_FALSE(zero.get("p").has_value());
  CHECK_FALSE(zero.get("t").has_value());
  CHECK(db.dbsize() == 1);
  CHECK(db.database(2).dbsize() == 4);

  // A blocking command through the handle runs on a leased connection, in 2.
  two.rpush("q", std::vector<std::string_view>{"x"});
  auto popped = db.database(2).blpop(std::vector<std::string_view>{"q"}, 1.0);
  REQUIRE(popped.has_value());
  CHECK(popped->second == "x");
  CHECK_FALSE(db.blpop(std::vector<std::string_view>{"q"}, 0.05).has_value());
}

TEST_CASE("database: SELECT is written only when the database changes", "[client][database]") {
  ServerProcess server;
  valkey::Config cfg = valkey::Config::from_url(server.url());
  cfg.max_connections = 1;
  valkey::Client db{cfg};
  valkey::Client watcher{server.url()};
  const std::int64_t before = selects_seen(watcher);
  for (int i = 0; i < 10; ++i) db.database(4).incr("n");  // one SELECT, then none
  for (int i = 0; i < 10; ++i) db.incr("n");              // one SELECT back to 0
  CHECK(selects_seen(watcher) - before == 2);
  CHECK(db.database(4).get("n") == "10");
  CHECK(db.get("n") == "10");
  CHECK(selects_seen(watcher) - before == 4);
}

TEST_CASE("database: a database the server lacks gives its error and runs nothing", "[client][database]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  db.set("where", "zero");
  try {
    db.database(99).set("where", "ninety-nine");
    FAIL("database 99 accepted");
  } catch (const valkey::ServerError& e) {
    CHECK(e.message().find("DB index is out of range") != std::string::npos);
    CHECK(std::string(e.what()).find("SET") != std::string::npos);
  }
  valkey::Diagnostics diag;
  std::error_code ec;
  db.database(99).get("where", ec, diag);
  CHECK(ec == valkey::errc::server_error);
  CHECK(diag.outcome == valkey::policy::Outcome::server_error);
  CHECK(diag.message.find("DB index is out of range") != std::string::npos);
  // Nothing ran in another database, and the connection stayed in 0.
  CHECK(db.get("where") == "zero");
  CHECK(db.dbsize() == 1);
  // A transaction through it fails as a whole.
  db.database(99).transaction().set("t", "1").exec(ec);
  CHECK(ec);
  CHECK_FALSE(db.get("t").has_value());
  // A negative number is refused before anything is sent.
  CHECK_THROWS_AS(db.database(-1), valkey::Error);
}

TEST_CASE("database: SELECT of one's own is refused, naming database(n)", "[client][database]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  try {
    db.call({"select", "2"});
    FAIL("SELECT accepted");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::invalid_argument);
    CHECK(std::string(e.what()).find("database(n)") != std::string::npos);
  }
  std::error_code ec;
  db.exec(valkey::cmd::Select{.index = 2}, ec);
  CHECK(ec == valkey::errc::invalid_argument);
  db.pipeline().set("a", "1").call({"SELECT", "2"}).exec(ec);
  CHECK(ec == valkey::errc::invalid_argument);
  CHECK_FALSE(db.get("a").has_value());  // the pipeline was not sent
  db.set("still", "zero");
  CHECK(in_database(server, 0).get("still") == "zero");
}

TEST_CASE("database: a reconnect after CLIENT KILL keeps each handle in its database", "[client][database]") {
  ServerProcess server;
  valkey::Config cfg = valkey::Config::from_url(server.url());
  cfg.database = 1;  // the client's own database: where a reconnect starts
  cfg.max_connections = 1;
  valkey::Client db{cfg};
  db.set("where", "one");
  db.database(0).set("where", "zero");
  db.database(5).set("where", "five");
  // Leave the connection in 5, then drop it.
  CHECK(db.database(5).get("where") == "five");
  server.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
  std::optional<std::string> got;
  until_ok([&](std::error_code& ec) { got = db.get("where", ec); });
  CHECK(got == "one");
  CHECK(db.database(5).get("where") == "five");
  CHECK(db.database(0).get("where") == "zero");
  CHECK(db.get("where") == "one");
  // Dropped while in 0 this time; the next call goes through the handle.
  server.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
  until_ok([&](std::error_code& ec) { got = db.database(5).get("where", ec); });
  CHECK(got == "five");
  CHECK(db.get("where") == "one");
  CHECK(db.stats().connects >= 3);
}

TEST_CASE("database: interleaved calls on 0 and 3 from several coroutines and threads",
          "[client][database][async][threads]") {
  ServerProcess server;
  in_database(server, 0).set("where", "zero");
  in_database(server, 3).set("where", "three");

  SECTION("AsyncClient, 8 coroutines") {
    asio::io_context ioc;
    valkey::AsyncClient c{ioc.get_executor(), server.url()};
    constexpr int kCoroutines = 8, kEach = 200;
    std::atomic<int> wrong{0};
    int done = 0;
    for (int k = 0; k < kCoroutines; ++k) {
      asio::co_spawn(
          ioc,
          [&, k]() -> asio::awaitable<void> {
            for (int i = 0; i < kEach; ++i) {
              // Each coroutine switches at its own pace: consecutive
              // requests on the connection change database often.
              const bool three = (i + k) % (k % 3 + 1) == 0;
              // (g++ 12 miscompiles co_await inside ?:, hence the if)
              std::optional<std::string> v;
              if (three) v = co_await c.database(3).get("where", asio::use_awaitable);
              else v = co_await c.get("where", asio::use_awaitable);
              if (v != (three ? "three" : "zero")) ++wrong;
              if (three) co_await c.database(3).incr("n3", asio::use_awaitable);
              else co_await c.incr("n0", asio::use_awaitable);
            }
            ++done;
          },
          asio::detached);
    }
    REQUIRE(valkey::test::run_until(ioc, [&] { return done == kCoroutines; }, 30s));
    CHECK(wrong == 0);
    std::int64_t n0 = 0, n3 = 0;
    for (int k = 0; k < kCoroutines; ++k)
      for (int i = 0; i < kEach; ++i) ((i + k) % (k % 3 + 1) == 0 ? n3 : n0) += 1;
    CHECK(in_database(server, 0).get("n0") == std::to_string(n0));
    CHECK(in_database(server, 3).get("n3") == std::to_string(n3));
    CHECK_FALSE(in_database(server, 0).get("n3").has_value());
    CHECK_FALSE(in_database(server, 3).get("n0").has_value());
    c.close();
  }

  SECTION("sync Client, 4 threads on one connection") {
    valkey::Config cfg = valkey::Config::from_url(server.url());
    cfg.max_connections = 1;
    valkey::Client db{cfg};
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 300; ++i) {
          const bool three = (i + t) % 2 == 0;
          auto v = three ? db.database(3).get("where") : db.get("where");
          if (v != (three ? "three" : "zero")) ++wrong;
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(wrong == 0);
  }
}

TEST_CASE("database: the AsyncClient's handle after a reconnect, and its out-of-range error",
          "[client][database][async]") {
  ServerProcess server;
  in_database(server, 0).set("where", "zero");
  in_database(server, 2).set("where", "two");
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  std::vector<std::string> seen;
  bool finished = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        seen.push_back((co_await c.database(2).get("where", asio::use_awaitable)).value_or("nil"));
        server.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
        for (int attempt = 0; attempt < 50; ++attempt) {
          // The first call after the kill may fail: it learns of the loss.
          auto [ec, v] = co_await c.get("where", asio::experimental::as_tuple(asio::use_awaitable));
          if (!ec) {
            seen.push_back(v.value_or("nil"));
            break;
          }
          asio::steady_timer t{ioc, 50ms};
          co_await t.async_wait(asio::use_awaitable);
        }
        seen.push_back((co_await c.database(2).get("where", asio::use_awaitable)).value_or("nil"));
        valkey::Diagnostics diag;
        std::error_code ec;
        std::tie(ec, std::ignore) = co_await c.database(42).get(
            "where", diag, asio::experimental::as_tuple(asio::use_awaitable));
        seen.push_back(diag.message.find("DB index is out of range") != std::string::npos ? "out of range"
                                                                                         : diag.message);
        seen.push_back((co_await c.get("where", asio::use_awaitable)).value_or("nil"));
        const std::vector<std::string_view> select{"SELECT", "2"};
        std::tie(ec, std::ignore) = co_await c.call(select, diag, asio::experimental::as_tuple(asio::use_awaitable));
        seen.push_back(ec == valkey::errc::invalid_argument && diag.message.find("database(n)") != std::string::npos
                           ? "SELECT refused"
                           : diag.message);
        auto [x, y] = co_await c.database(2).pipeline().get("where").incr("n").exec(asio::use_awaitable);
        seen.push_back(x.value_or("nil") + "/" + std::to_string(y));
        finished = true;
      },
      asio::detached);
  REQUIRE(valkey::test::run_until(ioc, [&] { return finished; }, 20s));
  CHECK(seen == std::vector<std::string>{"two", "zero", "two", "out of range", "zero", "SELECT refused", "two/1"});
  CHECK(in_database(server, 2).get("n") == "1");
  c.close();
}

TEST_CASE("database: calls through a handle bypass the client-side cache", "[client][database][cache]") {
  ServerProcess server;
  valkey::Config cfg = valkey::Config::from_url(server.url());
  cfg.cache = valkey::CacheConfig{};
  valkey::Client db{cfg};
  db.set("k", "zero");
  db.database(2).set("k", "two");
  CHECK(db.cached(60s).get("k") == "zero");
  CHECK(db.cached(60s).get("k") == "zero");  // a hit
  const auto hits = db.cache_stats().hits;
  CHECK(db.database(2).get("k") == "two");
  CHECK(db.cache_stats().hits == hits);
  in_database(server, 0).set("k", "zero-2");
  db.ping();  // the invalidation arrives ahead of PONG
  CHECK(db.cached(60s).get("k") == "zero-2");
}
