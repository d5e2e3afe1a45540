#pragma once
// Helpers for the runtime's integration tests: run an io_context until a
// condition holds (a connected client never runs out of work on its own), an
// io_context on a thread of its own, polling a condition from the test thread.
#include <chrono>
#include <functional>
#include <future>
#include <thread>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

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

// Runs an io_context on a thread for the fixture-driven tests (the fixtures
// stay on the test's own thread). An AsyncClient on it is used on that
// thread: post to `ioc`, or on_io().
struct IoThread {
  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  std::thread t{[this] { ioc.run(); }};
  ~IoThread() {
    work.reset();
    ioc.stop();
    t.join();
  }
  // Runs f on the io thread and waits for its result.
  template <class F>
  auto on_io(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    asio::post(ioc, [&task] { task(); });
    return fut.get();
  }
};

// Polls `cond` from the calling thread until it holds or `limit` passes.
inline bool eventually(const std::function<bool()>& cond,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

}  // namespace valkey::test
