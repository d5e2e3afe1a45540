// Typed decoders for scalars, RESP3 and RESP2 spellings, and mismatches.
#include <catch2/catch_test_macros.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include "adapt_support.hpp"

using valkey::errc;
using valkey::test::decode;

TEST_CASE("adapt: std::string", "[adapt]") {
  CHECK(decode<std::string>("+OK\r\n").value == "OK");
  CHECK(decode<std::string>("$5\r\nhello\r\n").value == "hello");
  CHECK(decode<std::string>("$0\r\n\r\n").value.empty());
  CHECK(decode<std::string>("=15\r\ntxt:Some string\r\n").value == "Some string");
  CHECK(decode<std::string>("(12345678901234567890123\r\n").value == "12345678901234567890123");
  CHECK(decode<std::string>(",3.14\r\n").value == "3.14");
  CHECK(decode<std::string>(":-12\r\n").value == "-12");
  CHECK(decode<std::string>("_\r\n").ec == errc::unexpected_null);
  CHECK(decode<std::string>("$-1\r\n").ec == errc::unexpected_null);
  CHECK(decode<std::string>("*1\r\n+a\r\n").ec == errc::unexpected_reply_type);
  CHECK(decode<std::string>("#t\r\n").ec == errc::unexpected_reply_type);
}

TEST_CASE("adapt: integers", "[adapt]") {
  CHECK(decode<std::int64_t>(":42\r\n").value == 42);
  CHECK(decode<std::int64_t>(":-9223372036854775808\r\n").value == INT64_MIN);
  CHECK(decode<std::int64_t>("$2\r\n42\r\n").value == 42);  // RESP2 numbers in bulk strings
  CHECK(decode<std::int64_t>("+17\r\n").value == 17);
  CHECK(decode<std::int64_t>("(123\r\n").value == 123);
  CHECK(decode<std::int64_t>("(99999999999999999999\r\n").ec == errc::invalid_number);
  CHECK(decode<std::int64_t>("$3\r\nabc\r\n").ec == errc::invalid_number);
  CHECK(decode<std::int64_t>(",1.5\r\n").ec == errc::unexpected_reply_type);
  CHECK(decode<std::int64_t>("_\r\n").ec == errc::unexpected_null);
  CHECK(decode<int>(":2147483647\r\n").value == 2147483647);
  CHECK(decode<int>(":2147483648\r\n").ec == errc::invalid_number);
  CHECK(decode<std::uint64_t>("$20\r\n18446744073709551615\r\n").value == UINT64_MAX);
  CHECK(decode<std::uint64_t>(":-1\r\n").ec == errc::invalid_number);
  CHECK(decode<std::uint8_t>(":255\r\n").value == 255);
  CHECK(decode<std::uint8_t>(":256\r\n").ec == errc::invalid_number);
  CHECK(decode<long long>(":5\r\n").value == 5);
}

TEST_CASE("adapt: bool", "[adapt]") {
  CHECK(decode<bool>("#t\r\n").value == true);
  CHECK(decode<bool>("#f\r\n").value == false);
  CHECK(decode<bool>(":1\r\n").value == true);  // RESP2
  CHECK(decode<bool>(":0\r\n").value == false);
  CHECK(decode<bool>(":2\r\n").ec == errc::unexpected_reply_type);
  // "Did it happen" replies: SET answers +OK when it wrote, nil when NX/XX/IFEQ
  // kept it from writing.
  CHECK(decode<bool>("+OK\r\n").value == true);
  CHECK(decode<bool>("_\r\n").value == false);
  CHECK(decode<bool>("$-1\r\n").value == false);  // RESP2 nil
  CHECK(decode<bool>("+QUEUED\r\n").ec == errc::unexpected_reply_type);
  CHECK(decode<bool>("$2\r\nOK\r\n").ec == errc::unexpected_reply_type);  // a value, not a status
}

TEST_CASE("adapt: double", "[adapt]") {
  CHECK(decode<double>(",3.5\r\n").value == 3.5);
  CHECK(decode<double>(",1e-3\r\n").value == 1e-3);
  CHECK(decode<double>(",inf\r\n").value == INFINITY);
  CHECK(decode<double>(",-inf\r\n").value == -INFINITY);
  CHECK(std::isnan(decode<double>(",nan\r\n").value));
  CHECK(decode<double>("$4\r\n3.25\r\n").value == 3.25);  // RESP2 ZSCORE
  CHECK(decode<double>("$3\r\ninf\r\n").value == INFINITY);
  CHECK(decode<double>("$4\r\n-inf\r\n").value == -INFINITY);
  CHECK(decode<double>("$4\r\n+inf\r\n").value == INFINITY);
  CHECK(decode<double>("$5\r\n1e400\r\n").value == INFINITY);
  CHECK(decode<double>(":7\r\n").value == 7.0);
  CHECK(decode<double>("$3\r\nabc\r\n").ec == errc::invalid_number);
  CHECK(decode<double>("$0\r\n\r\n").ec == errc::invalid_number);
  CHECK(decode<double>("#t\r\n").ec == errc::unexpected_reply_type);
}

TEST_CASE("adapt: optional", "[adapt]") {
  CHECK(decode<std::optional<std::string>>("$-1\r\n").value == std::nullopt);
  CHECK(decode<std::optional<std::string>>("_\r\n").value == std::nullopt);
  CHECK(decode<std::optional<std::string>>("$1\r\na\r\n").value == "a");
  CHECK(decode<std::optional<std::int64_t>>(":3\r\n").value == 3);
  CHECK(decode<std::optional<double>>("*-1\r\n").value == std::nullopt);
  CHECK(decode<std::optional<std::int64_t>>("+x\r\n").ec == errc::invalid_number);
}

TEST_CASE("adapt: an error reply at depth 0 is a server error for every type", "[adapt]") {
  auto s = decode<std::string>("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  CHECK(s.ec == errc::server_error);
  CHECK(s.message == "WRONGTYPE Operation against a key holding the wrong kind of value");
  CHECK(decode<std::int64_t>("!11\r\nERR blob it\r\n").message == "ERR blob it");
  CHECK(decode<std::optional<std::string>>("-ERR x\r\n").ec == errc::server_error);
  CHECK(decode<valkey::Reply>("-ERR x\r\n").ec == errc::server_error);
  CHECK(decode<valkey::adapt::Ignore>("-ERR x\r\n").ec == errc::server_error);

  valkey::resp::Parser p;
  valkey::adapt::ResponseVisitor<std::string> v;
  std::error_code ec;
  p.consume("-NOSCRIPT No matching script\r\n", v, ec);
  REQUIRE(v.complete());
  CHECK(v.is_server_error());
  try {
    v.throw_if_error();
    FAIL("no throw");
  } catch (const valkey::ServerError& e) {
    CHECK(e.prefix() == "NOSCRIPT");
    CHECK(e.message() == "NOSCRIPT No matching script");
  }
}

TEST_CASE("adapt: attributes are skipped for typed values", "[adapt]") {
  CHECK(decode<std::int64_t>("|1\r\n+ttl\r\n*2\r\n:1\r\n:2\r\n:5\r\n").value == 5);
  CHECK(decode<std::int64_t>("|0\r\n:5\r\n").value == 5);
  auto v = decode<std::vector<std::int64_t>>("*2\r\n:1\r\n|1\r\n+a\r\n|1\r\n+b\r\n+c\r\n+d\r\n:2\r\n");
  REQUIRE_FALSE(v.ec);
  CHECK(v.value == std::vector<std::int64_t>{1, 2});
  // An error inside an attribute is metadata, not the reply.
  CHECK(decode<std::int64_t>("|1\r\n+k\r\n-ERR meta\r\n:5\r\n").value == 5);
}

TEST_CASE("adapt: Ignore takes anything", "[adapt]") {
  CHECK_FALSE(decode<valkey::adapt::Ignore>("*2\r\n*1\r\n-ERR nested\r\n%1\r\n:1\r\n:2\r\n").ec);
  CHECK_FALSE(decode<valkey::adapt::Ignore>("_\r\n").ec);
  CHECK_FALSE(decode<std::vector<valkey::adapt::Ignore>>("*3\r\n*1\r\n:1\r\n:2\r\n*0\r\n").ec);
  CHECK(decode<std::vector<valkey::adapt::Ignore>>("*3\r\n*1\r\n:1\r\n:2\r\n*0\r\n").value.size() == 3);
}
