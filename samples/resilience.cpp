// Resilience policies: retries that are safe, per-call options, a circuit
// breaker, and the optimistic-transaction loop (docs/resilience.md).
#include <cstdio>
#include <string>

#include <valkey/valkey.hpp>

using namespace std::chrono_literals;

int main() try {
  valkey::Config cfg = valkey::Config::from_env();
  cfg.request_timeout = 2s;                   // no retry runs past a call's deadline
  cfg.retry = valkey::retry::standard;        // not sent, idempotent, or LOADING & co: sent again
  cfg.circuit_breaker = valkey::policy::CircuitBreakerConfig{};  // fail fast while the server is down
  valkey::Client db{cfg};

  db.set("sample:resilience", "1");
  // One call with its own deadline and no retry.
  auto v = db.with({.timeout = 500ms, .retry = valkey::retry::none}).get("sample:resilience");
  std::printf("get: %s\n", v.value_or("(nil)").c_str());

  // A write whose outcome is unknown is never sent twice: the caller is told.
  std::error_code ec;
  valkey::Diagnostics diag;
  std::int64_t n = db.incr("sample:resilience", ec, diag);
  if (ec == valkey::errc::unknown_outcome) std::printf("incr: may or may not have run: %s\n", diag.message.c_str());
  else if (ec) std::printf("incr failed (%s), outcome %s\n", diag.message.c_str(),
                           std::string(valkey::policy::to_string(diag.outcome)).c_str());
  else std::printf("incr: %lld\n", static_cast<long long>(n));

  // Optimistic locking: WATCH, read, MULTI/EXEC, again when a watched key changed.
  int attempts = 0;
  valkey::watch_retry(db, {"sample:resilience"}, [&](valkey::Watch& w) {
    ++attempts;
    long long cur = std::stoll(w.get("sample:resilience").value_or("0"));
    if (attempts == 1) db.incr("sample:resilience");  // a concurrent writer: the first EXEC aborts
    return w.multi().set("sample:resilience", std::to_string(cur * 10)).exec();
  });
  auto final_value = db.get("sample:resilience");
  std::printf("watch_retry: %d attempts, value %s\n", attempts, final_value.value_or("(nil)").c_str());
  return attempts == 2 && final_value == std::optional<std::string>("30") ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "resilience: %s\n", e.what());
  return 1;
}
