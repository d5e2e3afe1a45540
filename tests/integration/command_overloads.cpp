// The single-element overloads (db.del("k"), db.hset("h", "f", "v")...) against
// a real server: sync, in a pipeline and inside a coroutine, where they spare
// the braced lists g++ 12 miscompiles in co_await expressions.
#include <catch2/catch_test_macros.hpp>

#include <optional>
#include <string>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/pipeline.hpp>
#include <valkey/valkey.hpp>

#include "support/server_process.hpp"

using valkey::test::ServerProcess;

TEST_CASE("overloads: single key and pair calls on a sync client", "[overloads]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  CHECK(db.hset("user:1", "name", "Ada") == 1);
  CHECK(db.hget("user:1", "name") == std::optional<std::string>("Ada"));
  CHECK(db.sadd("tags", "x") == 1);
  CHECK(db.sadd("tags", "x") == 0);
  CHECK(db.lpush("queue", "job") == 1);
  CHECK(db.zadd("board", 1.5, "ada") == 1);
  CHECK(db.zscore("board", "ada") == std::optional<double>(1.5));
  CHECK(db.exists("user:1") == 1);
  CHECK(db.hdel("user:1", "name") == 1);
  CHECK(db.exists("user:1") == 0);  // the last field went, and the hash with it
  CHECK(db.unlink("tags") == 1);
  CHECK(db.del("queue") == 1);
  CHECK(db.del("queue") == 0);
  CHECK(db.exists({"board", "queue"}) == 1);  // the list form is unchanged
}

TEST_CASE("overloads: single element in a pipeline and a coroutine", "[overloads]") {
  ServerProcess server;
  {
    valkey::Client db{server.url()};
    auto [added, fields] = valkey::pipeline(db).hset("h", "f", "v").hdel("h", "f").exec();
    CHECK(added == 1);
    CHECK(fields == 1);
  }
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  std::int64_t pushed = 0, removed = 0;
  bool done = false;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    pushed = co_await c.rpush("list", "a", asio::use_awaitable);
    removed = co_await c.del("list", asio::use_awaitable);
    done = true;
    c.close();
  }, asio::detached);
  ioc.run();
  REQUIRE(done);
  CHECK(pushed == 1);
  CHECK(removed == 1);
}
