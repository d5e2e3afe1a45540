#pragma once
/// \file
/// valkey::list("a", "b") and valkey::pairs("f1", "v1", "f2", "v2"): the
/// arguments of a list parameter (MGET's keys, SADD's members, HSET's
/// field/value pairs) without a braced list. g++ 12 mishandles a braced list
/// inside a co_await expression and reports its error at the wrong line, so
/// in coroutines write
///
/// \code
///   auto values = co_await c.mget(valkey::list("a", "b"), asio::use_awaitable);
///   co_await c.hset("h", valkey::pairs("name", "Ada", "lang", "C++"), asio::use_awaitable);
/// \endcode
///
/// The result is a std::array of views into the arguments: like a braced
/// list it lives until the end of the full expression, which is as long as a
/// call needs it (a request encodes its arguments before it returns).
#include <array>
#include <concepts>
#include <cstddef>
#include <string_view>
#include <utility>

namespace valkey {

/// The arguments as a `std::array` of views, for a list parameter.
template <class... S>
  requires(sizeof...(S) > 0 && (std::convertible_to<const S&, std::string_view> && ...))
constexpr std::array<std::string_view, sizeof...(S)> list(const S&... s) noexcept {
  return {std::string_view(s)...};
}

/// The arguments, two by two, as a `std::array` of pairs of views, for a
/// pairs parameter (an even count).
template <class... S>
  requires(sizeof...(S) > 0 && sizeof...(S) % 2 == 0 && (std::convertible_to<const S&, std::string_view> && ...))
constexpr std::array<std::pair<std::string_view, std::string_view>, sizeof...(S) / 2> pairs(const S&... s) noexcept {
  const std::array<std::string_view, sizeof...(S)> flat{std::string_view(s)...};
  std::array<std::pair<std::string_view, std::string_view>, sizeof...(S) / 2> out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = {flat[2 * i], flat[2 * i + 1]};
  return out;
}

}  // namespace valkey
