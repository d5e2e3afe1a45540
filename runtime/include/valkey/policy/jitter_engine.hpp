#pragma once
// The random bits behind jittered delays (reconnect backoff, topology
// refreshes) and random node picks: the minimal-standard generator
// (x' = 48271 x mod 2^31 - 1, the same sequence as std::minstd_rand), a
// UniformRandomBitGenerator for <random>'s distributions and std::shuffle.
// It keeps <random> out of connection.hpp and router.hpp, which every
// asynchronous and cluster program includes; the .cpp files that draw from
// it include <random>.
// Not thread-safe.
#include <cstdint>

namespace valkey::policy {

class JitterEngine {
 public:
  using result_type = std::uint32_t;

  /// A seed of 0 (mod 2^31 - 1) starts from 1, as std::minstd_rand's does.
  explicit JitterEngine(std::uint64_t seed = 1) noexcept
      : state_(static_cast<result_type>(seed % modulus) == 0 ? 1u : static_cast<result_type>(seed % modulus)) {}

  static constexpr result_type min() noexcept { return 1; }
  static constexpr result_type max() noexcept { return modulus - 1; }

  result_type operator()() noexcept {
    state_ = static_cast<result_type>(static_cast<std::uint64_t>(state_) * multiplier % modulus);
    return state_;
  }

 private:
  static constexpr result_type modulus = 2147483647u;
  static constexpr std::uint64_t multiplier = 48271u;
  result_type state_;
};

}  // namespace valkey::policy
