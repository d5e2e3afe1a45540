#pragma once
// Decodes one wire message into T through Parser + ResponseVisitor<T>, fed
// whole and one byte at a time; both must agree.
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

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

// Feeds `wire` in reads that end at the given offsets (then the rest).
template <class T>
Decoded<T> decode_with_cuts(std::string_view wire, const std::vector<std::size_t>& cuts) {
  resp::Parser parser;
  adapt::ResponseVisitor<T> v;
  std::string buf;
  std::error_code ec;
  std::size_t consumed = 0;
  std::size_t at = 0;
  for (std::size_t i = 0; i <= cuts.size() && !parser.message_complete(); ++i) {
    const std::size_t to = i < cuts.size() ? cuts[i] : wire.size();
    buf.append(wire.substr(at, to - at));
    at = to;
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
bool same_value(const T& a, const T& b) {
  if constexpr (std::is_floating_point_v<T>) {
    return a == b || (a != a && b != b);
  } else {
    return a == b;
  }
}

// Decodes whole, then split into two reads at every position, then one byte
// per read: every chunking must give the same outcome.
template <class T>
Decoded<T> decode(std::string_view wire) {
  auto whole = decode_with_cuts<T>(wire, {});
  CHECK(whole.consumed == wire.size());
  std::vector<std::size_t> bytewise;
  for (std::size_t cut = 1; cut < wire.size(); ++cut) {
    bytewise.push_back(cut);
    auto split = decode_with_cuts<T>(wire, {cut});
    INFO("cut at " << cut);
    CHECK(split.ec == whole.ec);
    CHECK(split.message == whole.message);
    if (!whole.ec) CHECK(same_value(split.value, whole.value));
  }
  auto one_by_one = decode_with_cuts<T>(wire, bytewise);
  CHECK(one_by_one.ec == whole.ec);
  if (!whole.ec) CHECK(same_value(one_by_one.value, whole.value));
  return whole;
}

}  // namespace valkey::test
