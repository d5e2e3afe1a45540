#pragma once
/// \file
/// The runtime's side of valkey::Observer (internal): a Probe lives inside each
/// request and carries the observer's token from submission to completion;
/// the functions below call the hooks with every exception caught. The
/// request path only ever tests observed(config) (submission) and
/// `probe.armed()` (completion): with no observer, nothing else runs.
#include <chrono>
#include <cstdint>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include <valkey/command_info.hpp>
#include <valkey/config.hpp>
#include <valkey/export.hpp>
#include <valkey/observe/observer.hpp>
#include <valkey/resp/writer.hpp>

namespace valkey::observe {

/// Whether requests made under `config` are observed: the one test the
/// request path makes at submission. A measurement build compiles the hook
/// out with `-DVALKEY_CPP_NO_OBSERVER_HOOK` (library and program alike) to
/// count what the test and the probe cost (scripts/bench-hook-cost.sh);
/// nothing else defines it.
inline bool observed(const Config& config) noexcept {
#ifdef VALKEY_CPP_NO_OBSERVER_HOOK
  (void)config;
  return false;
#else
  return static_cast<bool>(config.observer);
#endif
}

/// What the request path knows about a request before it is built.
struct Shape {
  /// A typed command's or batch's name (static storage: "GET", "pipeline",
  /// "batch", "transaction"); empty: read from the arguments.
  std::string_view name;
  const CommandInfo* info = nullptr;  ///< a typed command's metadata
  /// The replies the request gets.
  std::uint32_t replies = 1;
  /// The command's flags.
  CommandFlag flags = CommandFlag::none;
};

/// The generated metadata of a plan holding a typed command (exec/plan.hpp's
/// CommandPlan), else null.
template <class Plan>
const CommandInfo* command_info_of(const Plan& plan) noexcept {
  if constexpr (requires { std::remove_cvref_t<decltype(plan.cmd)>::info; })
    return &std::remove_cvref_t<decltype(plan.cmd)>::info;
  else
    return nullptr;
}

/// One request's observation: armed between start() and end(). Ending is
/// exactly once: a probe destroyed while armed (a request abandoned by an
/// exception, a deferred operation never launched) ends with `cancelled`.
class VALKEY_CPP_EXPORT Probe {
 public:
  /// An unarmed probe.
  Probe() = default;
  /// Takes over `o`'s observation; `o` is left unarmed.
  Probe(Probe&& o) noexcept : observer_(std::exchange(o.observer_, nullptr)), logger_(o.logger_), token_(o.token_) {}
  /// Ends this probe's observation with `cancelled` if armed, then takes
  /// over `o`'s.
  Probe& operator=(Probe&& o) noexcept {
    if (this != &o) {
      if (observer_) abandon();
      observer_ = std::exchange(o.observer_, nullptr);
      logger_ = o.logger_;
      token_ = o.token_;
    }
    return *this;
  }
  /// Ends the observation with `cancelled` if still armed.
  ~Probe() {
#ifndef VALKEY_CPP_NO_OBSERVER_HOOK
    if (observer_) [[unlikely]]
      abandon();
#endif
  }

  /// True between start() and end().
  bool armed() const noexcept {
#ifdef VALKEY_CPP_NO_OBSERVER_HOOK
    return false;
#else
    return observer_ != nullptr;
#endif
  }

  /// Calls on_request_start (config.observer must be set). `endpoint_known`:
  /// false for the cluster clients, whose node is chosen later.
  void start(const Config& config, const Shape& shape, const Arguments& args, bool endpoint_known = true) noexcept;
  /// Calls on_request_end once (armed only). `server_message`: an error
  /// reply's text (its first word becomes the prefix).
  void end(std::error_code ec, std::string_view server_message, std::string_view node = {}) noexcept;

 private:
  void abandon() noexcept;

  Observer* observer_ = nullptr;
  const Logger* logger_ = nullptr;
  Token token_;
};

/// Starts observing a plan whose arguments are alive (synchronous calls):
/// they are encoded again only if the observer asks for them.
template <class Plan>
void start_plan(Probe& probe, const Config& config, const Plan& plan) noexcept {
  const Arguments args(&plan, [](const void* c, resp::Writer& w) { static_cast<const Plan*>(c)->write(w); });
  probe.start(config, Shape{plan.lasting_name(), command_info_of(plan), plan.replies(), plan.flags()}, args);
}

// Connection and topology events (config.observer must be set).
/// Calls on_connect: the connection of `config` became ready after `took`.
VALKEY_CPP_EXPORT void connected(const Config& config, std::chrono::nanoseconds took) noexcept;
/// Calls on_disconnect for the connection of `config`.
VALKEY_CPP_EXPORT void disconnected(const Config& config, std::error_code reason, bool established) noexcept;
/// Calls on_reconnect_attempt: attempt number `attempt`, after `waited`.
VALKEY_CPP_EXPORT void reconnect_attempt(const Config& config, unsigned attempt, std::chrono::nanoseconds waited) noexcept;
/// Calls on_topology_change with `event`.
VALKEY_CPP_EXPORT void topology_changed(const Config& config, const TopologyEvent& event) noexcept;
// The resilience policies' events (policy/guard.hpp).
/// Calls on_retry with `event`.
VALKEY_CPP_EXPORT void retrying(const Config& config, const RetryEvent& event) noexcept;
/// Calls on_circuit: the breaker of the endpoint of `config` is now in `state`.
VALKEY_CPP_EXPORT void circuit_changed(const Config& config, CircuitEvent::State state) noexcept;

}  // namespace valkey::observe
