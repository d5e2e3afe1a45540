// Many requests on one connection: coroutines, threads, auto-pipelining,
// backpressure.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <thread>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/valkey.hpp>

#include "client_test_util.hpp"
#include "support/server_process.hpp"

using valkey::test::ServerProcess;

TEST_CASE("concurrency: 10,000 INCRs from 100 coroutines on one connection", "[concurrency]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  constexpr int coroutines = 100, each = 100;
  int finished = 0;
  std::atomic<int> mismatches{0};
  for (int i = 0; i < coroutines; ++i) {
    asio::co_spawn(
        ioc,
        [&, i]() -> asio::awaitable<void> {
          const std::string own = "own:" + std::to_string(i);
          for (int j = 0; j < each; ++j) {
            co_await c.incr("counter", asio::use_awaitable);
            // each coroutine's own counter must come back as exactly j + 1:
            // replies are matched to the right request
            auto mine = co_await c.incr(own, asio::use_awaitable);
            if (mine != j + 1) ++mismatches;
          }
          ++finished;
        },
        asio::detached);
  }
  valkey::test::run_until(ioc, [&] { return finished == coroutines; }, std::chrono::seconds(60));
  REQUIRE(finished == coroutines);
  CHECK(mismatches == 0);
  CHECK(server.command({"GET", "counter"}).as_string() == std::to_string(coroutines * each));
  const auto& st = c.connection().stats();
  CHECK(st.requests_written >= 2u * coroutines * each);
  // auto-pipelining: far fewer writes than requests
  CHECK(st.writes * 4 < st.requests_written);
}

TEST_CASE("concurrency: the sync Client shared by threads", "[concurrency][threads]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  constexpr int threads = 8, each = 300;
  std::atomic<int> wrong{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < each; ++i) {
        const std::string key = "t" + std::to_string(t) + ":" + std::to_string(i % 10);
        const std::string value = std::to_string(t * 100000 + i);
        db.set(key, value);
        if (db.get(key) != std::optional<std::string>(value)) ++wrong;
        db.incr("shared");
      }
    });
  }
  for (auto& th : pool) th.join();
  CHECK(wrong == 0);
  CHECK(db.get("shared") == std::optional<std::string>(std::to_string(threads * each)));
}

TEST_CASE("concurrency: bounded queue fails fast with queue_full", "[concurrency][backpressure]") {
  ServerProcess server;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.max_pending = 3;
  cfg.on_queue_full = valkey::QueueFullPolicy::fail;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), cfg};
  std::vector<std::error_code> results;
  auto record = [&](std::error_code ec, auto&&...) { results.push_back(ec); };
  const std::vector<std::string_view> sleep{"DEBUG", "SLEEP", "0.2"};
  c.call(sleep, record);
  c.incr("a", record);
  c.incr("a", record);
  c.incr("a", record);  // the fourth: over the bound
  valkey::test::run_until(ioc, [&] { return results.size() == 4; }, std::chrono::seconds(5));
  REQUIRE(results.size() == 4);
  // the refused one completes first (posted), the others in order
  CHECK(results[0] == valkey::errc::queue_full);
  CHECK_FALSE(results[1]);
  CHECK_FALSE(results[2]);
  CHECK_FALSE(results[3]);
  CHECK(server.command({"GET", "a"}).as_string() == "2");
}

TEST_CASE("concurrency: bounded queue with the wait policy holds requests back", "[concurrency][backpressure]") {
  ServerProcess server;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.max_pending = 4;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), cfg};
  int ok = 0;
  std::size_t max_seen = 0;
  for (int i = 0; i < 200; ++i) {
    c.incr("w", [&](std::error_code ec, std::int64_t) {
      if (!ec) ++ok;
      max_seen = std::max(max_seen, c.connection().stats().requests_written - ok);
    });
  }
  valkey::test::run_until(ioc, [&] { return ok == 200; }, std::chrono::seconds(10));
  CHECK(ok == 200);
  CHECK(max_seen <= 4 + 1);  // never more than the bound in flight (+ the PING-free handshake)
  CHECK(c.connection().stats().writes >= 200 / 4);
  CHECK(server.command({"GET", "w"}).as_string() == "200");
}

// The completions one read runs submit the next commands from inside the
// read (Connection::kDeliveryWriteEvery): a few go out together once the read
// is processed, not the first alone.
TEST_CASE("concurrency: commands submitted by completions of one read leave in one write",
          "[concurrency][coalescing]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  std::uint64_t writes_in_completion = 0;
  int done = 0;
  c.get("k", [&](std::error_code ec, std::optional<std::string>) {
    CHECK_FALSE(ec);
    writes_in_completion = c.connection().stats().writes;
    for (int i = 0; i < 10; ++i)
      c.incr("n", [&](std::error_code e, std::int64_t) {
        if (!e) ++done;
      });
  });
  valkey::test::run_until(ioc, [&] { return done == 10; }, std::chrono::seconds(5));
  REQUIRE(done == 10);
  CHECK(c.connection().stats().writes == writes_in_completion + 1);
  CHECK(server.command({"GET", "n"}).as_string() == "10");
}

// ...and a long run of them does not keep the server waiting until the
// read is done: every 64 commands are written as they come.
TEST_CASE("concurrency: a long run of completions sends its commands before it ends",
          "[concurrency][coalescing]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  std::string seen_during_completion;
  int done = 0;
  c.get("k", [&](std::error_code ec, std::optional<std::string>) {
    CHECK_FALSE(ec);
    for (int i = 0; i < 64; ++i)
      c.incr("n", [&](std::error_code e, std::int64_t) {
        if (!e) ++done;
      });
    // Still inside the read: another connection looks at the counter.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    do {
      const auto v = server.command({"GET", "n"});
      seen_during_completion = v.is_null() ? std::string("(nil)") : v.as_string();
    } while (seen_during_completion != "64" && std::chrono::steady_clock::now() < until);
  });
  valkey::test::run_until(ioc, [&] { return done == 64; }, std::chrono::seconds(10));
  CHECK(seen_during_completion == "64");
  CHECK(done == 64);
}
