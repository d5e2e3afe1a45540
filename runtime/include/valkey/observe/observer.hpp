#pragma once
/// \class valkey::Observer
/// Hooks through which an application (or an adapter such as the
/// OpenTelemetry one, otel/) sees what the client does: each request's start
/// and end, connects, disconnects, reconnect attempts, cluster topology
/// changes, retries, circuit breaker changes and client-side cache activity.
/// Set one on Config::observer (null by default: then a request
/// pays one predictable branch at submission and one at completion, and
/// allocates nothing).
///
/// \code
///   struct Count final : valkey::Observer {
///     valkey::observe::Token on_request_start(const valkey::RequestInfo& r) override {
///       return valkey::observe::Token::of(std::chrono::steady_clock::now());
///     }
///     void on_request_end(valkey::observe::Token t, const valkey::RequestResult& r) override {
///       auto took = std::chrono::steady_clock::now() - t.as<std::chrono::steady_clock::time_point>();
///       ...
///     }
///   };
///   cfg.observer = std::make_shared<Count>();
/// \endcode
///
/// Threads (docs/observability.md has the details):
/// - on_request_start: the caller's thread, inside the call that submits.
/// - on_request_end: where the request completes: the caller's thread for
///   the synchronous clients (right after the reply arrived, before the call
///   returns), the connection's executor for AsyncClient and its pipelines,
///   transactions and leases, the router's executor for the cluster clients;
///   always before the caller sees the result.
/// - connection events: the connection's executor.
/// - topology events: the cluster router's executor.
///
/// One observer may be shared by many clients and threads: it must be safe to
/// call concurrently. A hook must not call back into the client it observes.
///
/// A hook that throws never affects the request: the exception is caught and
/// counted (failures()), and the first one is logged through Config::logger.
/// When on_request_start throws, on_request_end is not called for that request.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include <valkey/command_info.hpp>
#include <valkey/export.hpp>
#include <valkey/resp/writer.hpp>

namespace valkey {

namespace observe {

/// What on_request_start hands to on_request_end: fixed inline storage kept
/// in the request itself (no allocation). It holds any trivially copyable
/// value up to `capacity` bytes: a start time, an index, a pointer to the
/// observer's own record. on_request_end is called exactly once per token
/// on_request_start returned, so a pointer to something the observer
/// allocated can be released there.
class Token {
 public:
  /// The most bytes a Token holds.
  static constexpr std::size_t capacity = 32;

  /// A token holding a copy of `value` (trivially copyable, at most
  /// `capacity` bytes).
  template <class T>
  static Token of(const T& value) noexcept {
    static_assert(std::is_trivially_copyable_v<T>, "a Token holds trivially copyable values");
    static_assert(sizeof(T) <= capacity, "the value does not fit in a Token");
    Token t;
    std::memcpy(t.bytes_, &value, sizeof(T));
    return t;
  }
  /// The value of()'s T stored (the same T, or the result is meaningless).
  template <class T>
  T as() const noexcept {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= capacity);
    T value;
    std::memcpy(&value, bytes_, sizeof(T));
    return value;
  }

 private:
  // Left uninitialized: an unobserved request never touches it.
  alignas(8) unsigned char bytes_[capacity];
};

/// Where a request goes or a connection points: host and port, or a Unix
/// socket path. Views into the client's configuration.
struct Endpoint {
  /// The host name or IP address.
  std::string_view host;
  /// The port.
  std::uint16_t port = 0;
  std::string_view unix_path;  ///< set: a Unix socket (host and port unused)
  /// True when neither a host nor a Unix socket path is set.
  bool empty() const noexcept { return host.empty() && unix_path.empty(); }
};

/// The request's arguments, encoded only when asked (a sanitizer that builds
/// a query text): every command of the request (a batch has several; a
/// transaction includes its MULTI and EXEC), each as its arguments, the first
/// being the command name. Valid during on_request_start only.
class VALKEY_CPP_EXPORT Arguments {
 public:
  /// The callback of visit(): `ctx`, the command's index, the argument's
  /// index in it, the argument.
  using Visit = void (*)(void* ctx, std::size_t command, std::size_t index, std::string_view arg);
  /// Encodes the request's commands into `w` (the runtime's side).
  using Write = void (*)(const void* ctx, resp::Writer& w);

  /// No arguments: encoded() is empty.
  Arguments() = default;
  /// Arguments already encoded as RESP.
  explicit Arguments(std::string_view encoded) noexcept : bytes_(encoded), ready_(true) {}
  /// Arguments that `write(ctx, w)` encodes on the first call to encoded().
  Arguments(const void* ctx, Write write) noexcept : ctx_(ctx), write_(write) {}
  Arguments(const Arguments&) = delete;
  Arguments& operator=(const Arguments&) = delete;

  /// The RESP bytes of the request's commands (encoded on the first call).
  std::string_view encoded() const;
  /// Calls `fn(command_index, argument_index, argument)` for each argument.
  template <class Fn>
  void for_each(Fn&& fn) const {
    visit([](void* c, std::size_t cmd, std::size_t i, std::string_view a) { (*static_cast<Fn*>(c))(cmd, i, a); },
          &fn);
  }
  /// Calls `v(ctx, command_index, argument_index, argument)` for each argument.
  void visit(Visit v, void* ctx) const;

 private:
  const void* ctx_ = nullptr;
  Write write_ = nullptr;
  mutable std::string scratch_;
  mutable std::string_view bytes_;
  mutable bool ready_ = false;
};

}  // namespace observe

/// One request as it is submitted.
struct RequestInfo {
  /// What the request is: one command, a pipeline (or batch), a transaction.
  enum class Kind : std::uint8_t { command, pipeline, transaction };
  /// What the request is.
  Kind kind = Kind::command;
  /// "GET", "CLIENT SETNAME"; "PIPELINE" for a pipeline or batch, "MULTI" for
  /// a transaction; for call() with a command the generated table does not
  /// know, its first argument as given.
  std::string_view name;
  /// The generated metadata (name, flags, key specs); null for batches and
  /// for commands the table does not know.
  const CommandInfo* command = nullptr;
  /// The command's flags (CommandFlag::none when they are not known).
  CommandFlag flags = CommandFlag::none;
  /// Commands the request carries: 1, or a batch's count (a transaction's
  /// MULTI and EXEC not counted).
  std::uint32_t batch_size = 1;
  /// The connection's configured database (Config::database).
  int database = 0;
  /// Empty for the cluster clients: the node is chosen later (the result
  /// names it).
  observe::Endpoint endpoint;
  /// The request's arguments, encoded only when asked; valid during
  /// on_request_start only.
  const observe::Arguments* arguments = nullptr;
};

/// How a request ended.
struct RequestResult {
  /// Empty: every reply arrived and none failed the request. Otherwise why:
  /// server_error (an error reply), timeout, connection_lost, not_connected,
  /// cancelled, a decode error...
  std::error_code ec;
  /// For server_error: the error reply's first word ("WRONGTYPE", "ERR").
  std::string_view error_prefix;
  /// The node that answered, "host:port", when it was chosen after
  /// submission (cluster clients); empty otherwise.
  std::string_view node;
};

/// A connection to one server (a client's, a cluster node's, a lease's).
struct ConnectionEvent {
  /// The server the connection points to.
  observe::Endpoint endpoint;
  /// on_disconnect: why (connection_lost, health_check_failed, a refused
  /// attempt's error...).
  std::error_code reason;
  /// on_disconnect: true when a ready connection dropped, false when an
  /// attempt failed before it was ready (on_connect never came for it).
  bool established = false;
  /// on_reconnect_attempt: 1 for the first attempt after a loss.
  unsigned attempt = 0;
  /// on_connect: from the start of the attempt to ready (connect, TLS,
  /// handshake); on_reconnect_attempt: the back-off waited before it.
  std::chrono::nanoseconds duration{0};
};

/// The cluster's slot map changed (or sentinel's primary did).
struct TopologyEvent {
  /// What changed.
  enum class Kind : std::uint8_t {
    discovered,  ///< the first map adopted
    refreshed,   ///< a refresh adopted a map that differs from the one before
    moved,       ///< a MOVED reply moved one slot (the map is patched at once)
    failover,    ///< sentinel: the primary changed
  };
  /// What changed.
  Kind kind = Kind::refreshed;
  int slot = -1;             ///< moved: the slot
  observe::Endpoint target;  ///< moved: its new owner; failover: the new primary
  std::size_t shards = 0;    ///< shards in the map after the change (cluster)
};

/// A request is about to be sent again (Config::retry, Client::with()):
/// `attempt` is the attempt that failed (1 = the first send), `reason` why.
struct RetryEvent {
  /// The command's name.
  std::string_view command;
  /// The attempt that failed (1 = the first send).
  unsigned attempt = 0;
  /// Why it failed.
  std::error_code reason;
};
/// An endpoint's circuit breaker changed state (Config::circuit_breaker).
struct CircuitEvent {
  /// A breaker's state (policy::BreakerState).
  enum class State : std::uint8_t { closed, open, half_open };
  /// The endpoint whose breaker changed.
  observe::Endpoint endpoint;
  /// The breaker's new state.
  State state = State::closed;
};
/// Client-side cache activity (Config::cache).
struct CacheEvent {
  /// What happened: a hit, a miss, entries the store dropped (eviction,
  /// expiration), keys the server invalidated, or the whole cache dropped
  /// (flush).
  enum class Kind : std::uint8_t { hit, miss, eviction, expiration, invalidation, flush };
  /// What happened.
  Kind kind = Kind::hit;
  /// How many keys or entries the event covers.
  std::size_t count = 1;
};

class Observer {
 public:
  Observer() = default;
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;
  virtual ~Observer() = default;

  /// A request is submitted; the Token returned goes to its on_request_end.
  virtual observe::Token on_request_start(const RequestInfo&) { return {}; }
  /// The request completed, before the caller sees the result.
  virtual void on_request_end(observe::Token, const RequestResult&) {}
  /// A connection became ready (connect, TLS, handshake done).
  virtual void on_connect(const ConnectionEvent&) {}
  /// A ready connection dropped (`established`), or an attempt failed.
  virtual void on_disconnect(const ConnectionEvent&) {}
  /// A reconnection attempt starts (after its back-off).
  virtual void on_reconnect_attempt(const ConnectionEvent&) {}
  /// Cluster: the first map, a MOVED slot, a refresh that changed the map;
  /// sentinel: a failover.
  virtual void on_topology_change(const TopologyEvent&) {}
  /// A request is about to be sent again.
  virtual void on_retry(const RetryEvent&) {}
  /// An endpoint's circuit breaker changed state.
  virtual void on_circuit(const CircuitEvent&) {}
  /// Client-side cache activity: hits, misses, invalidations, flushes,
  /// evictions and expirations.
  virtual void on_cache(const CacheEvent&) {}

  /// Hook calls that threw (and were swallowed).
  std::uint64_t failures() const noexcept { return failures_.load(std::memory_order_relaxed); }

 private:
  friend struct ObserverAccess;
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<bool> logged_{false};
};

}  // namespace valkey
