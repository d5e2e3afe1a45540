#pragma once
// The blocking loop the synchronous subscribers share (SyncSubscriber,
// SyncClusterSubscriber; internal): their io_context runs on the calling
// thread, inside their calls only, and messages wait in a bounded queue that
// the subscriber's message callback fills while it runs.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <system_error>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <valkey/error.hpp>
#include <valkey/pubsub.hpp>

namespace valkey::detail {

using SyncClock = std::chrono::steady_clock;
inline constexpr SyncClock::time_point kSyncNever = SyncClock::time_point::max();
// How long closing may wait for the connections' own handlers to finish.
inline constexpr std::chrono::seconds kSyncCloseBound{5};

// Runs `ioc` until `done()` or `deadline`; false on the deadline. The
// owner's work guard keeps run_one() blocking until a handler is due.
template <class Done>
bool run_until(asio::io_context& ioc, const Done& done, SyncClock::time_point deadline) {
  ioc.restart();
  while (!done()) {
    if (deadline == kSyncNever) {
      ioc.run_one();
    } else {
      const auto now = SyncClock::now();
      if (now >= deadline) return false;
      ioc.run_one_for(deadline - now);
    }
  }
  return true;
}

// Starts one subscription change (`start(handler)`) and runs `ioc` until
// its handler ran; its error.
template <class Start>
std::error_code run_change(asio::io_context& ioc, const Start& start) {
  std::error_code ec;
  bool done = false;
  start([&](std::error_code e, auto&&...) {
    ec = e;
    done = true;
  });
  run_until(ioc, [&] { return done; }, kSyncNever);
  return ec;
}

// A message from the subscriber's callback into `queue`, or counted in
// `dropped` when `capacity` (0: unbounded) are already waiting.
inline void enqueue_message(std::deque<Message>& queue, std::size_t capacity, std::size_t& dropped,
                            const Message& m) {
  if (capacity != 0 && queue.size() >= capacity) {
    ++dropped;
    return;
  }
  queue.push_back(m);
}

// The next message, running `ioc` until one is queued, `deadline` or a stop
// request (which it consumes: `stopped`). Handlers already due run even
// when the deadline has passed, so messages already read count.
inline std::optional<Message> next_message(asio::io_context& ioc, std::deque<Message>& queue,
                                           std::atomic<bool>& stop, SyncClock::time_point deadline,
                                           bool& stopped) {
  stopped = false;
  auto ready = [&] { return !queue.empty() || stop.load(std::memory_order_acquire); };
  ioc.restart();
  ioc.poll();
  if (!ready()) run_until(ioc, ready, deadline);
  if (stop.exchange(false, std::memory_order_acq_rel)) {
    stopped = true;
    return std::nullopt;
  }
  if (queue.empty()) return std::nullopt;
  Message m = std::move(queue.front());
  queue.pop_front();
  return m;
}

// stop() of a synchronous subscriber, from any thread: the flag says why
// the receiving thread's run_one() woke up.
inline void request_stop(asio::io_context& ioc, std::atomic<bool>& stop) {
  stop.store(true, std::memory_order_release);
  asio::post(ioc, [] {});
}

}  // namespace valkey::detail
