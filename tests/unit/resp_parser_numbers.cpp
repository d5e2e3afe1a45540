// The numbers the parser hands over in the node (Node::integer, Node::number)
// so that decoders do not parse the text again: for every numeric type, fed
// whole, split at every byte position and one byte at a time.
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <vector>

#include "resp_support.hpp"

using valkey::test::feed_bytewise;
using valkey::test::feed_cuts;
using valkey::test::feed_whole;
using valkey::test::NumberRecorder;
using Events = std::vector<std::string>;

namespace {

struct Sample {
  std::string wire;
  Events expected;  // "<type> i=<Node::integer> d=<Node::number>"
};

std::vector<Sample> samples() {
  return {
      // integers
      {":42\r\n", {"integer i=42 d=0", "END"}},
      {":0\r\n", {"integer i=0 d=0", "END"}},
      {":-0\r\n", {"integer i=0 d=0", "END"}},
      {":+7\r\n", {"integer i=7 d=0", "END"}},
      {":-12\r\n", {"integer i=-12 d=0", "END"}},
      {":9223372036854775807\r\n", {"integer i=9223372036854775807 d=0", "END"}},
      {":-9223372036854775808\r\n", {"integer i=-9223372036854775808 d=0", "END"}},
      {":0000000000000000000000042\r\n", {"integer i=42 d=0", "END"}},
      // doubles
      {",3.14\r\n", {"double i=0 d=3.14", "END"}},
      {",0.1\r\n", {"double i=0 d=0.1", "END"}},
      {",.5\r\n", {"double i=0 d=0.5", "END"}},
      {",10\r\n", {"double i=0 d=10", "END"}},
      {",-1.5e-10\r\n", {"double i=0 d=-1.5e-10", "END"}},
      {",2E+300\r\n", {"double i=0 d=2e+300", "END"}},
      {",1.7976931348623157e308\r\n", {"double i=0 d=1.7976931348623157e+308", "END"}},
      {",inf\r\n", {"double i=0 d=inf", "END"}},
      {",+inf\r\n", {"double i=0 d=inf", "END"}},
      {",-inf\r\n", {"double i=0 d=-inf", "END"}},
      {",-Infinity\r\n", {"double i=0 d=-inf", "END"}},
      {",nan\r\n", {"double i=0 d=nan", "END"}},
      {",1e400\r\n", {"double i=0 d=inf", "END"}},
      {",-1e400\r\n", {"double i=0 d=-inf", "END"}},
      {",1e-400\r\n", {"double i=0 d=0", "END"}},
      {",-1e-400\r\n", {"double i=0 d=-0", "END"}},
      // booleans
      {"#t\r\n", {"boolean i=1 d=0", "END"}},
      {"#f\r\n", {"boolean i=0 d=0", "END"}},
      // aggregate headers carry their count
      {"*3\r\n:1\r\n,2.5\r\n#t\r\n", {"array i=3 d=0", "integer i=1 d=0", "double i=0 d=2.5", "boolean i=1 d=0", "END"}},
      {"*0\r\n", {"array i=0 d=0", "END"}},
      {"%2\r\n+a\r\n:-1\r\n+b\r\n,-0.25\r\n",
       {"map i=2 d=0", "simple_string i=0 d=0", "integer i=-1 d=0", "simple_string i=0 d=0", "double i=0 d=-0.25",
        "END"}},
      {"~1\r\n:5\r\n", {"set i=1 d=0", "integer i=5 d=0", "END"}},
      {">2\r\n+x\r\n:6\r\n", {"push i=2 d=0", "simple_string i=0 d=0", "integer i=6 d=0", "END"}},
      {"|1\r\n+ttl\r\n:3600\r\n,1.5\r\n",
       {"attribute i=1 d=0", "simple_string i=0 d=0", "integer i=3600 d=0", "double i=0 d=1.5", "END"}},
      {"*2\r\n*1\r\n:-3\r\n*2\r\n,1e3\r\n:4\r\n",
       {"array i=2 d=0", "array i=1 d=0", "integer i=-3 d=0", "array i=2 d=0", "double i=0 d=1000",
        "integer i=4 d=0", "END"}},
      // text types hold no number, even when the text is one (RESP2 numbers,
      // big numbers that may not fit): decoders parse those from Node::value
      {"$2\r\n42\r\n", {"bulk_string i=0 d=0", "END"}},
      {"$4\r\n3.25\r\n", {"bulk_string i=0 d=0", "END"}},
      {"+17\r\n", {"simple_string i=0 d=0", "END"}},
      {"=7\r\ntxt:1.5\r\n", {"verbatim_string i=0 d=0", "END"}},
      {"(12\r\n", {"big_number i=0 d=0", "END"}},
      {"(3492890328409238509324850943850943825024385\r\n", {"big_number i=0 d=0", "END"}},
      {"-ERR 5\r\n", {"simple_error i=0 d=0", "END"}},
      {"_\r\n", {"null i=0 d=0", "END"}},
      {"$-1\r\n", {"null i=0 d=0", "END"}},
      {"*-1\r\n", {"null i=0 d=0", "END"}},
  };
}

}  // namespace

TEST_CASE("parser: numbers in the node, whole", "[resp][parser][numbers]") {
  for (const auto& s : samples()) {
    INFO(s.wire);
    auto r = feed_whole<NumberRecorder>(s.wire);
    REQUIRE_FALSE(r.ec);
    CHECK(r.events == s.expected);
    CHECK(r.messages == 1);
  }
}

TEST_CASE("parser: numbers in the node, split at every byte position", "[resp][parser][numbers][split]") {
  for (const auto& s : samples()) {
    for (std::size_t cut = 1; cut < s.wire.size(); ++cut) {
      INFO(s.wire << " cut at " << cut);
      auto r = feed_cuts<NumberRecorder>(s.wire, {cut});
      REQUIRE_FALSE(r.ec);
      CHECK(r.events == s.expected);
    }
    INFO(s.wire << " one byte at a time");
    auto r = feed_bytewise<NumberRecorder>(s.wire);
    REQUIRE_FALSE(r.ec);
    CHECK(r.events == s.expected);
  }
}

TEST_CASE("parser: numbers of messages back to back, in every two-way split", "[resp][parser][numbers][split]") {
  std::string wire;
  Events expected;
  for (const auto& s : samples()) {
    wire += s.wire;
    expected.insert(expected.end(), s.expected.begin(), s.expected.end());
  }
  for (std::size_t cut = 1; cut < wire.size(); ++cut) {
    INFO("cut at " << cut);
    auto r = feed_cuts<NumberRecorder>(wire, {cut});
    REQUIRE_FALSE(r.ec);
    REQUIRE(r.events == expected);
    REQUIRE(r.messages == samples().size());
  }
}
