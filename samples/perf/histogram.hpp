#pragma once
// perf::LatencyHistogram: a fixed-size log-linear histogram of durations in
// nanoseconds. Values below 128 have a bucket each; above, every power of two
// is split into 64 buckets, so a reported percentile is at most 1/64 (1.6 %)
// above the true value. Recording never allocates; values beyond ~2^41 ns
// (about 36 minutes) land in the last bucket.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace perf {

class LatencyHistogram {
 public:
  static constexpr unsigned sub_bits = 6;                       // 64 buckets per power of two
  static constexpr std::uint64_t linear_limit = 2u << sub_bits;  // 128: exact below this
  static constexpr unsigned top_power = 40;                     // the last bucket row is [2^40, 2^41)
  static constexpr std::size_t bucket_count =
      linear_limit + (top_power - sub_bits) * (std::size_t{1} << sub_bits);
  static constexpr std::uint64_t max_trackable = (std::uint64_t{2} << top_power) - 1;

  static constexpr std::size_t index_of(std::uint64_t v) noexcept {
    v = std::min(v, max_trackable);
    if (v < linear_limit) return static_cast<std::size_t>(v);
    const unsigned power = static_cast<unsigned>(std::bit_width(v)) - 1;  // >= sub_bits + 1
    const unsigned shift = power - sub_bits;
    const std::uint64_t sub = (v >> shift) - (std::uint64_t{1} << sub_bits);  // [0, 64)
    return static_cast<std::size_t>(linear_limit + (power - sub_bits - 1) * (std::uint64_t{1} << sub_bits) + sub);
  }

  // The largest value that lands in bucket `i`.
  static constexpr std::uint64_t highest_in(std::size_t i) noexcept {
    if (i < linear_limit) return i;
    const std::size_t k = i - linear_limit;
    const unsigned power = static_cast<unsigned>(k >> sub_bits) + sub_bits + 1;
    const unsigned shift = power - sub_bits;
    const std::uint64_t sub = (k & ((std::size_t{1} << sub_bits) - 1)) + (std::uint64_t{1} << sub_bits);
    return ((sub + 1) << shift) - 1;
  }

  void record(std::uint64_t ns, std::uint64_t times = 1) noexcept {
    buckets_[index_of(ns)] += times;
    count_ += times;
    max_ = std::max(max_, ns);
  }

  void merge(const LatencyHistogram& other) noexcept {
    for (std::size_t i = 0; i < bucket_count; ++i) buckets_[i] += other.buckets_[i];
    count_ += other.count_;
    max_ = std::max(max_, other.max_);
  }

  void reset() noexcept {
    buckets_.fill(0);
    count_ = 0;
    max_ = 0;
  }

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t max() const noexcept { return max_; }

  // The smallest recorded value v (to bucket precision) such that at least a
  // fraction q of the samples are <= v; never above the largest sample. 0
  // when empty. q is clamped to [0, 1].
  std::uint64_t percentile(double q) const noexcept {
    if (count_ == 0) return 0;
    q = std::clamp(q, 0.0, 1.0);
    const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
      seen += buckets_[i];
      if (seen >= rank) return std::min(highest_in(i), max_);
    }
    return max_;
  }

 private:
  std::array<std::uint64_t, bucket_count> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace perf
