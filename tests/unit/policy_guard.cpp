// policy::Guard (a client's resilience state), the configuration checks of
// the policies, and the new error codes.
#include <catch2/catch_test_macros.hpp>

#include <vector>

#include <valkey/config.hpp>
#include <valkey/diagnostics.hpp>
#include <valkey/error.hpp>
#include <valkey/exec/call_options.hpp>
#include <valkey/exec/outcome.hpp>
#include <valkey/observe/observer.hpp>
#include <valkey/policy/guard.hpp>

using namespace std::chrono_literals;
using namespace valkey::policy;
using valkey::errc;

namespace {

struct CircuitLog final : valkey::Observer {
  std::vector<valkey::CircuitEvent::State> states;
  std::vector<unsigned> retries;
  void on_circuit(const valkey::CircuitEvent& e) override { states.push_back(e.state); }
  void on_retry(const valkey::RetryEvent& e) override { retries.push_back(e.attempt); }
};

std::string why_invalid(const valkey::Config& c) {
  std::string why;
  return c.validate(why) == errc::invalid_argument ? why : std::string{};
}

}  // namespace

TEST_CASE("guard: nothing configured, nothing decided", "[policy][guard]") {
  Guard g{valkey::Config{}};
  CHECK_FALSE(g.configured());
  CHECK(g.retry() == nullptr);
  CHECK(g.admit(Clock::now()) == Admission::go);
  g.record(Admission::go, make_error_code(errc::connection_lost), true, Clock::now());
  CHECK(g.breaker_state() == BreakerState::closed);
  // per-call policies still get the default budget
  const TimePoint now = Clock::now();
  g.first_attempt(now);
  const Failure f = failure_of(make_error_code(errc::not_connected), false);
  CHECK(g.decide(RetryPolicy{}, 1, f, false, now, TimePoint::max()).retry());
}

TEST_CASE("guard: the breaker opens, rejects, probes and closes; the observer hears each change",
          "[policy][guard][breaker]") {
  valkey::Config c;
  auto log = std::make_shared<CircuitLog>();
  c.observer = log;
  c.circuit_breaker = CircuitBreakerConfig{.consecutive_failures = 2, .cool_down = 100ms};
  Guard g{c};
  CHECK(g.configured());
  TimePoint t = Clock::now();
  const auto timeout = make_error_code(errc::timeout);
  for (int i = 0; i < 2; ++i) g.record(g.admit(t), timeout, true, t);
  CHECK(g.breaker_state() == BreakerState::open);
  CHECK(g.admit(t) == Admission::reject);
  // a server error is a success: WRONGTYPE says the node works
  t += 150ms;
  const Admission probe = g.admit(t);
  CHECK(probe == Admission::probe);
  g.record(probe, make_error_code(errc::server_error), true, t);
  CHECK(g.breaker_state() == BreakerState::closed);
  using S = valkey::CircuitEvent::State;
  CHECK(log->states == std::vector<S>{S::open, S::half_open, S::closed});
  g.retrying("GET", 1, timeout);
  CHECK(log->retries == std::vector<unsigned>{1});
}

TEST_CASE("guard: per-call policies share the client's budget", "[policy][guard][budget]") {
  valkey::Config c;
  RetryPolicy p;
  p.budget.ratio = 0;
  p.budget.per_second = 0.2;  // 2 over the 10 s window
  c.retry = p;
  Guard g{c};
  REQUIRE(g.retry() != nullptr);
  const TimePoint now = Clock::now();
  const Failure f = failure_of(make_error_code(errc::connection_lost), false);
  RetryPolicy call = valkey::retry::standard;
  call.max_attempts = 10;
  CHECK(g.decide(call, 1, f, false, now, TimePoint::max()).retry());
  CHECK(g.decide(*g.retry(), 1, f, false, now, TimePoint::max()).retry());
  CHECK(g.decide(call, 2, f, false, now, TimePoint::max()).give_up == GiveUp::budget_exhausted);
}

TEST_CASE("config: the policies are checked at construction, naming the field", "[policy][config]") {
  valkey::Config c;
  c.retry = RetryPolicy{.max_attempts = 0};
  CHECK(why_invalid(c).find("Config::retry: RetryPolicy.max_attempts") == 0);
  c.retry = RetryPolicy{.base = 2s, .max = 1s};
  CHECK(why_invalid(c).find("RetryPolicy.base") != std::string::npos);
  c.retry.reset();
  c.circuit_breaker = CircuitBreakerConfig{.failure_ratio = 1.5};
  CHECK(why_invalid(c).find("Config::circuit_breaker: CircuitBreakerConfig.failure_ratio") == 0);
  c.circuit_breaker.reset();
  c.queue_timeout = 10ms;
  CHECK(why_invalid(c).find("Config::queue_timeout") == 0);
  c.max_pending = 8;
  CHECK(why_invalid(c).empty());
  c.queue_timeout = -1ms;
  CHECK(why_invalid(c).find("Config::queue_timeout") == 0);
}

TEST_CASE("errors: unknown_outcome and circuit_open have names, messages and outcomes", "[policy][errors]") {
  CHECK(valkey::name_of(errc::unknown_outcome) == "unknown_outcome");
  CHECK(valkey::name_of(errc::circuit_open) == "circuit_open");
  CHECK(make_error_code(errc::unknown_outcome).message().find("may have run") != std::string::npos);
  CHECK_FALSE(transient(make_error_code(errc::circuit_open)));
  CHECK_FALSE(transient(make_error_code(errc::unknown_outcome)));
  // Diagnostics carry the outcome; unknown written-ness counts as written
  valkey::Diagnostics d;
  valkey::exec::fill(d, valkey::exec::Failure{make_error_code(errc::connection_lost), nullptr, "GET", "h:1", {}});
  CHECK(d.outcome == Outcome::sent_no_reply);
  valkey::exec::Failure f{make_error_code(errc::not_connected), nullptr, "GET", "h:1", {}};
  f.written = false;
  valkey::exec::fill(d, f);
  CHECK(d.outcome == Outcome::not_sent);
  d.clear();
  CHECK(d.outcome == Outcome::ok);
}
