// Circuit breaker state changes driven by an injected clock: opening on
// consecutive failures or a failure ratio, fail-fast while open, half-open
// probes, and what never counts.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <string>

#include <valkey/error.hpp>
#include <valkey/policy/circuit_breaker.hpp>

using namespace std::chrono_literals;
namespace vp = valkey::policy;
using vp::Admission;
using vp::BreakerState;
using vp::CallResult;
using vp::CircuitBreaker;
using vp::CircuitBreakerConfig;

namespace {
const vp::TimePoint t0 = vp::TimePoint{} + 1000h;

CircuitBreakerConfig config(int consecutive, int probes = 1) {
  CircuitBreakerConfig c;
  c.consecutive_failures = consecutive;
  c.min_calls = 1000;  // ratio out of the way unless a test sets it
  c.cool_down = 1s;
  c.probes = probes;
  return c;
}

void fail(CircuitBreaker& b, vp::TimePoint now, int n = 1) {
  for (int i = 0; i < n; ++i) {
    const Admission a = b.admit(now);
    REQUIRE(a != Admission::reject);
    b.record(a, CallResult::failure, now);
  }
}
}  // namespace

TEST_CASE("breaker validation names the field", "[policy]") {
  CHECK(CircuitBreakerConfig{}.problem().empty());
  auto problem = [](void (*edit)(CircuitBreakerConfig&)) {
    CircuitBreakerConfig c;
    edit(c);
    return c.problem();
  };
  CHECK(problem([](CircuitBreakerConfig& c) { c.consecutive_failures = 0; }).find("consecutive_failures") != std::string::npos);
  CHECK(problem([](CircuitBreakerConfig& c) { c.failure_ratio = 1.5; }).find("failure_ratio") != std::string::npos);
  CHECK(problem([](CircuitBreakerConfig& c) { c.failure_ratio = 0; }).find("failure_ratio") != std::string::npos);
  CHECK(problem([](CircuitBreakerConfig& c) { c.min_calls = 0; }).find("min_calls") != std::string::npos);
  CHECK(problem([](CircuitBreakerConfig& c) { c.window = 0s; }).find("window") != std::string::npos);
  CHECK(problem([](CircuitBreakerConfig& c) { c.cool_down = -1s; }).find("cool_down") != std::string::npos);
  CHECK(problem([](CircuitBreakerConfig& c) { c.probes = 0; }).find("probes") != std::string::npos);
  CircuitBreakerConfig bad;
  bad.probes = 0;
  try {
    CircuitBreaker b(bad);
    FAIL("an invalid configuration was accepted");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::invalid_argument);
    CHECK(std::string(e.what()).find("CircuitBreakerConfig.probes") != std::string::npos);
  }
}

TEST_CASE("opens after N consecutive failures; a success in between resets the count", "[policy]") {
  CircuitBreaker b(config(3));
  fail(b, t0, 2);
  b.record(b.admit(t0), CallResult::success, t0);
  fail(b, t0, 2);
  CHECK(b.state() == BreakerState::closed);
  fail(b, t0);
  CHECK(b.state() == BreakerState::open);
  CHECK(b.admit(t0) == Admission::reject);
  CHECK(b.admit(t0 + 999ms) == Admission::reject);
}

TEST_CASE("half-open after the cool-down: K successful probes close it", "[policy]") {
  CircuitBreaker b(config(1, 2));
  fail(b, t0);
  REQUIRE(b.state() == BreakerState::open);
  const auto t1 = t0 + 1s;
  const Admission p1 = b.admit(t1);
  const Admission p2 = b.admit(t1);
  CHECK(p1 == Admission::probe);
  CHECK(p2 == Admission::probe);
  CHECK(b.state() == BreakerState::half_open);
  CHECK(b.admit(t1) == Admission::reject);  // only K probes at a time
  b.record(p1, CallResult::success, t1);
  CHECK(b.state() == BreakerState::half_open);
  CHECK(b.admit(t1) == Admission::reject);  // K probes already admitted in this period
  b.record(p2, CallResult::success, t1);
  CHECK(b.state() == BreakerState::closed);
  CHECK(b.admit(t1) == Admission::go);
}

TEST_CASE("a failed probe opens it again for a new cool-down", "[policy]") {
  CircuitBreaker b(config(1));
  fail(b, t0);
  const auto t1 = t0 + 1500ms;
  const Admission p = b.admit(t1);
  REQUIRE(p == Admission::probe);
  b.record(p, CallResult::failure, t1);
  CHECK(b.state() == BreakerState::open);
  CHECK(b.reopens_at() == t1 + 1s);
  CHECK(b.admit(t1 + 999ms) == Admission::reject);
  CHECK(b.admit(t1 + 1s) == Admission::probe);
}

TEST_CASE("a neutral probe frees its slot without deciding", "[policy]") {
  CircuitBreaker b(config(1));
  fail(b, t0);
  const auto t1 = t0 + 1s;
  const Admission p = b.admit(t1);
  REQUIRE(p == Admission::probe);
  b.record(p, CallResult::neutral, t1);  // cancelled by its caller
  CHECK(b.state() == BreakerState::half_open);
  const Admission q = b.admit(t1);
  CHECK(q == Admission::probe);
  b.record(q, CallResult::success, t1);
  CHECK(b.state() == BreakerState::closed);
}

TEST_CASE("opens on the failure ratio over the window once enough calls finished", "[policy]") {
  CircuitBreakerConfig c;
  c.consecutive_failures = 1000;
  c.failure_ratio = 0.5;
  c.min_calls = 10;
  c.window = 10s;
  CircuitBreaker b(c);
  for (int i = 0; i < 4; ++i) {
    b.record(b.admit(t0), CallResult::success, t0);
    fail(b, t0);
  }
  CHECK(b.state() == BreakerState::closed);  // 4 of 8: too few calls to judge
  b.record(b.admit(t0), CallResult::success, t0);
  fail(b, t0);
  CHECK(b.state() == BreakerState::open);    // 5 of 10
}

TEST_CASE("old calls leave the ratio window", "[policy]") {
  CircuitBreakerConfig c;
  c.consecutive_failures = 1000;
  c.failure_ratio = 0.5;
  c.min_calls = 4;
  c.window = 10s;
  CircuitBreaker b(c);
  fail(b, t0, 3);
  const auto later = t0 + 20s;
  b.record(b.admit(later), CallResult::success, later);
  b.record(b.admit(later), CallResult::success, later);
  b.record(b.admit(later), CallResult::success, later);
  fail(b, later);  // 1 of 4 in the window; with the old ones it would be 4 of 7
  CHECK(b.state() == BreakerState::closed);
}

TEST_CASE("server errors and caller decisions never count as failures", "[policy]") {
  using valkey::errc;
  using valkey::make_error_code;
  CHECK(vp::call_result_of(make_error_code(errc::server_error), true) == CallResult::success);  // WRONGTYPE
  CHECK(vp::call_result_of({}, true) == CallResult::success);
  CHECK(vp::call_result_of(make_error_code(errc::timeout), true) == CallResult::failure);
  CHECK(vp::call_result_of(make_error_code(errc::connection_lost), true) == CallResult::failure);
  CHECK(vp::call_result_of(make_error_code(errc::not_connected), false) == CallResult::failure);
  CHECK(vp::call_result_of(make_error_code(errc::cancelled), true) == CallResult::neutral);
  CHECK(vp::call_result_of(make_error_code(errc::queue_full), false) == CallResult::neutral);
  CHECK(vp::call_result_of(make_error_code(errc::invalid_argument), false) == CallResult::neutral);

  CircuitBreaker b(config(2));
  for (int i = 0; i < 50; ++i) {
    b.record(b.admit(t0), vp::call_result_of(make_error_code(errc::server_error), true), t0);
    b.record(b.admit(t0), vp::call_result_of(make_error_code(errc::cancelled), true), t0);
  }
  CHECK(b.state() == BreakerState::closed);
}

TEST_CASE("results of calls admitted before the breaker opened are ignored", "[policy]") {
  CircuitBreaker b(config(1));
  const Admission old = b.admit(t0);
  fail(b, t0);
  REQUIRE(b.state() == BreakerState::open);
  b.record(old, CallResult::success, t0);  // a straggler's reply does not close it
  CHECK(b.state() == BreakerState::open);
  const auto t1 = t0 + 1s;
  const Admission p = b.admit(t1);
  b.record(old, CallResult::failure, t1);  // nor does its failure reopen a half-open breaker
  CHECK(b.state() == BreakerState::half_open);
  b.record(p, CallResult::success, t1);
  CHECK(b.state() == BreakerState::closed);
}
