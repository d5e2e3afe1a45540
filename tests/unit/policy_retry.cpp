// Retry decisions with an injected clock (time points passed in) and a seeded
// random source: what is resent, the backoff bounds, the deadline, the budget.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <string>
#include <queue>
#include <vector>

#include <valkey/error.hpp>
#include <valkey/policy/retry.hpp>

using namespace std::chrono_literals;
namespace vp = valkey::policy;
using vp::Failure;
using vp::GiveUp;
using vp::Outcome;
using vp::RetryPolicy;

namespace {
const vp::TimePoint t0 = vp::TimePoint{} + 1000h;

Failure lost() { return {Outcome::sent_no_reply, true, {}}; }
Failure refused() { return {Outcome::not_sent, true, {}}; }
Failure server(std::string_view prefix) { return {Outcome::server_error, false, prefix}; }

RetryPolicy no_budget() {
  RetryPolicy p;
  p.budget.enabled = false;
  return p;
}

std::string problem_with(void (*edit)(RetryPolicy&)) {
  RetryPolicy p;
  edit(p);
  return p.problem();
}
}  // namespace

TEST_CASE("retry policy validation names the field", "[policy]") {
  CHECK(RetryPolicy{}.problem().empty());
  CHECK(problem_with([](RetryPolicy& p) { p.max_attempts = 0; }).find("max_attempts") != std::string::npos);
  CHECK(problem_with([](RetryPolicy& p) { p.base = 2s; p.max = 1s; }).find("RetryPolicy.base") == 0);
  CHECK(problem_with([](RetryPolicy& p) { p.base = -1ms; }).find("base must not be negative") != std::string::npos);
  CHECK(problem_with([](RetryPolicy& p) { p.budget.ratio = 1.5; }).find("budget.ratio") != std::string::npos);
  CHECK(problem_with([](RetryPolicy& p) { p.budget.ratio = -0.1; }).find("budget.ratio") != std::string::npos);
  CHECK(problem_with([](RetryPolicy& p) { p.budget.per_second = -1; }).find("per_second") != std::string::npos);
  CHECK(problem_with([](RetryPolicy& p) { p.budget.window = 0s; }).find("budget.window") != std::string::npos);
  // A disabled budget is not validated.
  CHECK(problem_with([](RetryPolicy& p) { p.budget.enabled = false; p.budget.ratio = 7; }).empty());

  RetryPolicy bad;
  bad.max_attempts = 0;
  try {
    vp::Retrier r(bad);
    FAIL("an invalid policy was accepted");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::invalid_argument);
    CHECK(std::string(e.what()).find("max_attempts") != std::string::npos);
  }
}

TEST_CASE("backoff ceilings double up to max; full jitter spans [0, ceiling]", "[policy]") {
  RetryPolicy p;
  p.base = 10ms;
  p.max = 100ms;
  CHECK(vp::backoff_ceiling(p, 1) == 10ms);
  CHECK(vp::backoff_ceiling(p, 2) == 20ms);
  CHECK(vp::backoff_ceiling(p, 4) == 80ms);
  CHECK(vp::backoff_ceiling(p, 5) == 100ms);
  CHECK(vp::backoff_ceiling(p, 1'000'000) == 100ms);
  p.base = 0ms;
  CHECK(vp::backoff_ceiling(p, 1'000'000) == 0ms);

  CHECK(vp::full_jitter(100ms, 0) == 0ms);
  CHECK(vp::full_jitter(100ms, ~0ull) == 100ms);
  const auto half = vp::full_jitter(100ms, 1ull << 63);
  CHECK(half > 49ms);
  CHECK(half < 51ms);
  CHECK(vp::full_jitter(0ms, ~0ull) == 0ms);
}

TEST_CASE("what is retried and what is not", "[policy]") {
  vp::Retrier r(no_budget());
  CHECK(r.decide(1, refused(), false, t0).retry());               // nothing ran
  CHECK(r.decide(1, lost(), true, t0).retry());                   // may have run, safe twice
  CHECK(r.decide(1, lost(), false, t0).give_up == GiveUp::unknown_outcome);
  CHECK(r.decide(1, server("LOADING"), false, t0).retry());       // refused before running
  CHECK(r.decide(1, server("TRYAGAIN"), false, t0).retry());
  CHECK(r.decide(1, server("CLUSTERDOWN"), false, t0).retry());
  CHECK(r.decide(1, server("MASTERDOWN"), false, t0).retry());
  CHECK(r.decide(1, server("BUSY"), true, t0).give_up == GiveUp::not_retryable);  // opt-in
  CHECK(r.decide(1, server("WRONGTYPE"), true, t0).give_up == GiveUp::not_retryable);
  CHECK(r.decide(1, server("ERR"), true, t0).give_up == GiveUp::not_retryable);
  CHECK(r.decide(1, server("loading"), true, t0).give_up == GiveUp::not_retryable);  // prefixes are exact
  CHECK(r.decide(1, {Outcome::ok, false, {}}, true, t0).give_up == GiveUp::replied);
  // Non-transient errors on either side of the write.
  CHECK(r.decide(1, {Outcome::not_sent, false, {}}, true, t0).give_up == GiveUp::not_retryable);
  CHECK(r.decide(1, {Outcome::sent_no_reply, false, {}}, true, t0).give_up == GiveUp::not_retryable);

  RetryPolicy busy = no_budget();
  busy.retry_on = busy.retry_on | vp::RetryableError::busy;
  vp::Retrier rb(busy);
  CHECK(rb.decide(1, server("BUSY"), false, t0).retry());
}

TEST_CASE("failure_of feeds decide: a lost INCR is an unknown outcome, a lost GET is resent", "[policy]") {
  vp::Retrier r(no_budget());
  const auto f = vp::failure_of(valkey::make_error_code(valkey::errc::connection_lost), true);
  CHECK(r.decide(1, f, false, t0).give_up == GiveUp::unknown_outcome);
  CHECK(r.decide(1, f, true, t0).retry());
  const auto queued = vp::failure_of(valkey::make_error_code(valkey::errc::not_connected), false);
  CHECK(r.decide(1, queued, false, t0).retry());
  const auto cancelled = vp::failure_of(valkey::make_error_code(valkey::errc::cancelled), false);
  CHECK(r.decide(1, cancelled, true, t0).give_up == GiveUp::not_retryable);
}

TEST_CASE("max_attempts counts the first send", "[policy]") {
  RetryPolicy p = no_budget();
  p.max_attempts = 3;
  vp::Retrier r(p);
  CHECK(r.decide(1, refused(), true, t0).retry());
  CHECK(r.decide(2, refused(), true, t0).retry());
  CHECK(r.decide(3, refused(), true, t0).give_up == GiveUp::attempts_exhausted);
  p.max_attempts = 1;
  vp::Retrier none(p);
  CHECK(none.decide(1, refused(), true, t0).give_up == GiveUp::attempts_exhausted);
}

TEST_CASE("delays stay within the ceiling and repeat for a seed", "[policy]") {
  RetryPolicy p = no_budget();
  p.max_attempts = 100;
  p.base = 10ms;
  p.max = 200ms;
  vp::Retrier a(p, 42), b(p, 42), c(p, 43);
  bool differs = false;
  for (int attempt = 1; attempt < 50; ++attempt) {
    const auto da = a.decide(attempt, refused(), true, t0);
    const auto db = b.decide(attempt, refused(), true, t0);
    const auto dc = c.decide(attempt, refused(), true, t0);
    REQUIRE(da.retry());
    CHECK(da.delay == db.delay);
    CHECK(da.delay >= vp::Duration::zero());
    CHECK(da.delay <= vp::backoff_ceiling(p, attempt));
    differs = differs || da.delay != dc.delay;
  }
  CHECK(differs);  // the seed matters: the delays are not a constant
}

TEST_CASE("no retry is scheduled past the deadline", "[policy]") {
  RetryPolicy p = no_budget();
  p.base = 100ms;
  p.max = 100ms;
  vp::Retrier r(p, 7);
  CHECK(r.decide(1, refused(), true, t0, t0).give_up == GiveUp::deadline);
  CHECK(r.decide(1, refused(), true, t0 + 1s, t0).give_up == GiveUp::deadline);
  for (int i = 0; i < 200; ++i) {
    // 1 ms left, delays up to 100 ms: whenever it says retry, the retry starts in time.
    const auto d = r.decide(1, refused(), true, t0, t0 + 1ms);
    if (d.retry()) CHECK(d.delay < 1ms);
    else CHECK(d.give_up == GiveUp::deadline);
  }
  CHECK(r.decide(1, refused(), true, t0, t0 + 101ms).retry());
}

TEST_CASE("the budget allows a share of recent requests plus a constant", "[policy]") {
  RetryPolicy p;
  p.max_attempts = 1000;
  p.base = 0ms;
  p.budget.ratio = 0.1;
  p.budget.per_second = 1;
  p.budget.window = 10s;
  vp::Retrier r(p);
  // The constant alone: 1/s over a 10 s window.
  int granted = 0;
  for (int i = 0; i < 100; ++i) granted += r.decide(1, refused(), true, t0).retry();
  CHECK(granted == 10);
  CHECK(r.decide(1, refused(), true, t0).give_up == GiveUp::budget_exhausted);
  // 1,000 first attempts earn 100 more retries, and no more.
  for (int i = 0; i < 1000; ++i) r.on_request(t0);
  granted = 0;
  for (int i = 0; i < 1000; ++i) granted += r.decide(1, lost(), true, t0).retry();
  CHECK(granted == 100);
  // Decisions that do not retry spend nothing.
  CHECK(r.decide(1, lost(), false, t0).give_up == GiveUp::unknown_outcome);
  // Once the window has moved past them, the old requests and retries no longer count.
  const auto later = t0 + 11s;
  CHECK(r.budget_left(later) == 10.0);
  granted = 0;
  for (int i = 0; i < 100; ++i) granted += r.decide(1, refused(), true, later).retry();
  CHECK(granted == 10);
}

TEST_CASE("a budget's account on its own: deposits, withdrawals, and a disabled budget", "[policy]") {
  // The cluster clients draw on one (ClusterConfig::retry_budget) without a Retrier.
  vp::BudgetTally tally(vp::RetryBudget{.ratio = 0.5, .per_second = 0.2, .window = 10s});
  CHECK(tally.left(t0) == 2.0);
  for (int i = 0; i < 4; ++i) tally.on_request(t0);
  CHECK(tally.left(t0) == 4.0);
  int granted = 0;
  for (int i = 0; i < 10; ++i) granted += tally.withdraw(t0);
  CHECK(granted == 4);
  CHECK(tally.left(t0) == 0.0);
  CHECK(tally.left(t0 + 11s) == 2.0);  // the window moved past them

  vp::BudgetTally off(vp::RetryBudget{.enabled = false, .ratio = 0, .per_second = 0});
  for (int i = 0; i < 100; ++i) REQUIRE(off.withdraw(t0));
}

TEST_CASE("a storm of failing requests retries no more than the budget", "[policy]") {
  // 1,000 requests against a server that refuses everything for 5 s, with the
  // default policy: each failure is followed by its retry after the delay the
  // decision gives (simulated time, no sleeping).
  RetryPolicy p;
  p.max_attempts = 10;
  vp::Retrier r(p, 1234);
  struct Pending {
    vp::TimePoint at;
    int attempt;
  };
  // Handled in time order, as an event loop would.
  auto later_first = [](const Pending& a, const Pending& b) { return a.at > b.at; };
  std::priority_queue<Pending, std::vector<Pending>, decltype(later_first)> pending(later_first);
  for (int i = 0; i < 1000; ++i) {
    r.on_request(t0);
    pending.push({t0, 1});
  }
  int retries = 0, gave_up_budget = 0;
  while (!pending.empty()) {
    const Pending x = pending.top();
    pending.pop();
    const auto d = r.decide(x.attempt, refused(), true, x.at, t0 + 5s);
    if (d.retry()) {
      ++retries;
      pending.push({x.at + d.delay, x.attempt + 1});
    } else if (d.give_up == GiveUp::budget_exhausted) {
      ++gave_up_budget;
    }
  }
  // Within one window: 10/s * 10 s + 10 % of 1,000.
  CHECK(retries <= 200);
  CHECK(retries >= 100);  // the budget is used, not refused outright
  CHECK(gave_up_budget > 0);
}

TEST_CASE("time points slightly out of order still count against the budget", "[policy]") {
  RetryPolicy p;
  p.max_attempts = 1000;
  p.base = 0ms;
  p.budget.ratio = 0;
  p.budget.per_second = 1;
  vp::Retrier r(p);
  int granted = 0;
  for (int i = 0; i < 10; ++i) granted += r.decide(1, refused(), true, t0 + 1500ms).retry();
  // An earlier `now` (taken before a lock) sees the retries recorded after it.
  for (int i = 0; i < 10; ++i) granted += r.decide(1, refused(), true, t0).retry();
  CHECK(granted == 10);
}
