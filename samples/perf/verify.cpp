#include "perf/verify.hpp"

#include <valkey/error.hpp>

namespace perf {

Outcome classify(std::error_code ec) noexcept {
  using valkey::errc;
  if (!ec) return Outcome::acked;
  if (ec.category() == valkey::category()) {
    switch (static_cast<errc>(ec.value())) {
      case errc::server_error:       // the server refused it: nothing applied
      case errc::not_connected:      // failed before it was written
      case errc::queue_full:
      case errc::connection_closed:  // only once the run ended and nothing is in flight
      case errc::invalid_argument:
        return Outcome::not_applied;
      default:
        break;
    }
  }
  // connection_lost, timeout, cancelled, health_check_failed, a protocol or
  // decode error, a socket error: it may have run.
  return Outcome::unknown;
}

bool CounterTally::consistent() const noexcept {
  if (server_total < 0) return false;
  const auto total = static_cast<std::uint64_t>(server_total);
  return acked <= total && total <= acked + unknown;
}

VerifyVerdict verdict(std::span<const CounterTally> counters) noexcept {
  VerifyVerdict v;
  v.counters = counters.size();
  for (const CounterTally& c : counters) {
    v.acked += c.acked;
    v.unknown += c.unknown;
    v.server_total += c.server_total;
    if (!c.consistent()) ++v.inconsistent;
  }
  v.ok = v.counters > 0 && v.inconsistent == 0;
  return v;
}

}  // namespace perf
