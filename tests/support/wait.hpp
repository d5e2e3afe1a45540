#pragma once
// Polling with a deadline, for fixture readiness checks.
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

namespace valkey::test {

// Calls check() every `every` until it returns true or `limit` passes. check()
// may set `state` to describe what it saw; on timeout the exception message
// carries it. Exceptions from check() count as "not yet" (a node restarting).
inline void wait_until(const std::string& what, std::chrono::milliseconds limit,
                       const std::function<bool(std::string& state)>& check,
                       std::chrono::milliseconds every = std::chrono::milliseconds(50)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::string state;
  for (;;) {
    try {
      if (check(state)) return;
    } catch (const std::exception& e) {
      state = e.what();
    }
    if (std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error("timed out after " + std::to_string(limit.count()) + " ms waiting for " + what +
                               (state.empty() ? "" : "; last seen: " + state));
    std::this_thread::sleep_for(every);
  }
}

}  // namespace valkey::test
