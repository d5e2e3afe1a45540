// A client's resilience state (see guard.hpp).
#include <valkey/observe/probe.hpp>
#include <valkey/policy/guard.hpp>

namespace valkey::policy {

namespace {
CircuitEvent::State event_state(BreakerState s) noexcept {
  switch (s) {
    case BreakerState::open: return CircuitEvent::State::open;
    case BreakerState::half_open: return CircuitEvent::State::half_open;
    case BreakerState::closed: break;
  }
  return CircuitEvent::State::closed;
}

// A breaker transition, whichever call made it (admit: open -> half-open;
// record: the rest): one log line and the observer's event.
void report_change(const Config& config, BreakerState after) noexcept {
  if (config.logger) {
    try {
      config.logger(after == BreakerState::open ? LogLevel::warn : LogLevel::info,
                    "circuit breaker for " + config.endpoint() + ": " + std::string(to_string(after)));
    } catch (...) {  // a log line is not worth failing the request
    }
  }
  if (config.observer) observe::circuit_changed(config, event_state(after));
}
}  // namespace

Guard::Guard(const Config& config) : config_(config), retrier_(config.retry.value_or(RetryPolicy{})) {
  if (config_.retry) client_retry_ = &*config_.retry;
  if (config_.circuit_breaker) breaker_.emplace(*config_.circuit_breaker);
}

Admission Guard::admit(TimePoint now) noexcept {
  if (!breaker_) return Admission::go;
  BreakerState before, after;
  Admission a;
  {
    std::lock_guard lk(mu_);
    before = breaker_->state();
    a = breaker_->admit(now);
    after = breaker_->state();
  }
  if (before != after) [[unlikely]]
    report_change(config_, after);
  return a;
}

void Guard::record(Admission how, std::error_code ec, bool written, TimePoint now) noexcept {
  if (!breaker_ || how == Admission::reject) return;
  const CallResult r = call_result_of(ec, written);
  BreakerState before, after;
  {
    std::lock_guard lk(mu_);
    before = breaker_->state();
    breaker_->record(how, r, now);
    after = breaker_->state();
  }
  if (before != after) report_change(config_, after);
}

BreakerState Guard::breaker_state() const noexcept {
  if (!breaker_) return BreakerState::closed;
  std::lock_guard lk(mu_);
  return breaker_->state();
}

void Guard::first_attempt(TimePoint now) noexcept {
  std::lock_guard lk(mu_);
  retrier_.on_request(now);
}

RetryDecision Guard::decide(const RetryPolicy& p, int attempt, const Failure& f, bool idempotent, TimePoint now,
                            TimePoint deadline) noexcept {
  std::lock_guard lk(mu_);
  return retrier_.decide(p, attempt, f, idempotent, now, deadline);
}

void Guard::retrying(std::string_view command, int attempt, std::error_code reason) const noexcept {
  if (!config_.observer) return;
  RetryEvent e;
  e.command = command;
  e.attempt = static_cast<unsigned>(attempt);
  e.reason = reason;
  observe::retrying(config_, e);
}

}  // namespace valkey::policy
