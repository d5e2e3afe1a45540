#pragma once
// One whole RESP message, as the wire would bring it, into a valkey::Reply:
// for tests that build server replies from recorded or hand-written bytes.
#include <catch2/catch_test_macros.hpp>

#include <string_view>
#include <system_error>

#include <valkey/reply.hpp>
#include <valkey/resp/parser.hpp>

namespace valkey::test {

inline Reply reply_of(std::string_view wire) {
  resp::Parser parser;
  ReplyBuilder builder;
  std::error_code ec;
  REQUIRE(parser.consume(wire, builder, ec) == wire.size());
  REQUIRE_FALSE(ec);
  REQUIRE(builder.done());
  return builder.take();
}

}  // namespace valkey::test
