#pragma once
/// \class valkey::Client
/// valkey::Client: the synchronous, thread-safe client. Any number of threads
/// may call it at once: it opens a few connections on demand
/// (Config::max_connections, 4 by default) so that threads calling at the
/// same time rarely wait on each other, and requests of threads that share a
/// connection share its socket (auto-pipelined). A single thread's calls all
/// go over one connection.
///
/// \code
///   valkey::Client db{"valkey://localhost:6379"};
///   db.set("greeting", "hello");     // bool: false when NX/XX/IFEQ kept it from writing
///   db.set_get("greeting", "hi");    // SET ... GET: std::optional<std::string>, the old value
///   std::optional<std::string> g = db.get("greeting");
///   std::int64_t n = db.incr("hits");
///   db.flushall();                   // replies that are always +OK (reply_type Ok) return void
///   valkey::Reply r = db.call({"JSON.GET", "doc", "$"});
/// \endcode
///
/// Errors throw valkey::ServerError (an error reply: prefix and text kept) or
/// valkey::Error (everything else, code in valkey::errc); what() names the
/// command, the endpoint and the reason. Every method also takes a trailing
/// std::error_code& (and optionally a Diagnostics&) instead: then nothing is
/// thrown, a failed call returns a default value, and the Diagnostics holds
/// the text what() would.
///
/// Commands flagged `blocking` (BLPOP, BRPOP, BLMOVE, BZPOPMIN, XREAD, WAIT...)
/// run on a dedicated connection leased from a small pool, never on the shared
/// one, so they cannot stall the other callers (see lease.hpp).
///
/// Who does the I/O (leader/follower, docs/runtime.md): a calling thread that
/// finds nobody driving a connection drives it itself — it writes its request
/// and reads the reply on its own thread, with no hand-off — and any thread
/// that calls meanwhile on that connection queues its request and sleeps until
/// its reply came or it is handed the driver's role. An internal thread per
/// connection drives when there is work and no caller to do it (health checks,
/// reconnects, a peer that closes the idle connection); it never polls, and a
/// caller that leaves nothing behind does not wake it.
///
/// Connection state set with call() (CLIENT SETNAME, CLIENT TRACKING) applies
/// to one connection only: set it in Config, which every connection applies in
/// its handshake. SELECT is refused (invalid_argument): database(n) runs calls
/// in another database over the same connections.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

#include <valkey/adapt/response.hpp>
#include <valkey/batch_starters.hpp>
#include <valkey/cache/cached.hpp>
#include <valkey/cache/store.hpp>
#include <valkey/command.hpp>
#include <valkey/config.hpp>
#include <valkey/connection_stats.hpp>
#include <valkey/diagnostics.hpp>
#include <valkey/error.hpp>
#include <valkey/exec/executor.hpp>
#include <valkey/exec/sync.hpp>
#include <valkey/exec/with.hpp>
#include <valkey/export.hpp>
#include <valkey/policy/guard.hpp>
#include <valkey/reply.hpp>
#include <valkey/sentinel/sentinel_config.hpp>
#include <valkey/view.hpp>

#include <valkey/exec/generated_methods.hpp>

namespace valkey {

class SyncBlockingClient;
namespace detail {
class SyncLane;
}
namespace sentinel {
class SentinelService;
}

class VALKEY_CPP_EXPORT Client : public exec::Executor<Client>,
               public BatchStarters<Client>
#ifdef VALKEY_HAS_COMMANDS
    , public Commands<Client>
#endif
{
 public:
  /// Marks the client as a synchronous executor (exec::Executor).
  using executor_category = exec::sync_executor;

  /// Connects and completes the handshake before returning; throws
  /// valkey::Error (auth_failed, tls_error, timeout, a socket error...) when
  /// the first connection fails. The message never holds the password.
  explicit Client(std::string_view url);
  /// Connects with the settings in `config`; otherwise as the URL constructor.
  explicit Client(Config config);
  /// Through Valkey Sentinel (a valkey+sentinel:// URL does the same; see
  /// docs/sentinel.md): every connection asks the sentinels for its node, and
  /// the client follows the primary through failovers. Throws valkey::Error
  /// for an invalid configuration (invalid_argument), or when no sentinel
  /// answers (sentinel_unreachable: the message lists each and why),
  /// none knows the primary (sentinel_unknown_primary), no replica is up
  /// (no_replica), or the first connection fails.
  explicit Client(SentinelConfig config);
  /// Closes the connections (pending calls fail with connection_closed) and
  /// joins their internal threads.
  ~Client();
  /// Not copyable.
  Client(const Client&) = delete;
  /// Not copy-assignable.
  Client& operator=(const Client&) = delete;

  // exec(cmd[, ec[, diag]]) and call(args[, ec[, diag]]) come from
  // exec::Executor; the generated methods (set, get, ...) call exec.

  // pipeline() and transaction() come from BatchStarters:
  // db.pipeline().set("k", "v").get("k").exec().

  /// Runs a custom request (a pipeline, a transaction) derived from
  /// detail::SyncOpBase and blocks until its on_complete ran: on the shared
  /// connection (this thread may drive its I/O meanwhile), or on a leased one
  /// when its flags say `blocking`.
  void run(detail::SyncOpBase& op);

  /// Closes for good (idempotent; the destructor calls it).
  void close();

  /// The configuration the client was built with.
  const Config& config() const noexcept { return config_; }

  /// This client with per-call options (exec/call_options.hpp): a deadline,
  /// a retry policy, an idempotency mark for the calls made through it.
  /// \code
  ///   db.with({.timeout = 20ms, .retry = valkey::retry::standard}).get("k");
  /// \endcode
  With<Client> with(exec::CallOptions options) { return With<Client>(*this, std::move(options)); }
  /// This client in numbered database `n`: calls through the handle run there,
  /// over the same multiplexed connections (each writes SELECT only when the
  /// database changes between consecutive requests, and starts again from
  /// Config::database after a reconnect). Throws valkey::Error
  /// (invalid_argument) for n < 0; a database the server lacks fails the
  /// call with its error ("ERR DB index is out of range"). Calls through it
  /// do not use the client-side cache.
  /// \code
  ///   db.database(2).set("k", "v");
  /// \endcode
  With<Client> database(std::int32_t n) { return with({.database = exec::checked_database(n)}); }

  /// The resilience state (policy/guard.hpp): null unless Config::retry or
  /// Config::circuit_breaker is set (run_sync's one branch); guard_for_call()
  /// is the same state for calls with per-call options.
  policy::Guard* policy_guard() noexcept { return active_guard_; }
  /// The resilience state for calls made with per-call options (with()).
  policy::Guard& guard_for_call() noexcept { return *guard_; }

  /// The connections' counters, summed (read by whichever thread drives each;
  /// for tests and metrics, not for hot paths).
  ConnectionStats stats() const;
  /// Connections open now (1 up to Config::max_connections).
  std::size_t connections() const noexcept;

  /// Client-side caching (Config::cache; docs/caching.md). cached(ttl) is the
  /// cached command surface: db.cached(5s).get("k") answers a hit without
  /// I/O; `ttl` bounds the entry (0: only max_ttl, the key's TTL and the
  /// server's invalidations). Without Config::cache it reads from the server.
  Cached<Client> cached(std::chrono::milliseconds ttl = std::chrono::milliseconds(0)) noexcept { return {*this, ttl}; }
  /// The cache's counters (all zero without Config::cache).
  CacheStats cache_stats() const { return cache_ ? cache_->stats() : CacheStats{}; }
  /// Drops every cached entry (FlushReason::user); no effect without a cache.
  void flush_cache() {
    if (cache_) cache_->flush_all(FlushReason::user);
  }
  /// The store shared by the connections; null without Config::cache.
  CacheStore* cache() const noexcept { return cache_.get(); }

 private:
  struct Prepared {
    Config config;
    std::shared_ptr<sentinel::SentinelService> sentinel;
  };
  explicit Client(Prepared p);
  static Prepared prepare(std::string_view url);
  static Prepared prepare(SentinelConfig config);

  static constexpr std::size_t kMaxLanes = 64;
  // Blocking commands: on a leased dedicated connection.
  void run_leased(detail::SyncOpBase& op);
  // run() with a cache: a write's keys are evicted at submission and again
  // once its reply is in (read-your-writes across connections).
  void run_evicting(detail::SyncOpBase& op);
  detail::SyncLane& pick_lane();

  Config config_;
  std::shared_ptr<CacheStore> cache_;  // Config::cache set
  std::unique_ptr<policy::Guard> guard_;
  policy::Guard* active_guard_ = nullptr;  // guard_ when the configuration sets a policy
  // The connections, each with the leader/follower scheme that drives it
  // (runtime/src/sync/lane.hpp); opened on demand up to max_connections, and
  // never removed before the Client goes.
  std::unique_ptr<detail::SyncLane> lanes_[kMaxLanes];
  std::atomic<std::size_t> lane_count_{0};
  std::mutex lanes_mu_;  // adding a lane, closing
  bool closed_ = false;

  std::mutex lease_mu_;
  std::shared_ptr<SyncBlockingClient> leases_;  // created by the first blocking command
  bool leases_closed_ = false;
  std::shared_ptr<sentinel::SentinelService> sentinel_;  // with a SentinelConfig
};

}  // namespace valkey
