// A blocking command sent again after a redirection waits only for what is
// left of its timeout: the timeout argument found by command, rewritten in
// its unit, never 0 (forever), and left alone where there is none.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <string>
#include <vector>

#include <valkey/exec/encoded_command.hpp>

#include "../../runtime/src/cluster/blocking_timeout.hpp"
#include "mux_support.hpp"

using namespace std::chrono_literals;
using valkey::cluster::remaining_timeout;
using valkey::test::encode_command;

namespace {

std::vector<std::string> args_of(const std::string& bytes) {
  std::vector<std::string_view> argv;
  REQUIRE(valkey::exec::parse_command(bytes, argv));
  return {argv.begin(), argv.end()};
}

}  // namespace

TEST_CASE("blocking timeout: seconds, last argument or first, reduced by the time elapsed", "[cluster][unit]") {
  std::string out;
  REQUIRE(remaining_timeout(encode_command({"BLPOP", "a", "b", "5"}), 1500ms, out));
  CHECK(args_of(out) == std::vector<std::string>{"BLPOP", "a", "b", "3.500"});
  REQUIRE(remaining_timeout(encode_command({"blmove", "s", "d", "LEFT", "RIGHT", "2.5"}), 500ms, out));
  CHECK(args_of(out) == std::vector<std::string>{"blmove", "s", "d", "LEFT", "RIGHT", "2.000"});
  REQUIRE(remaining_timeout(encode_command({"BZMPOP", "4", "1", "z", "MIN"}), 1s, out));
  CHECK(args_of(out) == std::vector<std::string>{"BZMPOP", "3.000", "1", "z", "MIN"});
  // Past the timeout: the smallest wait that is not "forever".
  REQUIRE(remaining_timeout(encode_command({"BRPOP", "a", "1"}), 3s, out));
  CHECK(args_of(out).back() == "0.001");
}

TEST_CASE("blocking timeout: XREAD BLOCK in milliseconds, before STREAMS only", "[cluster][unit]") {
  std::string out;
  REQUIRE(remaining_timeout(encode_command({"XREAD", "COUNT", "2", "BLOCK", "5000", "STREAMS", "s", "$"}), 1200ms, out));
  CHECK(args_of(out) == std::vector<std::string>{"XREAD", "COUNT", "2", "BLOCK", "3800", "STREAMS", "s", "$"});
  REQUIRE(remaining_timeout(encode_command({"XREADGROUP", "GROUP", "g", "c", "BLOCK", "100", "STREAMS", "s", ">"}), 1s,
                            out));
  CHECK(args_of(out)[5] == "1");
  // A stream named BLOCK is a key, not the option.
  CHECK_FALSE(remaining_timeout(encode_command({"XREAD", "STREAMS", "BLOCK", "0-0"}), 1s, out));
}

TEST_CASE("blocking timeout: nothing to rewrite", "[cluster][unit]") {
  std::string out = "untouched";
  CHECK_FALSE(remaining_timeout(encode_command({"BLPOP", "a", "0"}), 1s, out));  // 0 waits forever: still forever
  CHECK_FALSE(remaining_timeout(encode_command({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"}), 1s, out));
  CHECK_FALSE(remaining_timeout(encode_command({"GET", "a"}), 1s, out));
  CHECK_FALSE(remaining_timeout(encode_command({"BLPOP", "a", "soon"}), 1s, out));
  CHECK_FALSE(remaining_timeout("*1\r\n$5\r\nBLPOP", 1s, out));  // not a whole command
  CHECK(out == "untouched");
}
