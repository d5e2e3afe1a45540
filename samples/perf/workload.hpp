#pragma once
// What every requester shares (PhaseControl: how many commands are left, or
// until when) and what each one owns (Workload: its keys, the value, its
// --verify counter). Both the coroutine and the thread requesters use them.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include <valkey/valkey.hpp>

#include "perf/keys.hpp"
#include "perf/options.hpp"
#include "perf/recorder.hpp"

namespace perf {

// Set from a SIGINT handler: every requester stops at its next claim.
inline std::atomic<bool> stop_requested{false};

class PhaseControl {
 public:
  // `requests` commands in all, or (seconds > 0) until `start + seconds`.
  PhaseControl(std::uint64_t requests, double seconds, Clock::time_point start) noexcept
      : remaining_(requests), timed_(seconds > 0),
        deadline_(start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds))) {}

  // Claims up to `want` commands to send at `now`; 0 once the phase is
  // over. The caller's clock reading: it reads the clock once per command,
  // when the previous one completes, and that reading is both this check's
  // time and the next command's send time.
  unsigned claim(unsigned want, Clock::time_point now) noexcept {
    if (stop_requested.load(std::memory_order_relaxed)) return 0;
    if (timed_) return now < deadline_ ? want : 0;
    std::uint64_t left = remaining_.load(std::memory_order_relaxed);
    while (left > 0) {
      const std::uint64_t take = std::min<std::uint64_t>(want, left);
      if (remaining_.compare_exchange_weak(left, left - take, std::memory_order_relaxed))
        return static_cast<unsigned>(take);
    }
    return 0;
  }

 private:
  std::atomic<std::uint64_t> remaining_;
  bool timed_;
  Clock::time_point deadline_;
};

// The --verify counter of requester `i`.
inline std::string verify_key(unsigned i) { return "perf:verify:" + std::to_string(i); }

class Workload {
 public:
  // `verify_counter`: the requester's own counter key (INCR goes there only).
  Workload(Test test, const Options& o, unsigned requester, std::string_view value, std::string_view verify_counter)
      : test(test), value(value),
        picker_(test == Test::incr ? std::string_view("counter:") : std::string_view(o.key_prefix), o.keyspace,
                0x5eed0000ULL + requester * 0x9e3779b9ULL, o.cluster ? o.slot_run : 0),
        verify_counter_(verify_counter) {}

  const Test test;
  const std::string_view value;

  // A key for the next command (valid until the next call).
  std::string_view key() noexcept {
    if (!verify_counter_.empty()) return verify_counter_;
    return picker_.pick(key_);
  }
  // mget_keys keys for the next MGET (valid until the next call).
  const std::array<std::string_view, mget_keys>& mget() noexcept {
    for (unsigned i = 0; i < mget_keys; ++i) mget_views_[i] = picker_.pick(mget_buffers_[i]);
    return mget_views_;
  }

  // Appends `n` commands of this workload to a valkey::Batch.
  template <class Batch>
  void add_to(Batch& b, unsigned n) {
    for (unsigned i = 0; i < n; ++i) {
      switch (test) {
        case Test::get: b.add(valkey::cmd::Get{.key = key()}); break;
        case Test::set: b.add(valkey::cmd::Set{.key = key(), .value = value}); break;
        case Test::incr: b.add(valkey::cmd::Incr{.key = key()}); break;
        case Test::mget: b.add(valkey::cmd::Mget{.keys = mget()}); break;
      }
    }
  }

 private:
  KeyPicker picker_;
  std::string_view verify_counter_;
  KeyBuffer key_{};
  std::array<KeyBuffer, mget_keys> mget_buffers_{};
  std::array<std::string_view, mget_keys> mget_views_{};
};

}  // namespace perf
