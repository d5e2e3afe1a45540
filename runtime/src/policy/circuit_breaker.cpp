// Per-endpoint circuit breaker (see circuit_breaker.hpp).
#include <string>

#include <valkey/error.hpp>
#include <valkey/policy/circuit_breaker.hpp>

namespace valkey::policy {

namespace {
std::string ms(Duration d) {
  return std::to_string(std::chrono::duration<double, std::milli>(d).count()) + " ms";
}
}  // namespace

std::string CircuitBreakerConfig::problem() const {
  if (consecutive_failures < 1)
    return "CircuitBreakerConfig.consecutive_failures must be at least 1, got " + std::to_string(consecutive_failures);
  if (!(failure_ratio > 0.0 && failure_ratio <= 1.0))
    return "CircuitBreakerConfig.failure_ratio must be within (0, 1], got " + std::to_string(failure_ratio);
  if (min_calls < 1) return "CircuitBreakerConfig.min_calls must be at least 1, got " + std::to_string(min_calls);
  if (window <= Duration::zero()) return "CircuitBreakerConfig.window must be positive, got " + ms(window);
  if (cool_down <= Duration::zero()) return "CircuitBreakerConfig.cool_down must be positive, got " + ms(cool_down);
  if (probes < 1) return "CircuitBreakerConfig.probes must be at least 1, got " + std::to_string(probes);
  return {};
}

std::string_view to_string(BreakerState s) noexcept {
  switch (s) {
    case BreakerState::closed: return "closed";
    case BreakerState::open: return "open";
    case BreakerState::half_open: return "half_open";
  }
  return "unknown";
}

CallResult call_result_of(std::error_code ec, bool written) noexcept {
  switch (outcome_of(ec, written)) {
    case Outcome::ok:
    case Outcome::server_error:
      return CallResult::success;
    case Outcome::not_sent:
    case Outcome::sent_no_reply:
      return transient(ec) ? CallResult::failure : CallResult::neutral;
  }
  return CallResult::neutral;
}

CircuitBreaker::CircuitBreaker(CircuitBreakerConfig config)
    : config_(config), calls_(config.window > Duration::zero() ? config.window : Duration(1)) {
  if (std::string p = config_.problem(); !p.empty()) throw Error(make_error_code(errc::invalid_argument), p);
}

Admission CircuitBreaker::admit(TimePoint now) noexcept {
  switch (state_) {
    case BreakerState::closed:
      return Admission::go;
    case BreakerState::open:
      if (now < reopens_at()) return Admission::reject;
      state_ = BreakerState::half_open;
      probes_in_flight_ = 0;
      probe_successes_ = 0;
      [[fallthrough]];
    case BreakerState::half_open:
      if (probes_in_flight_ + probe_successes_ >= config_.probes) return Admission::reject;
      ++probes_in_flight_;
      return Admission::probe;
  }
  return Admission::reject;
}

void CircuitBreaker::record(Admission how, CallResult result, TimePoint now) noexcept {
  if (how == Admission::probe) {
    if (state_ != BreakerState::half_open) return;  // a probe of an earlier half-open period
    --probes_in_flight_;
    if (result == CallResult::failure) {
      open(now);
    } else if (result == CallResult::success && ++probe_successes_ >= config_.probes) {
      close();
    }
    return;
  }
  if (how != Admission::go || state_ != BreakerState::closed) return;
  if (result == CallResult::success) {
    consecutive_ = 0;
    calls_.add_a(now);
    return;
  }
  if (result != CallResult::failure) return;
  ++consecutive_;
  calls_.add_b(now);
  if (consecutive_ >= config_.consecutive_failures) return open(now);
  const std::uint64_t failures = calls_.b(now);
  const std::uint64_t total = calls_.a(now) + failures;
  if (total >= static_cast<std::uint64_t>(config_.min_calls) &&
      static_cast<double>(failures) >= config_.failure_ratio * static_cast<double>(total))
    open(now);
}

void CircuitBreaker::open(TimePoint now) noexcept {
  state_ = BreakerState::open;
  opened_at_ = now;
  probes_in_flight_ = 0;
  probe_successes_ = 0;
}

void CircuitBreaker::close() noexcept {
  state_ = BreakerState::closed;
  consecutive_ = 0;
  probes_in_flight_ = 0;
  probe_successes_ = 0;
  calls_.clear();
}

}  // namespace valkey::policy
