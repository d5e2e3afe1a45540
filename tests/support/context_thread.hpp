#pragma once
// An io_context run on a thread of its own, for tests of handlers bound to
// another executor: whether that run() came back, and when, is what they
// check (an operation counts as work there until its completion is queued).
#include <chrono>
#include <future>
#include <thread>

#include <asio/io_context.hpp>

namespace valkey::test {

class ContextThread {
 public:
  // Starts ctx.run() now: start it after the operation whose work it tracks.
  explicit ContextThread(asio::io_context& ctx) : ctx_(ctx), returned_(done_.get_future()) {
    thread_ = std::thread([this] {
      ctx_.run();
      done_.set_value();
    });
  }
  ContextThread(const ContextThread&) = delete;
  ContextThread& operator=(const ContextThread&) = delete;
  // Stops the context if it still runs and joins the thread.
  ~ContextThread() {
    ctx_.stop();
    thread_.join();
  }

  // Whether run() returned within `limit`.
  bool returned_within(std::chrono::milliseconds limit) {
    return returned_.wait_for(limit) == std::future_status::ready;
  }

 private:
  asio::io_context& ctx_;
  std::promise<void> done_;
  std::future<void> returned_;
  std::thread thread_;
};

}  // namespace valkey::test
