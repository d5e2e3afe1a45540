// Malformed input and every limit: each must end in the right errc::protocol_*
// code, in any chunking, without buffering without bound.
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <vector>

#include "resp_support.hpp"

using valkey::errc;
using valkey::resp::Limits;
using valkey::test::feed_bytewise;
using valkey::test::feed_cuts;
using valkey::test::feed_whole;

namespace {

void expect_error(const std::string& wire, errc code, Limits limits = {}) {
  INFO("wire: " << wire.substr(0, 80));
  auto whole = feed_whole(wire, limits);
  CHECK(whole.ec == code);
  CHECK(whole.messages == 0);
  auto bytewise = feed_bytewise(wire, limits);
  CHECK(bytewise.ec == code);
  for (std::size_t cut = 1; cut < wire.size() && cut < 64; ++cut) {
    auto split = feed_cuts(wire, {cut}, limits);
    INFO("cut at " << cut);
    CHECK(split.ec == code);
  }
}

}  // namespace

TEST_CASE("parser: junk and bad framing are protocol errors", "[resp][parser][malformed]") {
  for (const char* wire : {
           "?junk\r\n", "\r\n", "x\r\n", " +OK\r\n", "\x01\r\n",
           "+OK\rX", "+OK\n", "+O\nK\r\n", "-ERR\n", ":1\n",
           "$3\r\nfooXY", "$3\r\nfoo\n\n", "$3\r\nfoo\rX", "=3\r\nabc\r\n", "=5\r\nabcde\r\n",
           "!3\r\nERRxx",
           "$?\r\n", "*?\r\n", "$-2\r\n", "$abc\r\n", "$\r\n", "$+3\r\nfoo\r\n", "$ 3\r\nfoo\r\n",
           "$99999999999999999999999\r\n", "*-2\r\n", "%-1\r\n", "~-1\r\n", ">-1\r\n", "|-1\r\n", "=-1\r\n", "!-1\r\n",
           "*1x\r\n", "*\r\n", "*1\r\n?\r\n", "*2\r\n:1\r\n:x\r\n",
       }) {
    expect_error(wire, errc::protocol_error);
  }
}

TEST_CASE("parser: bad numbers, booleans, nulls", "[resp][parser][malformed]") {
  for (const char* wire : {
           ":\r\n", ":abc\r\n", ":1.5\r\n", ":-\r\n", ":+\r\n", ":12 \r\n", ": 12\r\n", ":0x10\r\n",
           ":9223372036854775808\r\n", ":-9223372036854775809\r\n", ":99999999999999999999\r\n",
           ",\r\n", ",abc\r\n", ",1.2.3\r\n", ",1e\r\n", ",nan(1)\r\n", ",0x10\r\n", ",1,5\r\n", ", 1\r\n", ",--1\r\n",
           "#\r\n", "#x\r\n", "#tt\r\n", "#T\r\n", "#1\r\n",
           "_x\r\n", "_ \r\n",
           "(\r\n", "(12a\r\n", "(-\r\n", "(1.5\r\n",
       }) {
    expect_error(wire, errc::protocol_error);
  }
}

TEST_CASE("parser: max_depth", "[resp][parser][limits]") {
  Limits l;
  l.max_depth = 3;
  auto ok = feed_whole("*1\r\n*1\r\n*1\r\n:1\r\n", l);
  CHECK_FALSE(ok.ec);
  CHECK(ok.messages == 1);
  expect_error("*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", errc::protocol_depth_exceeded, l);
  expect_error("*1\r\n%1\r\n~1\r\n>0\r\n", errc::protocol_depth_exceeded, l);
  // Attribute elements nest like any aggregate's.
  expect_error("|1\r\n+k\r\n*1\r\n*1\r\n*1\r\n:1\r\n:1\r\n", errc::protocol_depth_exceeded, l);
}

TEST_CASE("parser: a 100,000-deep reply is refused without recursion", "[resp][parser][limits]") {
  std::string wire;
  for (int i = 0; i < 100000; ++i) wire += "*1\r\n";
  wire += ":1\r\n";
  auto whole = feed_whole(wire);
  CHECK(whole.ec == errc::protocol_depth_exceeded);
  std::vector<std::size_t> cuts;
  for (std::size_t c = 7; c < wire.size(); c += 4093) cuts.push_back(c);
  auto chunked = feed_cuts(wire, cuts);
  CHECK(chunked.ec == errc::protocol_depth_exceeded);
  // The default limit itself is accepted.
  std::string at_limit;
  for (std::size_t i = 0; i < Limits{}.max_depth; ++i) at_limit += "*1\r\n";
  at_limit += ":1\r\n";
  auto fine = feed_whole(at_limit);
  CHECK_FALSE(fine.ec);
  CHECK(fine.messages == 1);
}

TEST_CASE("parser: max_bulk_length is checked on the header", "[resp][parser][limits]") {
  Limits l;
  l.max_bulk_length = 10;
  auto ok = feed_whole("$10\r\n0123456789\r\n", l);
  CHECK_FALSE(ok.ec);
  // Refused before any body byte arrives.
  expect_error("$11\r\n", errc::protocol_bulk_too_large, l);
  expect_error("=11\r\n", errc::protocol_bulk_too_large, l);
  expect_error("!11\r\n", errc::protocol_bulk_too_large, l);
  expect_error("*1\r\n$9223372036854775807\r\n", errc::protocol_bulk_too_large, l);
}

TEST_CASE("parser: max_line_length, terminated or not", "[resp][parser][limits]") {
  Limits l;
  l.max_line_length = 8;
  auto ok = feed_whole("+12345678\r\n", l);
  CHECK_FALSE(ok.ec);
  expect_error("+123456789\r\n", errc::protocol_line_too_long, l);
  expect_error(":1234567890\r\n", errc::protocol_line_too_long, l);
  // An unterminated line is refused once it outgrows the limit, not buffered.
  expect_error("+123456789", errc::protocol_line_too_long, l);
  expect_error("*2\r\n+1\r\n-ERRRRRRRRRRRRRRRRRRRRRRRRRRRR", errc::protocol_line_too_long, l);

  // With the default limit: 1 MiB of a never-ending line fails within 64 KiB.
  valkey::resp::Parser parser;
  valkey::test::Recorder rec;
  std::error_code ec;
  std::string buf = "+";
  std::size_t fed = 1;
  while (!ec && fed < (1u << 20)) {
    buf.append(1024, 'x');
    fed += 1024;
    std::size_t n = parser.consume(buf, rec, ec);
    buf.erase(0, n);
  }
  CHECK(ec == errc::protocol_line_too_long);
  CHECK(fed <= Limits{}.max_line_length + 2048);
}

TEST_CASE("parser: max_aggregate_size", "[resp][parser][limits]") {
  Limits l;
  l.max_aggregate_size = 4;
  auto ok = feed_whole("*4\r\n:1\r\n:2\r\n:3\r\n:4\r\n", l);
  CHECK_FALSE(ok.ec);
  auto map_ok = feed_whole("%2\r\n:1\r\n:2\r\n:3\r\n:4\r\n", l);
  CHECK_FALSE(map_ok.ec);
  for (const char* wire : {"*5\r\n", "%5\r\n", "~5\r\n", ">5\r\n", "|5\r\n", "*1\r\n*5\r\n"})
    expect_error(wire, errc::protocol_aggregate_too_large, l);
  // The default limit refuses a hostile count without reserving memory for it.
  expect_error("*4294967296\r\n", errc::protocol_aggregate_too_large);
}

TEST_CASE("parser: max_message_bytes", "[resp][parser][limits]") {
  Limits l;
  l.max_message_bytes = 32;
  // 4 + 7 * 4 = 32 bytes: exactly at the limit.
  auto ok = feed_whole("*7\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n:6\r\n:7\r\n", l);
  CHECK_FALSE(ok.ec);
  CHECK(ok.messages == 1);
  expect_error("*8\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n:6\r\n:7\r\n:8\r\n", errc::protocol_message_too_large, l);
  // A bulk header that announces too much is refused before its body.
  expect_error("*1\r\n$30\r\n", errc::protocol_message_too_large, l);
  // The count restarts with every message.
  std::string many;
  for (int i = 0; i < 20; ++i) many += "$10\r\n0123456789\r\n";
  auto r = feed_whole(many, l);
  CHECK_FALSE(r.ec);
  CHECK(r.messages == 20);
}

TEST_CASE("parser: an error after some nodes of a message stops there", "[resp][parser][malformed]") {
  auto r = feed_whole("*3\r\n:1\r\n:2\r\n:x\r\n");
  CHECK(r.ec == errc::protocol_error);
  CHECK(r.events == std::vector<std::string>{"array 3 @0", "integer 1 @1 '1'", "integer 1 @1 '2'"});
}

TEST_CASE("parser: a large bulk string in small reads", "[resp][parser]") {
  const std::string body(1 << 20, 'v');
  std::string wire = "*2\r\n$" + std::to_string(body.size()) + "\r\n" + body + "\r\n:7\r\n";
  std::vector<std::size_t> cuts;
  for (std::size_t c = 4096; c < wire.size(); c += 4096) cuts.push_back(c);
  auto r = feed_cuts(wire, cuts);
  REQUIRE_FALSE(r.ec);
  CHECK(r.messages == 1);
  REQUIRE(r.events.size() == 4);
  CHECK(r.events[1] == "bulk_string 1 @1 '" + body + "'");
}
