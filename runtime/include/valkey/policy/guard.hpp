#pragma once
// valkey::policy::Guard: a client's resilience state (its retry budget and
// random state, its endpoint's circuit breaker) behind one lock, and the
// observer's on_retry/on_circuit events. One per client; the request path
// reaches it only when Config::retry or Config::circuit_breaker is set, or
// for a call made through Client::with(): otherwise the path pays one branch.
//
// Thread-safe: the sync Client's callers and an AsyncClient's completions
// share it. Nothing here allocates after construction.
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>

#include <valkey/config.hpp>
#include <valkey/export.hpp>
#include <valkey/policy/circuit_breaker.hpp>
#include <valkey/policy/retry.hpp>

namespace valkey::policy {

class VALKEY_CPP_EXPORT Guard {
 public:
  // `config` validated: its retry and circuit_breaker are valid.
  explicit Guard(const Config& config);
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

  // Whether the client's configuration asks for any policy (a plain call then
  // goes through the Guard; without, only calls with per-call options do).
  bool configured() const noexcept { return client_retry_ != nullptr || breaker_.has_value(); }
  // The client's retry policy, or null.
  const RetryPolicy* retry() const noexcept { return client_retry_; }

  // The breaker's verdict for one attempt (go when there is none).
  Admission admit(TimePoint now) noexcept;
  // The result of an attempt admitted as `how`; reports state changes.
  void record(Admission how, std::error_code ec, bool written, TimePoint now) noexcept;
  BreakerState breaker_state() const noexcept;

  // A first attempt of a call that may be retried (the budget's base).
  void first_attempt(TimePoint now) noexcept;
  // After attempt `attempt` failed as `f`: retry after a delay, or give up.
  RetryDecision decide(const RetryPolicy& p, int attempt, const Failure& f, bool idempotent, TimePoint now,
                       TimePoint deadline) noexcept;
  // Reports the retry of `command` after `attempt` failed with `reason`.
  void retrying(std::string_view command, int attempt, std::error_code reason) const noexcept;

  const Config& config() const noexcept { return config_; }

 private:
  Config config_;  // a copy: asynchronous requests may outlive their client
  const RetryPolicy* client_retry_ = nullptr;  // into config_
  mutable std::mutex mu_;
  Retrier retrier_;  // the client's policy (the defaults when none) and its budget
  std::optional<CircuitBreaker> breaker_;
};

}  // namespace valkey::policy
