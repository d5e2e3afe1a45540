// Steady-state requests do not allocate: the request lives in the caller's
// frame (sync) or in recycled operation memory (async), buffers are reused.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/valkey.hpp>

#include "client_test_util.hpp"
#include "support/server_process.hpp"

// This binary's one replacement of operator new (counts every allocation).
#include "support/allocation_hook.hpp"

using valkey::test::allocations;

TEST_CASE("allocations: sequential GET/SET/INCR on AsyncClient allocate nothing", "[alloc]") {
  valkey::test::ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  long during = -1;
  bool done = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        co_await c.set("k", "value", asio::use_awaitable);
        for (int i = 0; i < 2000; ++i) {  // warm up buffers and recyclers
          co_await c.get("k", asio::use_awaitable);
          co_await c.incr("n", asio::use_awaitable);
          co_await c.set("k", "value", asio::use_awaitable);
        }
        const long before = allocations();
        for (int i = 0; i < 1000; ++i) {
          auto v = co_await c.get("k", asio::use_awaitable);
          co_await c.incr("n", asio::use_awaitable);
          co_await c.set("k", "value", asio::use_awaitable);
          if (!v) break;
        }
        during = allocations() - before;
        done = true;
      },
      asio::detached);
  REQUIRE(valkey::test::run_until(ioc, [&] { return done; }, std::chrono::seconds(30)));
  CHECK(during == 0);
}

TEST_CASE("allocations: sequential GET/SET/INCR on the sync Client allocate nothing", "[alloc]") {
  valkey::test::ServerProcess server;
  valkey::Client db{server.url()};
  db.set("k", "value");
  for (int i = 0; i < 2000; ++i) {
    (void)db.get("k");
    db.incr("n");
    db.set("k", "value");
  }
  const long before = allocations();
  for (int i = 0; i < 1000; ++i) {
    (void)db.get("k");
    db.incr("n");
    db.set("k", "value");
  }
  CHECK(allocations() - before == 0);
}
