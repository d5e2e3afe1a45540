// The Redis 7 fixture starts the Debian redis-server, not Valkey.
#include <catch2/catch_test_macros.hpp>

#include "support/redis7.hpp"

using valkey::test::info_field;

TEST_CASE("fixture: Redis7 answers and reports redis_version 7", "[fixture][redis7]") {
  valkey::test::Redis7 redis;
  INFO(redis.log());
  CHECK(redis.command({"PING"}).as_string() == "PONG");
  auto info = redis.command({"INFO", "server"}).as_string();
  CHECK(info_field(info, "redis_version").rfind("7.", 0) == 0);
  CHECK(info_field(info, "server_name").empty());  // Valkey adds server_name:valkey; Redis does not
  CHECK(redis.command({"SET", "k", "v"}).as_string() == "OK");
  CHECK(redis.command({"GET", "k"}).as_string() == "v");
}
