#include "sentinel_events.hpp"

#include <stdexcept>

namespace valkey::test {

SentinelEvents::SentinelEvents(int port, const std::vector<std::string>& channels)
    : conn_("127.0.0.1", port, std::chrono::seconds(120)), channels_(channels.size()) {
  std::vector<std::string> cmd{"SUBSCRIBE"};
  cmd.insert(cmd.end(), channels.begin(), channels.end());
  conn_.send(cmd);
  for (std::size_t i = 0; i < channels.size(); ++i) {
    RespValue r = conn_.read_reply();
    if (r.is_error()) throw std::runtime_error("SUBSCRIBE on the sentinel: " + r.str);
  }
  thread_ = std::thread([this] { run(); });
}

SentinelEvents::~SentinelEvents() {
  // The reader ends at the last unsubscribe confirmation (or when the
  // sentinel is gone).
  try {
    conn_.send({"UNSUBSCRIBE"});
  } catch (const std::exception&) {
  }
  thread_.join();
}

void SentinelEvents::run() {
  try {
    for (;;) {
      RespValue r = conn_.read_reply();
      const auto now = clock::now();
      if (r.elements.size() < 3) continue;
      const std::string kind = r.elements[0].str;
      if (kind == "unsubscribe") {
        if (r.elements[2].integer == 0) break;
        continue;
      }
      if (kind != "message") continue;
      std::lock_guard lk(mu_);
      events_.push_back({r.elements[1].str, r.elements[2].str, now});
      cv_.notify_all();
    }
  } catch (const std::exception&) {
    // the sentinel closed the connection, or stopped answering
  }
  std::lock_guard lk(mu_);
  done_ = true;
  cv_.notify_all();
}

std::optional<SentinelEvents::Event> SentinelEvents::wait_for(const std::string& channel,
                                                              std::chrono::milliseconds limit,
                                                              clock::time_point since) const {
  std::unique_lock lk(mu_);
  std::optional<Event> found;
  cv_.wait_for(lk, limit, [&] {
    for (const Event& e : events_) {
      if (e.channel == channel && e.at >= since) {
        found = e;
        return true;
      }
    }
    return done_;
  });
  return found;
}

std::vector<SentinelEvents::Event> SentinelEvents::events() const {
  std::lock_guard lk(mu_);
  return events_;
}

}  // namespace valkey::test
