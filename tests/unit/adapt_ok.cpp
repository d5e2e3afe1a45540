// valkey::Ok: +OK (any simple string), never a bulk string or a null.
#include <catch2/catch_test_macros.hpp>

#include <optional>
#include <tuple>

#include <valkey/command.hpp>

#include "adapt_support.hpp"

using valkey::errc;
using valkey::Ok;
using valkey::test::decode;

TEST_CASE("adapt: Ok", "[adapt]") {
  CHECK_FALSE(decode<Ok>("+OK\r\n").ec);
  CHECK_FALSE(decode<Ok>("+QUEUED\r\n").ec);
  CHECK(decode<Ok>("$2\r\nOK\r\n").ec == errc::unexpected_reply_type);
  CHECK(decode<Ok>(":1\r\n").ec == errc::unexpected_reply_type);
  CHECK(decode<Ok>("_\r\n").ec == errc::unexpected_null);
  CHECK(decode<Ok>("$-1\r\n").ec == errc::unexpected_null);
  auto err = decode<Ok>("-ERR syntax error\r\n");
  CHECK(err.ec == errc::server_error);
  CHECK(err.message == "ERR syntax error");
  // SET ... NX: +OK or null
  CHECK(decode<std::optional<Ok>>("_\r\n").value == std::nullopt);
  CHECK(decode<std::optional<Ok>>("$-1\r\n").value == std::nullopt);
  CHECK(decode<std::optional<Ok>>("+OK\r\n").value == Ok{});
  // EXEC of SET + INCR
  using Exec = std::tuple<Ok, std::int64_t>;
  CHECK(decode<Exec>("*2\r\n+OK\r\n:3\r\n").value == Exec{Ok{}, 3});
}
