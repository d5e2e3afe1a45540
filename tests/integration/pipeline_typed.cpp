// valkey::Pipeline and valkey::Batch against a real server: one write for N
// commands, typed tuple results, error reporting, sync and async.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <thread>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/pipeline.hpp>
#include <valkey/valkey.hpp>

#include "support/server_process.hpp"

using valkey::test::ServerProcess;

TEST_CASE("pipeline: sync typed tuple in one write", "[pipeline]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  db.set("warmup", "1");
  const auto writes_before = db.stats().writes;
  auto [ok, v, n, missing] = valkey::pipeline(db).set("k", "v").get("k").incr("visits").get("nope").exec();
  static_assert(std::is_same_v<decltype(ok), bool>);  // SET: written or not (set_get for the old value)
  static_assert(std::is_same_v<decltype(v), std::optional<std::string>>);
  static_assert(std::is_same_v<decltype(n), std::int64_t>);
  CHECK(v == std::optional<std::string>("v"));
  CHECK(n == 1);
  CHECK_FALSE(missing.has_value());
  CHECK(db.stats().writes == writes_before + 1);
  CHECK(db.stats().requests_written >= 1);
  CHECK(server.command({"GET", "visits"}).as_string() == "1");
}

TEST_CASE("pipeline: async with use_awaitable", "[pipeline]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  std::optional<std::string> name;
  std::int64_t visits = 0;
  bool done = false;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    // g++ 12: no braced lists inside a coroutine's co_await expression
    std::vector<std::pair<std::string, std::string>> fields{{"name", "Ada"}};
    co_await valkey::pipeline(c).hset("user:1", fields).exec(asio::use_awaitable);
    auto [n, v] = co_await valkey::pipeline(c).hget("user:1", "name").incr("visits").exec(asio::use_awaitable);
    name = n;
    visits = v;
    done = true;
    c.close();
  }, asio::detached);
  ioc.run();
  REQUIRE(done);
  CHECK(name == std::optional<std::string>("Ada"));
  CHECK(visits == 1);
}

TEST_CASE("pipeline: a server error fails exec with the first error, the rest still runs", "[pipeline]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  db.call({"LPUSH", "list", "x"});
  std::error_code ec;
  valkey::Diagnostics diag;
  auto r = valkey::pipeline(db).incr("a").get("list").incr("b").exec(ec, diag);
  CHECK(ec == valkey::errc::server_error);
  CHECK(diag.prefix() == "WRONGTYPE");
  CHECK(std::get<0>(r) == 0);  // default values on failure
  // both INCRs ran on the server
  CHECK(server.command({"GET", "a"}).as_string() == "1");
  CHECK(server.command({"GET", "b"}).as_string() == "1");
  // the connection stays in sync
  CHECK(db.incr("a") == 2);
  // the throwing form
  CHECK_THROWS_AS(valkey::pipeline(db).get("list").exec(), valkey::ServerError);
}

TEST_CASE("pipeline: a consumed or empty builder refuses to exec", "[pipeline]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  std::error_code ec;
  valkey::pipeline(db).exec(ec);
  CHECK(ec == valkey::errc::invalid_argument);
  auto p = valkey::pipeline(db).incr("x");
  auto p2 = p.incr("y");  // consumes p
  p.exec(ec);
  CHECK(ec == valkey::errc::invalid_argument);
  auto [x, y] = p2.exec();
  CHECK(x == 1);
  CHECK(y == 1);
}

TEST_CASE("pipeline: raw call() elements and a dynamic Batch of 1000", "[pipeline]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  auto [r, n] = valkey::pipeline(db).call({"SET", "a", "1"}).incr("a").exec();
  CHECK(r.as_string() == "OK");
  CHECK(n == 2);

  valkey::Batch<valkey::Client> batch{db};
  for (int i = 0; i < 1000; ++i) batch.add({"RPUSH", "l", std::to_string(i)});
  batch.add({"GET", "l"});  // WRONGTYPE: kept as a value
  auto writes_before = db.stats().writes;
  std::vector<valkey::Reply> replies = batch.exec();
  CHECK(db.stats().writes == writes_before + 1);
  REQUIRE(replies.size() == 1001);
  CHECK(replies[999].as_integer() == 1000);
  CHECK(replies[1000].is_error());
  CHECK(batch.empty());

  valkey::Batch<valkey::Client, std::int64_t> incrs{db};
  for (int i = 0; i < 10; ++i) incrs.add(valkey::cmd::Incr{.key = "c"});
  auto counts = incrs.exec();
  REQUIRE(counts.size() == 10);
  CHECK(counts.back() == 10);
}

TEST_CASE("pipeline: async Batch and RESP2", "[pipeline]") {
  ServerProcess server;
  asio::io_context ioc;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.protocol = valkey::Protocol::resp2;
  valkey::AsyncClient c{ioc.get_executor(), cfg};
  std::vector<valkey::Reply> out;
  std::error_code got;
  valkey::Batch<valkey::AsyncClient> b{c};
  b.add({"SET", "x", "1"}).add({"INCRBYFLOAT", "x", "0.5"}).add({"HGETALL", "nothing"});
  b.exec([&](std::error_code ec, std::vector<valkey::Reply> r) {
    got = ec;
    out = std::move(r);
    c.close();
  });
  ioc.run();
  REQUIRE_FALSE(got);
  REQUIRE(out.size() == 3);
  CHECK(out[1].as_double() == 1.5);
  CHECK(out[2].size() == 0);
}

TEST_CASE("pipeline: a deferred exec owns its bytes until launched", "[pipeline]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  std::error_code got = valkey::errc::timeout;
  std::int64_t n = 0;
  std::optional<std::string> v;
  {
    std::string key = "deferred";  // destroyed before the operation is launched
    auto op = valkey::pipeline(c).set(key, "x").incr(key + ":n").get(key).exec(asio::experimental::deferred);
    key.assign("overwritten");
    std::move(op)([&](std::error_code ec, std::tuple<bool, std::int64_t, std::optional<std::string>> r) {
      got = ec;
      n = std::get<1>(r);
      v = std::get<2>(r);
      c.close();
    });
  }
  ioc.run();
  CHECK_FALSE(got);
  CHECK(n == 1);
  CHECK(v == std::optional<std::string>("x"));
}

TEST_CASE("pipeline: sync pipelines from 4 threads share the client", "[pipeline][threads]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string key = "t" + std::to_string(t);
      for (int i = 1; i <= 200; ++i) {
        auto [a, b] = valkey::pipeline(db).incr(key).incr("total").exec();
        if (a == i && b >= i) ++good;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(good == 800);
  CHECK(server.command({"GET", "total"}).as_string() == "800");
}

TEST_CASE("pipeline: the clients' pipeline() and transaction() members", "[pipeline]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  auto [set_reply, n] = db.pipeline().set("m", "41").incr("m").exec();
  CHECK(set_reply == true);  // SET: written
  CHECK(n == 42);
  auto [t1, t2] = db.transaction().incr("t").incr("t").exec();
  CHECK(t1 == 1);
  CHECK(t2 == 2);

  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  std::optional<std::string> name;
  std::int64_t visits = 0, tx_visits = 0;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    std::vector<std::pair<std::string_view, std::string_view>> fields{{"name", "Ada"}};
    co_await c.hset("user:1", fields, asio::use_awaitable);
    auto [nm, v] = co_await c.pipeline().hget("user:1", "name").incr("visits").exec(asio::use_awaitable);
    name = nm;
    visits = v;
    auto [tv] = co_await c.transaction().incr("visits").exec(asio::use_awaitable);
    tx_visits = tv;
    c.close();
  }, asio::detached);
  ioc.run();
  CHECK(name == std::optional<std::string>("Ada"));
  CHECK(visits == 1);
  CHECK(tx_visits == 2);
}
