#pragma once
// Helpers for the runtime's integration tests: run an io_context until a
// condition holds (a connected client never runs out of work on its own).
#include <chrono>
#include <functional>

#include <asio/io_context.hpp>

namespace valkey::test {

inline bool run_until(asio::io_context& ioc, const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  ioc.restart();
  while (!done() && std::chrono::steady_clock::now() < end) {
    ioc.run_one_for(std::chrono::milliseconds(50));
  }
  return done();
}

}  // namespace valkey::test
