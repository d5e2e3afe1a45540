// Every RESP3 and RESP2 type through the parser, each fed whole, split at
// every byte position into two reads, and one byte at a time: the nodes must
// be identical in every chunking.
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <vector>

#include "resp_support.hpp"

using valkey::test::feed_bytewise;
using valkey::test::feed_cuts;
using valkey::test::feed_whole;
using Events = std::vector<std::string>;

namespace {

struct Sample {
  std::string name;
  std::string wire;
  Events expected;
};

std::vector<Sample> samples() {
  using namespace std::string_literals;
  return {
      {"simple string", "+OK\r\n", {"simple_string 1 @0 'OK'", "END"}},
      {"empty simple string", "+\r\n", {"simple_string 1 @0", "END"}},
      {"simple error", "-ERR unknown command 'FOO'\r\n", {"simple_error 1 @0 'ERR unknown command 'FOO''", "END"}},
      {"integer", ":42\r\n", {"integer 1 @0 '42'", "END"}},
      {"negative integer", ":-9223372036854775808\r\n", {"integer 1 @0 '-9223372036854775808'", "END"}},
      {"integer with plus", ":+7\r\n", {"integer 1 @0 '+7'", "END"}},
      {"bulk string", "$5\r\nhello\r\n", {"bulk_string 1 @0 'hello'", "END"}},
      {"empty bulk string", "$0\r\n\r\n", {"bulk_string 1 @0", "END"}},
      {"binary bulk string", "$6\r\na\r\n\0b\n\r\n"s, {"bulk_string 1 @0 'a\r\n\0b\n'"s, "END"}},
      {"RESP3 null", "_\r\n", {"null 1 @0", "END"}},
      {"RESP2 null bulk", "$-1\r\n", {"null 1 @0", "END"}},
      {"RESP2 null array", "*-1\r\n", {"null 1 @0", "END"}},
      {"double", ",3.14\r\n", {"double 1 @0 '3.14'", "END"}},
      {"double exponent", ",-1.5e-10\r\n", {"double 1 @0 '-1.5e-10'", "END"}},
      {"double upper exponent", ",2E+300\r\n", {"double 1 @0 '2E+300'", "END"}},
      {"double inf", ",inf\r\n", {"double 1 @0 'inf'", "END"}},
      {"double -inf", ",-inf\r\n", {"double 1 @0 '-inf'", "END"}},
      {"double nan", ",nan\r\n", {"double 1 @0 'nan'", "END"}},
      {"double integral", ",10\r\n", {"double 1 @0 '10'", "END"}},
      {"boolean true", "#t\r\n", {"boolean 1 @0 't'", "END"}},
      {"boolean false", "#f\r\n", {"boolean 1 @0 'f'", "END"}},
      {"blob error", "!21\r\nSYNTAX invalid syntax\r\n", {"blob_error 1 @0 'SYNTAX invalid syntax'", "END"}},
      {"verbatim string", "=15\r\ntxt:Some string\r\n", {"verbatim_string 1 @0 'txt:Some string'", "END"}},
      {"big number", "(3492890328409238509324850943850943825024385\r\n",
       {"big_number 1 @0 '3492890328409238509324850943850943825024385'", "END"}},
      {"negative big number", "(-12345678901234567890123\r\n", {"big_number 1 @0 '-12345678901234567890123'", "END"}},
      {"array", "*3\r\n:1\r\n$3\r\nfoo\r\n+bar\r\n",
       {"array 3 @0", "integer 1 @1 '1'", "bulk_string 1 @1 'foo'", "simple_string 1 @1 'bar'", "END"}},
      {"empty array", "*0\r\n", {"array 0 @0", "END"}},
      {"nested arrays (RESP2)", "*2\r\n*2\r\n:1\r\n:2\r\n*1\r\n$-1\r\n",
       {"array 2 @0", "array 2 @1", "integer 1 @2 '1'", "integer 1 @2 '2'", "array 1 @1", "null 1 @2", "END"}},
      {"array with null array inside", "*2\r\n*-1\r\n:5\r\n",
       {"array 2 @0", "null 1 @1", "integer 1 @1 '5'", "END"}},
      {"map", "%2\r\n+first\r\n:1\r\n+second\r\n,2.5\r\n",
       {"map 2 @0", "simple_string 1 @1 'first'", "integer 1 @1 '1'", "simple_string 1 @1 'second'",
        "double 1 @1 '2.5'", "END"}},
      {"empty map", "%0\r\n", {"map 0 @0", "END"}},
      {"set", "~2\r\n+a\r\n+b\r\n", {"set 2 @0", "simple_string 1 @1 'a'", "simple_string 1 @1 'b'", "END"}},
      {"push", ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
       {"push 3 @0", "bulk_string 1 @1 'message'", "bulk_string 1 @1 'ch'", "bulk_string 1 @1 'hi'", "END"}},
      {"attribute before a top-level value",
       "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.1923\r\n*1\r\n:2039123\r\n",
       {"attribute 1 @0", "simple_string 1 @1 'key-popularity'", "map 1 @1", "bulk_string 1 @2 'a'",
        "double 1 @2 '0.1923'", "array 1 @0", "integer 1 @1 '2039123'", "END"}},
      {"attribute inside an array",
       "*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n",
       {"array 2 @0", "integer 1 @1 '1'", "attribute 1 @1", "simple_string 1 @2 'ttl'", "integer 1 @2 '3600'",
        "integer 1 @1 '2'", "END"}},
      {"empty attribute", "|0\r\n:1\r\n", {"attribute 0 @0", "integer 1 @0 '1'", "END"}},
      {"deep mix",
       "*2\r\n%1\r\n~1\r\n#t\r\n>1\r\n=7\r\nmkd:abc\r\n!3\r\nERR\r\n",
       {"array 2 @0", "map 1 @1", "set 1 @2", "boolean 1 @3 't'", "push 1 @2", "verbatim_string 1 @3 'mkd:abc'",
        "blob_error 1 @1 'ERR'", "END"}},
  };
}

}  // namespace

TEST_CASE("parser: every type, whole", "[resp][parser]") {
  for (const auto& s : samples()) {
    INFO(s.name);
    auto r = feed_whole(s.wire);
    REQUIRE_FALSE(r.ec);
    CHECK(r.events == s.expected);
    CHECK(r.messages == 1);
    CHECK(r.leftover.empty());
  }
}

TEST_CASE("parser: every type, split at every byte position", "[resp][parser][split]") {
  for (const auto& s : samples()) {
    for (std::size_t cut = 1; cut < s.wire.size(); ++cut) {
      INFO(s.name << " cut at " << cut);
      auto r = feed_cuts(s.wire, {cut});
      REQUIRE_FALSE(r.ec);
      CHECK(r.events == s.expected);
      CHECK(r.messages == 1);
    }
  }
}

TEST_CASE("parser: every type, one byte at a time", "[resp][parser][split]") {
  for (const auto& s : samples()) {
    INFO(s.name);
    auto r = feed_bytewise(s.wire);
    REQUIRE_FALSE(r.ec);
    CHECK(r.events == s.expected);
    CHECK(r.messages == 1);
  }
}

TEST_CASE("parser: all samples back to back, in every two-way split", "[resp][parser][split]") {
  std::string wire;
  Events expected;
  for (const auto& s : samples()) {
    wire += s.wire;
    expected.insert(expected.end(), s.expected.begin(), s.expected.end());
  }
  const auto count = samples().size();
  auto whole = feed_whole(wire);
  REQUIRE_FALSE(whole.ec);
  CHECK(whole.events == expected);
  CHECK(whole.messages == count);
  for (std::size_t cut = 1; cut < wire.size(); ++cut) {
    auto r = feed_cuts(wire, {cut});
    INFO("cut at " << cut);
    REQUIRE_FALSE(r.ec);
    REQUIRE(r.events == expected);
    REQUIRE(r.messages == count);
  }
  auto bytewise = feed_bytewise(wire);
  REQUIRE_FALSE(bytewise.ec);
  CHECK(bytewise.events == expected);
}

TEST_CASE("parser: stops after one message and leaves the next untouched", "[resp][parser]") {
  valkey::resp::Parser p;
  valkey::test::Recorder rec;
  std::error_code ec;
  const std::string wire = ":1\r\n:2\r\n";
  std::size_t n = p.consume(wire, rec, ec);
  REQUIRE_FALSE(ec);
  CHECK(n == 4);
  CHECK(p.message_complete());
  CHECK(rec.events == Events{"integer 1 @0 '1'", "END"});
  n = p.consume(std::string_view{wire}.substr(4), rec, ec);
  CHECK(n == 4);
  CHECK(p.message_complete());
}

TEST_CASE("parser: partial input reports what it needs", "[resp][parser]") {
  valkey::resp::Parser p;
  valkey::test::Recorder rec;
  std::error_code ec;
  // The header of a bulk string is consumed as soon as it is complete; the
  // hint then asks for the whole body plus CRLF.
  std::string wire = "$11\r\nhel";
  std::size_t n = p.consume(wire, rec, ec);
  REQUIRE_FALSE(ec);
  CHECK(n == 5);
  CHECK_FALSE(p.message_complete());
  CHECK(p.bytes_needed_hint() == 10);
  wire.erase(0, n);
  n = p.consume(wire, rec, ec);
  CHECK(n == 0);
  CHECK(p.bytes_needed_hint() == 10);
  wire += "lo worl";
  CHECK(p.consume(wire, rec, ec) == 0);
  CHECK(p.bytes_needed_hint() == 3);
  wire += "d\r\n";
  CHECK(p.consume(wire, rec, ec) == 13);
  CHECK(p.message_complete());
  CHECK(rec.events == Events{"bulk_string 1 @0 'hello world'", "END"});
}

TEST_CASE("parser: reset makes it usable after an error", "[resp][parser]") {
  valkey::resp::Parser p;
  valkey::test::Recorder rec;
  std::error_code ec;
  p.consume("?junk\r\n", rec, ec);
  REQUIRE(ec == valkey::errc::protocol_error);
  std::error_code again;
  CHECK(p.consume("+OK\r\n", rec, again) == 0);
  CHECK(again == valkey::errc::protocol_error);  // sticky until reset
  p.reset();
  std::error_code fresh;
  CHECK(p.consume("+OK\r\n", rec, fresh) == 5);
  CHECK_FALSE(fresh);
  CHECK(p.message_complete());
}

TEST_CASE("parser: idle() between messages only", "[resp][parser]") {
  valkey::resp::Parser p;
  valkey::test::Recorder rec;
  std::error_code ec;
  CHECK(p.idle());
  CHECK(p.consume("*2\r\n:1\r\n", rec, ec) == 8);
  CHECK_FALSE(p.idle());
  CHECK(p.consume(":2\r\n", rec, ec) == 4);
  CHECK(p.message_complete());
  CHECK(p.idle());
  CHECK(p.consume("|1\r\n+a\r\n+b\r\n", rec, ec) == 12);  // an attribute alone is not a message
  CHECK_FALSE(p.message_complete());
  CHECK_FALSE(p.idle());
}
