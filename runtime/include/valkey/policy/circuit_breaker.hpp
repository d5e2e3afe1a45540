#pragma once
/// \class valkey::policy::CircuitBreaker
/// A circuit breaker for one endpoint: stop sending to a node that is down, so
/// calls fail at once instead of queueing behind timeouts.
///
/// - closed: every call goes; transport failures and timeouts are counted.
///   Opens after `consecutive_failures` in a row, or when at least
///   `min_calls` finished in the last `window` and the share of
///   failures among them reaches `failure_ratio`.
/// - open: admit() answers reject: the caller fails the call at once
///   (the clients report errc::circuit_open; nothing is
///   queued). After `cool_down` the next admit() moves to half-open.
/// - half-open: up to `probes` calls are admitted as probes, others rejected.
///   `probes` successful probes close the breaker; a failed probe
///   opens it again for another cool-down.
///
/// What counts: a failure is a transient transport error (policy::transient():
/// connection lost or refused, timeout, health check). A reply counts as a
/// success, error replies included (WRONGTYPE says the node is up). Other
/// errors (cancelled, queue_full, bad input) are neutral: they say nothing
/// about the node. Results of calls admitted while closed that finish after
/// the breaker opened are ignored: they predate the decision.
///
/// Thread-safety: none. A breaker belongs to one endpoint of one client and
/// is used under that client's lock or on its executor. Time is passed in, so
/// tests drive it with an injected clock; nothing here allocates.
#include <chrono>
#include <cstdint>
#include <string>
#include <system_error>

#include <valkey/export.hpp>
#include <valkey/policy/outcome.hpp>
#include <valkey/policy/sliding_window.hpp>

namespace valkey::policy {

/// The settings of a CircuitBreaker (validated: problem() names a bad field).
struct VALKEY_CPP_EXPORT CircuitBreakerConfig {
  /// Failures in a row that open the breaker.
  int consecutive_failures = 5;
  double failure_ratio = 0.5;  ///< in (0, 1]
  int min_calls = 20;          ///< the ratio applies only from this many calls in the window
  /// The span of recent calls the failure ratio is taken over.
  Duration window = std::chrono::seconds(10);
  /// How long the breaker stays open before it admits probes.
  Duration cool_down = std::chrono::seconds(1);
  /// Calls admitted as probes while half-open; that many successes close the breaker.
  int probes = 1;

  /// Empty when valid; otherwise a sentence naming the field and the value.
  std::string problem() const;
};

/// A breaker's state (see CircuitBreaker).
enum class BreakerState : std::uint8_t { closed, open, half_open };
/// The state's name: "closed", "open" or "half_open".
VALKEY_CPP_EXPORT std::string_view to_string(BreakerState s) noexcept;

/// The verdict of admit(). `reject` is the caller's errc::circuit_open.
enum class Admission : std::uint8_t {
  go,      ///< send it; report the result with the same Admission
  probe,   ///< send it as a half-open probe; its result decides the state
  reject,  ///< fail fast, send nothing
};

/// What a call's result says about the node (call_result_of()).
enum class CallResult : std::uint8_t { success, failure, neutral };
/// success for a reply (any, error replies included), failure for a transient
/// transport error, neutral otherwise.
VALKEY_CPP_EXPORT CallResult call_result_of(std::error_code ec, bool written) noexcept;

class VALKEY_CPP_EXPORT CircuitBreaker {
 public:
  /// Throws valkey::Error(errc::invalid_argument) with problem()'s sentence.
  explicit CircuitBreaker(CircuitBreakerConfig config = {});

  /// Whether a call may be sent at `now`: go, probe or reject.
  Admission admit(TimePoint now) noexcept;
  /// The result of a call admitted as `how` (go or probe).
  void record(Admission how, CallResult result, TimePoint now) noexcept;

  /// The current state.
  BreakerState state() const noexcept { return state_; }
  /// The breaker's settings.
  const CircuitBreakerConfig& config() const noexcept { return config_; }
  /// When the current open period ends (meaningful while open).
  TimePoint reopens_at() const noexcept { return opened_at_ + config_.cool_down; }

 private:
  void open(TimePoint now) noexcept;
  void close() noexcept;

  CircuitBreakerConfig config_;
  BreakerState state_ = BreakerState::closed;
  TimePoint opened_at_{};
  int consecutive_ = 0;
  int probes_in_flight_ = 0;
  int probe_successes_ = 0;
  SlidingWindow calls_;  // a: successes, b: failures (closed state)
};

}  // namespace valkey::policy
