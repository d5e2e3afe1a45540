#pragma once
// Keys as valkey-benchmark names them: a prefix ("key:", or "counter:" for
// INCR) and 12 zero-padded digits, random in [0, keyspace) with -r, else the
// prefix and "__rand_int__" (the one key valkey-benchmark sends without -r).
// Against a cluster, valkey-benchmark puts a hash tag of up to 3 characters
// between them (key:{06S}:000000012345), one random slot's per pipeline, and
// a node hashes only the tag: the tagged form here has the same shape. Keys
// are built in a caller-owned buffer: no allocation per request.
#include <array>
#include <cstdint>
#include <string_view>

namespace perf {

inline constexpr std::size_t key_digits = 12;
inline constexpr std::size_t max_key_prefix = 8;  // "counter:"
inline constexpr std::size_t key_tag_bytes = 6;   // "{abc}:"
using KeyBuffer = std::array<char, max_key_prefix + key_tag_bytes + key_digits>;
using KeyTag = std::array<char, 3>;

// 3 alphanumerics chosen by n: neighbouring numbers get unrelated tags, and
// so slots.
inline KeyTag tag_of(std::uint64_t n) noexcept {
  constexpr std::string_view alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::uint64_t mix = (n + 1) * 0x9e3779b97f4a7c15ULL;
  mix ^= mix >> 32;
  KeyTag t;
  for (char& c : t) {
    c = alphabet[mix % alphabet.size()];
    mix /= alphabet.size();
  }
  return t;
}

// prefix + n as 12 digits (n < 10^12; prefix at most 8 bytes); with `tag`:
// prefix + "{" + the tag + "}:" + the digits.
inline std::string_view format_key(std::string_view prefix, std::uint64_t n, KeyBuffer& out,
                                   const KeyTag* tag = nullptr) noexcept {
  prefix = prefix.substr(0, max_key_prefix);
  prefix.copy(out.data(), prefix.size());
  std::size_t at = prefix.size();
  if (tag) {
    out[at++] = '{';
    for (char c : *tag) out[at++] = c;
    out[at++] = '}';
    out[at++] = ':';
  }
  const std::size_t size = at + key_digits;
  for (std::size_t i = size; i > at; --i) {
    out[i - 1] = static_cast<char>('0' + n % 10);
    n /= 10;
  }
  return {out.data(), size};
}

class KeyPicker {
 public:
  // keyspace 0: always the fixed key (untagged, as valkey-benchmark sends it
  // to one node). `seed` makes requesters differ. `slot_run` 0: untagged
  // keys; 1: each key tagged by its number (tag_of); N: the tag of a run's
  // first key kept for N keys in a row, so N keys share a slot, as a
  // pipeline of N does in valkey-benchmark --cluster -P N.
  KeyPicker(std::string_view prefix, std::uint64_t keyspace, std::uint64_t seed, unsigned slot_run = 0) noexcept
      : prefix_(prefix.substr(0, max_key_prefix)), keyspace_(keyspace), state_(seed), slot_run_(slot_run) {}

  std::string_view pick(KeyBuffer& out) noexcept {
    if (keyspace_ == 0) {
      constexpr std::string_view fixed = "__rand_int__";
      static_assert(fixed.size() == key_digits);
      prefix_.copy(out.data(), prefix_.size());
      fixed.copy(out.data() + prefix_.size(), fixed.size());
      return {out.data(), prefix_.size() + key_digits};
    }
    const std::uint64_t n = next() % keyspace_;
    if (slot_run_ == 0) return format_key(prefix_, n, out);
    if (run_left_ == 0) {
      tag_ = tag_of(n);
      run_left_ = slot_run_;
    }
    --run_left_;
    return format_key(prefix_, n, out, &tag_);
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
  unsigned slot_run_;
  unsigned run_left_ = 0;
  KeyTag tag_{};
};

}  // namespace perf
