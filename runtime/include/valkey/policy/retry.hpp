#pragma once
/// \file
/// When to send a failed request again, and after how long.
///
/// - RetryPolicy: the configuration (validated: a bad field is named);
/// - RetryBudget: a share of recent requests plus a small constant, so a
///   failing server sees at most that many extra requests;
/// - Retrier: the decision for one client: decide() after each failed
///   attempt, on_request() for each first attempt.
///
/// What is retried (decide()):
///   - not_sent + a transient error: always (nothing ran);
///   - sent_no_reply + a transient error: only when the command is idempotent
///     (policy/idempotency.hpp, or marked by the caller); otherwise the caller
///     is told the outcome is unknown (GiveUp::unknown_outcome);
///   - server_error whose prefix is retryable (LOADING, TRYAGAIN, CLUSTERDOWN,
///     MASTERDOWN; BUSY when opted in): the server refused before running the
///     command, so it is resent whether idempotent or not;
///   - never: a reply (ok), other server errors (WRONGTYPE, NOSCRIPT, ERR...),
///     non-transient errors (cancelled, client closed, queue_full, bad input,
///     auth, TLS, protocol), past max_attempts, past the deadline (a retry that
///     could not start before the deadline is not scheduled), over the budget.
///
/// Backoff: full jitter, uniform in `[0, min(max, base * 2^(attempt-1))]`.
///
/// Thread-safety: RetryPolicy is a value. A Retrier holds the budget and the
/// random state: one per client, used under the client's lock or on its
/// executor; it is not safe for concurrent calls.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <valkey/export.hpp>
#include <valkey/policy/outcome.hpp>
#include <valkey/policy/sliding_window.hpp>

namespace valkey::policy {

/// Server error prefixes that mean "refused, not run: try again later".
enum class RetryableError : std::uint8_t {
  none = 0,               ///< none of them
  loading = 1u << 0,      ///< LOADING: the server is loading its data set
  tryagain = 1u << 1,     ///< TRYAGAIN: a multi-key command during resharding
  clusterdown = 1u << 2,  ///< CLUSTERDOWN: the cluster cannot serve the slot now
  masterdown = 1u << 3,   ///< MASTERDOWN: a replica lost its primary (stale reads refused)
  busy = 1u << 4,         ///< BUSY: a script or function is running; it may run for long
};
/// The flags of both sets.
constexpr RetryableError operator|(RetryableError a, RetryableError b) noexcept {
  return static_cast<RetryableError>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
}
/// Whether `set` holds the flag `e`.
constexpr bool has(RetryableError set, RetryableError e) noexcept {
  return (static_cast<std::uint8_t>(set) & static_cast<std::uint8_t>(e)) != 0;
}
/// The flag of an error reply's prefix; none when it is not one of them.
VALKEY_CPP_EXPORT RetryableError retryable_error_of(std::string_view server_prefix) noexcept;

/// A share of recent requests plus a small constant that retries may not
/// exceed, so a failing server sees at most that many extra requests.
struct RetryBudget {
  /// False: retries are bounded by max_attempts and the deadline only.
  bool enabled = true;
  double ratio = 0.1;          ///< retries allowed per first attempt in the window (0..1)
  double per_second = 10.0;    ///< plus this many per second of the window
  /// The span over which first attempts and retries are counted.
  Duration window = std::chrono::seconds(10);
};

/// A RetryBudget's account: first attempts (deposits) and retries
/// (withdrawals) over the budget's window. Not thread-safe.
class VALKEY_CPP_EXPORT BudgetTally {
 public:
  /// An empty account for `budget`.
  explicit BudgetTally(const RetryBudget& budget) noexcept;
  /// Counts a first attempt at `now` (nothing when the budget is disabled).
  void on_request(TimePoint now) noexcept {
    if (budget_.enabled) window_.add_a(now);
  }
  /// Retries still allowed at `now`: per_second * window + ratio * first
  /// attempts - retries.
  double left(TimePoint now) noexcept;
  /// Counts one retry and returns true when the budget allows it (always
  /// when it is disabled).
  bool withdraw(TimePoint now) noexcept;

 private:
  RetryBudget budget_;
  SlidingWindow window_;  // a: first attempts, b: retries
};

/// When to send a failed request again, and after how long (validated:
/// problem() names a bad field).
struct VALKEY_CPP_EXPORT RetryPolicy {
  int max_attempts = 3;  ///< including the first; 1 disables retries
  /// The backoff ceiling before the first retry; it doubles with each attempt.
  Duration base = std::chrono::milliseconds(10);
  /// The largest backoff ceiling.
  Duration max = std::chrono::milliseconds(1000);
  /// The server error prefixes that are retried (RetryableError flags).
  RetryableError retry_on = RetryableError::loading | RetryableError::tryagain |
                            RetryableError::clusterdown | RetryableError::masterdown;
  /// The budget retries draw on.
  RetryBudget budget = {};

  /// Empty when valid; otherwise a sentence naming the field and the value
  /// ("RetryPolicy.max_attempts must be at least 1, got 0").
  std::string problem() const;
};

/// Upper bound of the wait before the retry that follows attempt `attempt`
/// (1 = the first send): `min(max, base * 2^(attempt-1))`.
VALKEY_CPP_EXPORT Duration backoff_ceiling(const RetryPolicy& p, int attempt) noexcept;
/// Full jitter: `random` (uniform over 64 bits) scaled into `[0, ceiling]`.
VALKEY_CPP_EXPORT Duration full_jitter(Duration ceiling, std::uint64_t random) noexcept;

/// Why a retry decision gives up; none when it retries.
enum class GiveUp : std::uint8_t {
  none,               ///< retrying
  replied,            ///< the attempt got a reply (ok): nothing to retry
  not_retryable,      ///< an error a resend does not fix (see retry.hpp)
  unknown_outcome,    ///< written without reply and not idempotent: report errc::unknown_outcome
  attempts_exhausted, ///< max_attempts reached
  deadline,           ///< the next attempt could not start before the deadline
  budget_exhausted,   ///< the RetryBudget allows no further retry now
};
/// The enumerator's name ("attempts_exhausted").
VALKEY_CPP_EXPORT std::string_view to_string(GiveUp g) noexcept;

/// What Retrier::decide() answers: retry after `delay`, or give up and why.
struct RetryDecision {
  /// Why it gives up; GiveUp::none to retry.
  GiveUp give_up = GiveUp::none;
  Duration delay = Duration::zero();  ///< when retrying: wait this long, then send again
  /// True when the request is to be sent again.
  bool retry() const noexcept { return give_up == GiveUp::none; }
};

/// The retry decision for one client: decide() after each failed attempt,
/// on_request() for each first attempt. Not safe for concurrent calls.
class VALKEY_CPP_EXPORT Retrier {
 public:
  /// Throws valkey::Error(errc::invalid_argument) with problem()'s sentence.
  explicit Retrier(RetryPolicy policy, std::uint64_t seed = 0x9e3779b97f4a7c15ull);

  /// The client's policy.
  const RetryPolicy& policy() const noexcept { return policy_; }

  /// Counts a first attempt for the budget (retries are not counted).
  void on_request(TimePoint now) noexcept { budget_.on_request(now); }

  /// After attempt number `attempt` (1 = the first send) failed as `f`:
  /// retry after a delay, or give up and why. A retry withdraws from the
  /// budget; `deadline` is the call's (TimePoint::max() when none).
  RetryDecision decide(int attempt, const Failure& f, bool idempotent, TimePoint now,
                       TimePoint deadline = TimePoint::max()) noexcept {
    return decide(policy_, attempt, f, idempotent, now, deadline);
  }
  /// The same under another policy's attempts, backoff and retry_on (a
  /// per-call policy), drawing on this Retrier's budget (a client's budget is
  /// one, whatever each call's policy says).
  RetryDecision decide(const RetryPolicy& p, int attempt, const Failure& f, bool idempotent, TimePoint now,
                       TimePoint deadline = TimePoint::max()) noexcept;

  /// Retries the budget would still allow at `now` (for tests and metrics).
  double budget_left(TimePoint now) noexcept { return budget_.left(now); }

 private:
  std::uint64_t next_random() noexcept;

  RetryPolicy policy_;
  std::uint64_t rng_;
  BudgetTally budget_;
};

}  // namespace valkey::policy
