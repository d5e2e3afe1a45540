#pragma once
// Decodes one wire message into T through Parser + ResponseVisitor<T>, fed
// whole and one byte at a time; both must agree.
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include <valkey/adapt/response.hpp>
#include <valkey/resp/parser.hpp>

namespace valkey::test {

template <class T>
struct Decoded {
  T value{};
  std::error_code ec;
  std::string message;
  std::size_t consumed = 0;
};

template <class T>
Decoded<T> decode_in_steps(std::string_view wire, std::size_t step) {
  resp::Parser parser;
  adapt::ResponseVisitor<T> v;
  std::string buf;
  std::error_code ec;
  std::size_t consumed = 0;
  for (std::size_t at = 0; at < wire.size() && !parser.message_complete();) {
    const std::size_t n = std::min(step, wire.size() - at);
    buf.append(wire.substr(at, n));
    at += n;
    const std::size_t used = parser.consume(buf, v, ec);
    REQUIRE_FALSE(ec);
    buf.erase(0, used);
    consumed += used;
  }
  REQUIRE(parser.message_complete());
  REQUIRE(v.complete());
  return {v.take(), v.error_code(), v.server_message(), consumed};
}

template <class T>
Decoded<T> decode(std::string_view wire) {
  auto whole = decode_in_steps<T>(wire, wire.size());
  auto bytewise = decode_in_steps<T>(wire, 1);
  CHECK(whole.ec == bytewise.ec);
  CHECK(whole.message == bytewise.message);
  CHECK(whole.consumed == wire.size());
  if (!whole.ec) {
    if constexpr (std::is_floating_point_v<T>) {
      CHECK((whole.value == bytewise.value || (whole.value != whole.value && bytewise.value != bytewise.value)));
    } else {
      CHECK(whole.value == bytewise.value);
    }
  }
  return whole;
}

}  // namespace valkey::test
