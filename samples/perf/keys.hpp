#pragma once
// Keys as valkey-benchmark names them: a prefix ("key:", or "counter:" for
// INCR) and 12 zero-padded digits, random in [0, keyspace) with -r, else the
// prefix and "__rand_int__" (the one key valkey-benchmark sends without -r).
// Keys are built in a caller-owned buffer: no allocation per request.
#include <array>
#include <cstdint>
#include <string_view>

namespace perf {

inline constexpr std::size_t key_digits = 12;
inline constexpr std::size_t max_key_prefix = 8;  // "counter:"
using KeyBuffer = std::array<char, max_key_prefix + key_digits>;

// prefix + n as 12 digits (n < 10^12; prefix at most 8 bytes).
inline std::string_view format_key(std::string_view prefix, std::uint64_t n, KeyBuffer& out) noexcept {
  prefix = prefix.substr(0, max_key_prefix);
  prefix.copy(out.data(), prefix.size());
  const std::size_t size = prefix.size() + key_digits;
  for (std::size_t i = size; i > prefix.size(); --i) {
    out[i - 1] = static_cast<char>('0' + n % 10);
    n /= 10;
  }
  return {out.data(), size};
}

class KeyPicker {
 public:
  // keyspace 0: always the fixed key. `seed` makes requesters differ.
  KeyPicker(std::string_view prefix, std::uint64_t keyspace, std::uint64_t seed) noexcept
      : prefix_(prefix.substr(0, max_key_prefix)), keyspace_(keyspace), state_(seed) {}

  std::string_view pick(KeyBuffer& out) noexcept {
    if (keyspace_ == 0) {
      constexpr std::string_view fixed = "__rand_int__";
      static_assert(fixed.size() == key_digits);
      prefix_.copy(out.data(), prefix_.size());
      fixed.copy(out.data() + prefix_.size(), fixed.size());
      return {out.data(), prefix_.size() + key_digits};
    }
    return format_key(prefix_, next() % keyspace_, out);
  }

 private:
  // splitmix64: fast, and good enough to spread keys.
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  std::string_view prefix_;
  std::uint64_t keyspace_;
  std::uint64_t state_;
};

}  // namespace perf
