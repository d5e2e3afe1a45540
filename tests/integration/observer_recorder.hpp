#pragma once
// An Observer for tests: records every hook call (under a lock: the hooks run
// on the caller's thread, the connection's executor and the router's).
#include <cstddef>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <valkey/observe/observer.hpp>

namespace valkey::test {

class RecordingObserver : public valkey::Observer {
 public:
  struct Start {
    valkey::RequestInfo::Kind kind;
    std::string name;
    const valkey::CommandInfo* command;
    std::uint32_t batch_size;
    int database;
    std::string host;
    std::uint16_t port;
    std::string unix_path;
    std::vector<std::string> args;  // every argument of every command, in order
    std::thread::id thread;
  };
  struct End {
    std::size_t start;  // index into starts() (from the token)
    std::error_code ec;
    std::string prefix;
    std::string node;
    std::thread::id thread;
  };

  valkey::observe::Token on_request_start(const valkey::RequestInfo& r) override {
    Start s{r.kind, std::string(r.name), r.command, r.batch_size, r.database, std::string(r.endpoint.host),
            r.endpoint.port, std::string(r.endpoint.unix_path), {}, std::this_thread::get_id()};
    if (r.arguments)
      r.arguments->for_each([&](std::size_t, std::size_t, std::string_view a) { s.args.emplace_back(a); });
    std::lock_guard lk(mu_);
    starts_.push_back(std::move(s));
    return valkey::observe::Token::of(starts_.size() - 1);
  }
  void on_request_end(valkey::observe::Token t, const valkey::RequestResult& r) override {
    std::lock_guard lk(mu_);
    ends_.push_back({t.as<std::size_t>(), r.ec, std::string(r.error_prefix), std::string(r.node),
                     std::this_thread::get_id()});
  }
  void on_connect(const valkey::ConnectionEvent& e) override { event("connect", e); }
  void on_disconnect(const valkey::ConnectionEvent& e) override { event("disconnect", e); }
  void on_reconnect_attempt(const valkey::ConnectionEvent& e) override { event("reconnect", e); }
  void on_topology_change(const valkey::TopologyEvent& e) override {
    std::lock_guard lk(mu_);
    topology_.push_back(e);
    topology_targets_.push_back(std::string(e.target.host) + ":" + std::to_string(e.target.port));
  }

  std::vector<Start> starts() const {
    std::lock_guard lk(mu_);
    return starts_;
  }
  std::vector<End> ends() const {
    std::lock_guard lk(mu_);
    return ends_;
  }
  // "connect 127.0.0.1:P", "disconnect 127.0.0.1:P <reason>", "reconnect 127.0.0.1:P #n"
  std::vector<std::string> events() const {
    std::lock_guard lk(mu_);
    return events_;
  }
  std::vector<valkey::TopologyEvent> topology() const {
    std::lock_guard lk(mu_);
    return topology_;
  }
  std::vector<std::string> topology_targets() const {
    std::lock_guard lk(mu_);
    return topology_targets_;
  }
  std::size_t count_events(std::string_view prefix) const {
    std::size_t n = 0;
    for (const auto& e : events())
      if (e.rfind(prefix, 0) == 0) ++n;
    return n;
  }
  std::string dump() const {
    std::string out;
    for (const auto& e : events()) out += e + "\n";
    return out;
  }

 private:
  void event(const char* what, const valkey::ConnectionEvent& e) {
    std::string line = std::string(what) + " " + std::string(e.endpoint.host) + ":" + std::to_string(e.endpoint.port);
    if (e.reason) line += " " + e.reason.message();
    if (e.attempt) line += " #" + std::to_string(e.attempt);
    std::lock_guard lk(mu_);
    events_.push_back(std::move(line));
  }

  mutable std::mutex mu_;
  std::vector<Start> starts_;
  std::vector<End> ends_;
  std::vector<std::string> events_;
  std::vector<valkey::TopologyEvent> topology_;
  std::vector<std::string> topology_targets_;
};

}  // namespace valkey::test
