#pragma once
// --verify bookkeeping: what a failed INCR means for its counter, and the
// verdict once the server's counters are read back.
//
// Each requester increments its own counter and tallies every increment as
//   acked    the reply came: the server applied it exactly once;
//   unknown  it may have been written but no reply came (connection_lost,
//            timeout, cancelled, health_check_failed...): applied or not;
//   not sent (not_connected, queue_full, connection_closed,
//            invalid_argument) or refused by the server (an error reply):
//            not applied, not tallied.
// A counter is consistent iff acked <= server_total <= acked + unknown: a
// smaller total is a lost write, a larger one a write applied twice.
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

namespace perf {

enum class Outcome { acked, unknown, not_applied };

// The outcome of one INCR that completed with `ec` ({} = a reply).
Outcome classify(std::error_code ec) noexcept;

struct CounterTally {
  std::uint64_t acked = 0;
  std::uint64_t unknown = 0;
  std::int64_t server_total = 0;  // read back at the end

  void count(Outcome o, std::uint64_t n = 1) noexcept {
    if (o == Outcome::acked) acked += n;
    else if (o == Outcome::unknown) unknown += n;
  }
  bool consistent() const noexcept;
};

struct VerifyVerdict {
  std::uint64_t acked = 0;        // sums over the counters
  std::uint64_t unknown = 0;
  std::int64_t server_total = 0;
  std::size_t counters = 0;
  std::size_t inconsistent = 0;   // counters outside [acked, acked + unknown]
  bool ok = false;                // true iff inconsistent == 0 (and counters were read)
};

VerifyVerdict verdict(std::span<const CounterTally> counters) noexcept;

}  // namespace perf
