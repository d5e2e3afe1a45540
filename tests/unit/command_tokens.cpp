// valkey::nx, xx, gt, lt, keepttl, persist: each picks the same alternative
// as the command's own spelling, whether the choice is an enum class
// (EXPIRE's NX | XX | GT | LT) or a variant with a valued alternative (SET's
// NX | XX | IFEQ value), so the bytes written are the same.
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <type_traits>

#include <valkey/cmd/all.hpp>
#include <valkey/tokens.hpp>

#include "encode_support.hpp"

namespace cmd = valkey::cmd;
using valkey::test::encoded;

// The variant's alternative is the token type itself.
static_assert(std::is_same_v<cmd::Set::Nx, valkey::token::Nx>);
static_assert(std::is_same_v<cmd::Getex::Persist, valkey::token::Persist>);
// An enum choice takes the token by conversion.
static_assert(std::is_convertible_v<valkey::token::Gt, cmd::Expire::Condition>);
static_assert(!std::is_convertible_v<valkey::token::KeepTtl, cmd::Expire::Condition>);  // no such enumerator

TEST_CASE("tokens: a variant choice (SET) takes valkey::nx, xx and keepttl", "[tokens]") {
  CHECK(encoded(cmd::Set{.key = "k", .value = "v", .condition = valkey::nx}) ==
        encoded(cmd::Set{.key = "k", .value = "v", .condition = cmd::Set::Nx{}}));
  CHECK(encoded(cmd::Set{.key = "k", .value = "v", .condition = valkey::xx, .expiration = valkey::keepttl}) ==
        "*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nXX\r\n$7\r\nKEEPTTL\r\n");
  CHECK(encoded(cmd::Getex{.key = "k", .expiration = valkey::persist}) == "*3\r\n$5\r\nGETEX\r\n$1\r\nk\r\n$7\r\nPERSIST\r\n");
}

TEST_CASE("tokens: an enum choice (EXPIRE, ZADD) takes valkey::nx, xx, gt and lt", "[tokens]") {
  CHECK(encoded(cmd::Expire{.key = "k", .seconds = 60, .condition = valkey::gt}) ==
        encoded(cmd::Expire{.key = "k", .seconds = 60, .condition = cmd::Expire::Condition::gt}));
  CHECK(encoded(cmd::Expire{.key = "k", .seconds = 60, .condition = valkey::lt}) ==
        "*4\r\n$6\r\nEXPIRE\r\n$1\r\nk\r\n$2\r\n60\r\n$2\r\nLT\r\n");
  const std::pair<double, std::string_view> member[] = {{1.0, "m"}};
  CHECK(encoded(cmd::Zadd{.key = "z", .data = member, .condition = valkey::xx, .comparison = valkey::gt}) ==
        encoded(cmd::Zadd{.key = "z", .data = member, .condition = cmd::Zadd::Condition::xx,
                          .comparison = cmd::Zadd::Comparison::gt}));
}
