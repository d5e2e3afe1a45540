// policy::JitterEngine, the generator behind jittered delays and random node
// picks, draws what std::minstd_rand draws from the same seed, and serves
// <random>'s distributions and std::shuffle as a UniformRandomBitGenerator.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include <valkey/policy/jitter_engine.hpp>

using valkey::policy::JitterEngine;

static_assert(std::uniform_random_bit_generator<JitterEngine>);
static_assert(JitterEngine::min() == std::minstd_rand::min() && JitterEngine::max() == std::minstd_rand::max());

TEST_CASE("the jitter engine draws std::minstd_rand's sequence", "[policy]") {
  // 0 and multiples of the modulus start from 1 in both; a seed above 2^32
  // is reduced modulo 2^31 - 1 by both.
  for (std::uint64_t seed : {0ull, 1ull, 42ull, 2147483647ull, 2147483648ull, 4294967295ull, 0x1234567890ull}) {
    JitterEngine ours(seed);
    std::minstd_rand theirs(static_cast<std::minstd_rand::result_type>(seed % 2147483647ull));
    for (int i = 0; i < 1000; ++i) {
      const auto a = ours();
      const auto b = theirs();
      INFO("seed " << seed << ", draw " << i);
      REQUIRE(a == b);
      REQUIRE(a >= JitterEngine::min());
      REQUIRE(a <= JitterEngine::max());
    }
  }
}

TEST_CASE("the jitter engine serves distributions and std::shuffle", "[policy]") {
  JitterEngine e(7);
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  double lo = 2, hi = 0;
  for (int i = 0; i < 10000; ++i) {
    const double f = jitter(e);
    lo = std::min(lo, f);
    hi = std::max(hi, f);
  }
  CHECK(lo >= 0.8);
  CHECK(hi < 1.2);
  CHECK(lo < 0.81);  // spread over the range, not stuck
  CHECK(hi > 1.19);

  std::uniform_int_distribution<std::size_t> pick(0, 5);
  std::vector<int> seen(6, 0);
  for (int i = 0; i < 6000; ++i) ++seen[pick(e)];
  for (int n : seen) CHECK(n > 800);  // each of six about 1000 times

  std::vector<int> v(20);
  std::iota(v.begin(), v.end(), 0);
  std::vector<int> shuffled = v;
  std::shuffle(shuffled.begin(), shuffled.end(), e);
  CHECK(shuffled != v);
  std::sort(shuffled.begin(), shuffled.end());
  CHECK(shuffled == v);
}
