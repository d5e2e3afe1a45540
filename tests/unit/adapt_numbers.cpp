// Number decoders take RESP3 integers and doubles from the parser's node
// (Node::integer, Node::number) and RESP2 numbers sent as strings from the
// text: both roads must give the same values and the same failures.
#include <catch2/catch_test_macros.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "adapt_support.hpp"

using valkey::errc;
using valkey::test::decode;

TEST_CASE("adapt numbers: integers from the node and from text agree", "[adapt][numbers]") {
  struct Case {
    const char* resp3;
    const char* resp2;
    std::int64_t value;
  };
  for (const Case& c : {
           Case{":0\r\n", "$1\r\n0\r\n", 0},
           Case{":+7\r\n", "$2\r\n+7\r\n", 7},
           Case{":-12\r\n", "$3\r\n-12\r\n", -12},
           Case{":9223372036854775807\r\n", "$19\r\n9223372036854775807\r\n", INT64_MAX},
           Case{":-9223372036854775808\r\n", "$20\r\n-9223372036854775808\r\n", INT64_MIN},
       }) {
    INFO(c.resp3);
    auto node = decode<std::int64_t>(c.resp3);
    auto text = decode<std::int64_t>(c.resp2);
    REQUIRE_FALSE(node.ec);
    REQUIRE_FALSE(text.ec);
    CHECK(node.value == c.value);
    CHECK(text.value == c.value);
    CHECK(decode<double>(c.resp3).value == static_cast<double>(c.value));
  }
}

TEST_CASE("adapt numbers: narrower and unsigned integers are range-checked", "[adapt][numbers]") {
  CHECK(decode<std::uint64_t>(":9223372036854775807\r\n").value == 9223372036854775807u);
  CHECK(decode<std::uint64_t>(":0\r\n").value == 0);
  CHECK(decode<std::uint64_t>(":-1\r\n").ec == errc::invalid_number);
  CHECK(decode<std::uint64_t>(":-9223372036854775808\r\n").ec == errc::invalid_number);
  CHECK(decode<std::uint64_t>("$2\r\n-1\r\n").ec == errc::invalid_number);
  CHECK(decode<std::uint32_t>(":4294967295\r\n").value == 4294967295u);
  CHECK(decode<std::uint32_t>(":4294967296\r\n").ec == errc::invalid_number);
  CHECK(decode<std::int16_t>(":-32768\r\n").value == -32768);
  CHECK(decode<std::int16_t>(":-32769\r\n").ec == errc::invalid_number);
  CHECK(decode<std::int16_t>("$6\r\n-32769\r\n").ec == errc::invalid_number);
  CHECK(decode<int>(",1.0\r\n").ec == errc::unexpected_reply_type);
  CHECK(decode<std::uint64_t>("#t\r\n").ec == errc::unexpected_reply_type);
}

TEST_CASE("adapt numbers: doubles from the node and from text agree", "[adapt][numbers]") {
  struct Case {
    const char* resp3;
    const char* resp2;
    double value;
  };
  constexpr double inf = std::numeric_limits<double>::infinity();
  for (const Case& c : {
           Case{",0.1\r\n", "$3\r\n0.1\r\n", 0.1},
           Case{",-1.5e-10\r\n", "$8\r\n-1.5e-10\r\n", -1.5e-10},
           Case{",2E+300\r\n", "$6\r\n2E+300\r\n", 2e300},
           Case{",10\r\n", "$2\r\n10\r\n", 10.0},
           Case{",inf\r\n", "$3\r\ninf\r\n", inf},
           Case{",-inf\r\n", "$4\r\n-inf\r\n", -inf},
           Case{",1e400\r\n", "$5\r\n1e400\r\n", inf},
           Case{",1e-400\r\n", "$6\r\n1e-400\r\n", 0.0},
       }) {
    INFO(c.resp3);
    auto node = decode<double>(c.resp3);
    auto text = decode<double>(c.resp2);
    REQUIRE_FALSE(node.ec);
    REQUIRE_FALSE(text.ec);
    CHECK(node.value == c.value);
    CHECK(text.value == c.value);
  }
  CHECK(std::isnan(decode<double>(",nan\r\n").value));
  CHECK(std::isnan(decode<double>("$3\r\nnan\r\n").value));
  CHECK(std::signbit(decode<double>(",-1e-400\r\n").value));
  CHECK(decode<double>("(123\r\n").value == 123.0);  // big numbers stay text
  CHECK(decode<double>("$6\r\n1.5abc\r\n").ec == errc::invalid_number);
}

TEST_CASE("adapt numbers: inside aggregates, both spellings mixed", "[adapt][numbers]") {
  auto d = decode<std::vector<double>>("*4\r\n,1.5\r\n:2\r\n$3\r\n2.5\r\n+3\r\n");
  REQUIRE_FALSE(d.ec);
  CHECK(d.value == std::vector<double>{1.5, 2.0, 2.5, 3.0});
  auto i = decode<std::vector<std::optional<std::int64_t>>>("*3\r\n:-4\r\n_\r\n$2\r\n40\r\n");
  REQUIRE_FALSE(i.ec);
  CHECK(i.value == std::vector<std::optional<std::int64_t>>{-4, std::nullopt, 40});
  auto r = decode<valkey::Reply>("*3\r\n:-4\r\n,0.5\r\n#t\r\n");
  REQUIRE_FALSE(r.ec);
  CHECK(r.value[0].as_integer() == -4);
  CHECK(r.value[1].as_double() == 0.5);
  CHECK(r.value[1].raw() == "0.5");
  CHECK(r.value[2].as_bool());
}
