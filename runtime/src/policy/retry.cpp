// Retry decisions, backoff and the retry budget (see retry.hpp).
#include <cmath>
#include <string>

#include <valkey/error.hpp>
#include <valkey/policy/retry.hpp>

namespace valkey::policy {

namespace {
std::string ms(Duration d) {
  return std::to_string(std::chrono::duration<double, std::milli>(d).count()) + " ms";
}
}  // namespace

RetryableError retryable_error_of(std::string_view p) noexcept {
  if (p == "LOADING") return RetryableError::loading;
  if (p == "TRYAGAIN") return RetryableError::tryagain;
  if (p == "CLUSTERDOWN") return RetryableError::clusterdown;
  if (p == "MASTERDOWN") return RetryableError::masterdown;
  if (p == "BUSY") return RetryableError::busy;
  return RetryableError::none;
}

std::string RetryPolicy::problem() const {
  if (max_attempts < 1)
    return "RetryPolicy.max_attempts must be at least 1 (1 = no retries), got " + std::to_string(max_attempts);
  if (base < Duration::zero()) return "RetryPolicy.base must not be negative, got " + ms(base);
  if (max < Duration::zero()) return "RetryPolicy.max must not be negative, got " + ms(max);
  if (base > max) return "RetryPolicy.base (" + ms(base) + ") must not exceed RetryPolicy.max (" + ms(max) + ")";
  if (budget.enabled) {
    if (!(budget.ratio >= 0.0 && budget.ratio <= 1.0))
      return "RetryPolicy.budget.ratio must be within 0..1, got " + std::to_string(budget.ratio);
    if (!(budget.per_second >= 0.0 && std::isfinite(budget.per_second)))
      return "RetryPolicy.budget.per_second must be finite and not negative, got " +
             std::to_string(budget.per_second);
    if (budget.window <= Duration::zero())
      return "RetryPolicy.budget.window must be positive, got " + ms(budget.window);
  }
  return {};
}

Duration backoff_ceiling(const RetryPolicy& p, int attempt) noexcept {
  if (attempt < 1) attempt = 1;
  if (p.base <= Duration::zero()) return Duration::zero();
  Duration d = p.base;
  for (int i = 1; i < attempt && d < p.max; ++i) d = d > p.max / 2 ? p.max : d * 2;
  return d < p.max ? d : p.max;
}

Duration full_jitter(Duration ceiling, std::uint64_t random) noexcept {
  if (ceiling <= Duration::zero()) return Duration::zero();
  // 53 random bits as a fraction in [0, 1]: both ends reachable.
  const double u = static_cast<double>(random >> 11) / static_cast<double>((1ull << 53) - 1);
  return Duration(static_cast<Duration::rep>(std::floor(u * static_cast<double>(ceiling.count()))));
}

std::string_view to_string(GiveUp g) noexcept {
  switch (g) {
    case GiveUp::none: return "none";
    case GiveUp::replied: return "replied";
    case GiveUp::not_retryable: return "not_retryable";
    case GiveUp::unknown_outcome: return "unknown_outcome";
    case GiveUp::attempts_exhausted: return "attempts_exhausted";
    case GiveUp::deadline: return "deadline";
    case GiveUp::budget_exhausted: return "budget_exhausted";
  }
  return "unknown";
}

BudgetTally::BudgetTally(const RetryBudget& budget) noexcept
    : budget_(budget), window_(budget.window > Duration::zero() ? budget.window : Duration(1)) {}

double BudgetTally::left(TimePoint now) noexcept {
  const double seconds = std::chrono::duration<double>(budget_.window).count();
  return budget_.per_second * seconds + budget_.ratio * static_cast<double>(window_.a(now)) -
         static_cast<double>(window_.b(now));
}

bool BudgetTally::withdraw(TimePoint now) noexcept {
  if (!budget_.enabled) return true;
  if (left(now) < 1.0) return false;
  window_.add_b(now);
  return true;
}

Retrier::Retrier(RetryPolicy policy, std::uint64_t seed) : policy_(policy), rng_(seed), budget_(policy.budget) {
  if (std::string p = policy_.problem(); !p.empty()) throw Error(make_error_code(errc::invalid_argument), p);
}

std::uint64_t Retrier::next_random() noexcept {
  // splitmix64: small, fast, and reproducible from the seed.
  std::uint64_t z = (rng_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

RetryDecision Retrier::decide(const RetryPolicy& policy, int attempt, const Failure& f, bool idempotent,
                              TimePoint now, TimePoint deadline) noexcept {
  switch (f.outcome) {
    case Outcome::ok:
      return {GiveUp::replied};
    case Outcome::server_error:
      if (!has(policy.retry_on, retryable_error_of(f.server_prefix))) return {GiveUp::not_retryable};
      break;  // refused before running: safe whatever the command
    case Outcome::not_sent:
      if (!f.transient) return {GiveUp::not_retryable};
      break;
    case Outcome::sent_no_reply:
      if (!f.transient) return {GiveUp::not_retryable};
      if (!idempotent) return {GiveUp::unknown_outcome};
      break;
  }
  if (attempt >= policy.max_attempts) return {GiveUp::attempts_exhausted};
  const Duration delay = full_jitter(backoff_ceiling(policy, attempt), next_random());
  if (now >= deadline || deadline - now <= delay) return {GiveUp::deadline};
  if (!budget_.withdraw(now)) return {GiveUp::budget_exhausted};
  return {GiveUp::none, delay};
}

}  // namespace valkey::policy
