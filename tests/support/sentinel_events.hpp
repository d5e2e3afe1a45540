#pragma once
// A sentinel's event channels (+switch-master, +promoted-slave, ...) read on
// a thread of its own, each message stamped with the steady clock when it
// arrived: an observer independent of the client under test, for timing a
// failover from the sentinels' side.
//
//   SentinelEvents events(sentinels.sentinel(1).port(), {"+switch-master"});
//   auto e = events.wait_for("+switch-master", 30s);   // e->at, e->payload
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "resp_client.hpp"

namespace valkey::test {

class SentinelEvents {
 public:
  using clock = std::chrono::steady_clock;
  struct Event {
    std::string channel;
    std::string payload;
    clock::time_point at;
  };

  // Subscribes to `channels` on the sentinel at 127.0.0.1:port and returns
  // once the subscriptions are confirmed.
  SentinelEvents(int port, const std::vector<std::string>& channels);
  ~SentinelEvents();
  SentinelEvents(const SentinelEvents&) = delete;
  SentinelEvents& operator=(const SentinelEvents&) = delete;

  // The first event on `channel` that arrived at or after `since`; nullopt
  // when none did within `limit`.
  std::optional<Event> wait_for(const std::string& channel, std::chrono::milliseconds limit,
                                clock::time_point since = {}) const;
  std::vector<Event> events() const;

 private:
  void run();

  RespConnection conn_;
  std::size_t channels_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<Event> events_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace valkey::test
