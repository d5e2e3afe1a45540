#pragma once
// Two tallies (say, requests and retries, or successes and failures) over the
// last `window` of time, kept in a fixed ring of slots: no allocation, O(slots)
// per call. The window moves in steps of window/slots, so "the last 10 s" with
// 10 slots means between 9 and 10 s. Time points may arrive slightly out of
// order (taken before a lock): counts of a later slot are kept and counted.
// Not thread-safe.
#include <array>
#include <chrono>
#include <cstdint>

namespace valkey::policy {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

class SlidingWindow {
 public:
  static constexpr int slots = 10;

  explicit SlidingWindow(Duration window) noexcept
      : step_(window / slots > Duration::zero() ? window / slots : Duration(1)) {}

  void add_a(TimePoint now, std::uint64_t n = 1) noexcept { at(now).a += n; }
  void add_b(TimePoint now, std::uint64_t n = 1) noexcept { at(now).b += n; }
  std::uint64_t a(TimePoint now) noexcept { return sum(now, &Slot::a); }
  std::uint64_t b(TimePoint now) noexcept { return sum(now, &Slot::b); }
  void clear() noexcept { slots_ = {}; }

 private:
  struct Slot {
    std::int64_t epoch = -1;
    std::uint64_t a = 0, b = 0;
  };
  std::int64_t epoch_of(TimePoint t) const noexcept {
    return static_cast<std::int64_t>(t.time_since_epoch() / step_);
  }
  static std::size_t index(std::int64_t epoch) noexcept {
    return static_cast<std::size_t>(((epoch % slots) + slots) % slots);
  }
  Slot& at(TimePoint now) noexcept {
    const std::int64_t e = epoch_of(now);
    Slot& s = slots_[index(e)];
    if (s.epoch < e) s = Slot{e, 0, 0};  // a newer slot stays: `now` may arrive slightly out of order
    return s;
  }
  std::uint64_t sum(TimePoint now, std::uint64_t Slot::*field) const noexcept {
    const std::int64_t e = epoch_of(now);
    std::uint64_t total = 0;
    for (const Slot& s : slots_)
      if (s.epoch > e - slots) total += s.*field;  // slots ahead of `now` count too
    return total;
  }

  Duration step_;
  std::array<Slot, slots> slots_{};
};

}  // namespace valkey::policy
