// The runtime's calls into valkey::Observer: every hook guarded, so that an
// observer that throws never changes what a request does.
#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include <valkey/command_table.hpp>
#include <valkey/error.hpp>
#include <valkey/observe/probe.hpp>

namespace valkey {

// Counts a hook that threw and logs the first one (Config::logger).
struct ObserverAccess {
  static void failed(Observer& o, const Logger* logger, std::string_view hook) noexcept {
    o.failures_.fetch_add(1, std::memory_order_relaxed);
    if (!logger || !*logger || o.logged_.exchange(true, std::memory_order_relaxed)) return;
    try {
      std::string why = "unknown exception";
      try {
        throw;
      } catch (const std::exception& e) {
        why = e.what();
      } catch (...) {
      }
      (*logger)(LogLevel::warn, "observer: " + std::string(hook) + " threw (" + why +
                                    "); ignored (further failures are only counted)");
    } catch (...) {
      // a logger that throws must not break the request either
    }
  }
};

namespace observe {

namespace {

Endpoint endpoint_of(const Config& c) noexcept {
  Endpoint e;
  if (!c.unix_path.empty()) e.unix_path = c.unix_path;
  else e.host = c.host, e.port = c.port;
  return e;
}

// Fills kind, name, command and batch size.
void describe(const Shape& s, const Arguments& args, RequestInfo& info) {
  info.flags = s.flags;
  if (s.name == "pipeline" || s.name == "batch") {
    info.kind = RequestInfo::Kind::pipeline;
    info.name = "PIPELINE";
    info.batch_size = s.replies;
    return;
  }
  if (s.name == "transaction") {
    info.kind = RequestInfo::Kind::transaction;
    info.name = "MULTI";
    info.batch_size = s.replies >= 2 ? s.replies - 2 : s.replies;  // MULTI's and EXEC's replies
    return;
  }
  if (s.info) {
    info.command = s.info;
    info.name = s.info->name;
    return;
  }
  if (!s.name.empty()) {
    info.command = find_command(s.name);
    info.name = info.command ? info.command->name : s.name;
    return;
  }
  // call(): the table knows it by its first one or two arguments.
  std::string_view name, sub;
  std::size_t n = 0;
  args.for_each([&](std::size_t command, std::size_t i, std::string_view a) {
    if (command != 0) return;
    if (i == 0) name = a;
    else if (i == 1) sub = a;
    ++n;
  });
  info.command = n > 1 ? find_command(name, sub) : find_command(name);
  info.name = info.command ? info.command->name : name;
}

std::string_view prefix_of(std::string_view message) noexcept {
  const std::size_t sp = message.find(' ');
  return sp == std::string_view::npos ? message : message.substr(0, sp);
}

template <class Hook>
void notify(const Config& config, std::string_view name, Hook&& hook) noexcept {
  Observer* o = config.observer.get();
  if (!o) return;
  try {
    hook(*o);
  } catch (...) {
    ObserverAccess::failed(*o, &config.logger, name);
  }
}

}  // namespace

void Probe::start(const Config& config, const Shape& shape, const Arguments& args, bool endpoint_known) noexcept {
  Observer* o = config.observer.get();
  if (!o) return;
  try {
    RequestInfo info;
    describe(shape, args, info);
    info.database = config.database;
    if (endpoint_known) info.endpoint = endpoint_of(config);
    info.arguments = &args;
    token_ = o->on_request_start(info);
    observer_ = o;
    logger_ = &config.logger;
  } catch (...) {
    ObserverAccess::failed(*o, &config.logger, "on_request_start");
  }
}

void Probe::end(std::error_code ec, std::string_view server_message, std::string_view node) noexcept {
  Observer* o = std::exchange(observer_, nullptr);
  if (!o) return;
  RequestResult r;
  r.ec = ec;
  if (ec == errc::server_error) r.error_prefix = prefix_of(server_message);
  r.node = node;
  try {
    o->on_request_end(token_, r);
  } catch (...) {
    ObserverAccess::failed(*o, logger_, "on_request_end");
  }
}

void Probe::abandon() noexcept { end(make_error_code(errc::cancelled), {}); }

void connected(const Config& config, std::chrono::nanoseconds took) noexcept {
  notify(config, "on_connect", [&](Observer& o) {
    ConnectionEvent e;
    e.endpoint = endpoint_of(config);
    e.duration = took;
    o.on_connect(e);
  });
}

void disconnected(const Config& config, std::error_code reason, bool established) noexcept {
  notify(config, "on_disconnect", [&](Observer& o) {
    ConnectionEvent e;
    e.endpoint = endpoint_of(config);
    e.reason = reason;
    e.established = established;
    o.on_disconnect(e);
  });
}

void reconnect_attempt(const Config& config, unsigned attempt, std::chrono::nanoseconds waited) noexcept {
  notify(config, "on_reconnect_attempt", [&](Observer& o) {
    ConnectionEvent e;
    e.endpoint = endpoint_of(config);
    e.attempt = attempt;
    e.duration = waited;
    o.on_reconnect_attempt(e);
  });
}

void topology_changed(const Config& config, const TopologyEvent& event) noexcept {
  notify(config, "on_topology_change", [&](Observer& o) { o.on_topology_change(event); });
}

void retrying(const Config& config, const RetryEvent& event) noexcept {
  notify(config, "on_retry", [&](Observer& o) { o.on_retry(event); });
}

void circuit_changed(const Config& config, CircuitEvent::State state) noexcept {
  notify(config, "on_circuit", [&](Observer& o) {
    CircuitEvent e;
    e.endpoint = endpoint_of(config);
    e.state = state;
    o.on_circuit(e);
  });
}

}  // namespace observe
}  // namespace valkey
