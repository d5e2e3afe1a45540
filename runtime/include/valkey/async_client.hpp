#pragma once
/// \class valkey::AsyncClient
/// valkey::AsyncClient: the asynchronous client on Asio completion tokens,
/// running on the caller's executor over one multiplexed Connection.
///
/// \code
///   valkey::AsyncClient c{co_await asio::this_coro::executor, "valkey://localhost"};
///   std::optional<std::string> v = co_await c.get("k", asio::use_awaitable);
///   c.incr("hits", [](std::error_code ec, std::int64_t n) { ... });
///   auto fut = c.exec(valkey::cmd::Get{"k"}, asio::use_future);
///   valkey::Reply r = co_await c.call({"JSON.GET", "doc", "$"}, asio::use_awaitable);
/// \endcode
///
/// Completion signature: void(std::error_code, Cmd::reply_type) — Reply for
/// call(). A server error reply completes with errc::server_error; its text
/// ("GET on host:port: WRONGTYPE Operation against ...") goes into a
/// Diagnostics passed before the token: c.get("k", diag, callback). With
/// asio::use_awaitable and asio::use_future a failure is thrown as the
/// valkey::ServerError / valkey::Error the synchronous API would throw, text
/// included.
///
/// Commands flagged `blocking` (BLPOP, XREAD, WAIT...) run on connections
/// leased from a small pool (lease_pool.hpp), never on the shared one.
///
/// Threading: call the client from its executor (an io_context run by one
/// thread, or a strand); it is not internally synchronised. Arguments (keys,
/// values, views) need only live through the call: the command is encoded
/// before the operation is initiated, so asio::experimental::deferred may launch it later.
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <asio/any_io_executor.hpp>
#include <asio/dispatch.hpp>

#include <valkey/batch_starters.hpp>
#include <valkey/cache/cached.hpp>
#include <valkey/cache/cached_async.hpp>
#include <valkey/cache/store.hpp>
#include <valkey/command.hpp>
#include <valkey/config.hpp>
#include <valkey/connection.hpp>
#include <valkey/diagnostics.hpp>
#include <valkey/exec/executor.hpp>
#include <valkey/exec/with.hpp>
#include <valkey/export.hpp>
#include <valkey/policy/guard.hpp>
#include <valkey/lease_pool.hpp>
#include <valkey/reply.hpp>
#include <valkey/sentinel/sentinel_config.hpp>
#include <valkey/view.hpp>

#include <valkey/exec/generated_methods.hpp>

namespace valkey {

namespace sentinel {
class SentinelService;
}

class VALKEY_CPP_EXPORT AsyncClient : public exec::Executor<AsyncClient>,
                    public BatchStarters<AsyncClient>
#ifdef VALKEY_HAS_COMMANDS
    , public Commands<AsyncClient>
#endif
{
 public:
  /// The Asio executor the client runs on.
  using executor_type = asio::any_io_executor;
  /// Marks the client as an asynchronous executor (exec::Executor).
  using executor_category = exec::async_executor;

  /// Starts connecting right away; requests issued meanwhile wait for the
  /// handshake. A first connection that fails fails them with its reason.
  AsyncClient(executor_type ex, Config config);
  /// Parses `url` (throws valkey::Error with errc::invalid_url) and connects
  /// as the Config constructor does. `url` may be a sentinel URL (valkey+sentinel://...).
  AsyncClient(executor_type ex, std::string_view url);
  /// Through Valkey Sentinel (docs/sentinel.md): each connection attempt asks
  /// the sentinels for its node; the client follows the primary through
  /// failovers. Throws valkey::Error (invalid_argument) for an empty sentinel
  /// list or name; resolution failures (sentinel_unreachable,
  /// sentinel_unknown_primary, no_replica) fail the first requests.
  AsyncClient(executor_type ex, SentinelConfig config);
  /// Closes: pending requests complete with errc::connection_closed.
  ~AsyncClient();
  /// Takes over another client's connection.
  AsyncClient(AsyncClient&&) noexcept = default;
  /// Closes this client, then takes over the other's connection.
  AsyncClient& operator=(AsyncClient&&) noexcept;

  /// The executor the client's connection runs on.
  executor_type get_executor() const noexcept { return conn_->get_executor(); }
  /// The shared multiplexed connection.
  Connection& connection() noexcept { return *conn_; }
  /// The configuration the client was built with.
  const Config& config() const noexcept { return conn_->config(); }

  // exec(cmd, [diag,] token) and call(args, [diag,] token) come from
  // exec::Executor; the generated methods (get, set, ...) call exec.
  // Completion: void(std::error_code, Cmd::reply_type) (Reply for call());
  // with use_awaitable / use_future a failure arrives as the exception the
  // synchronous API would throw (see exec/async.hpp).

  /// Completes with void(std::error_code, Ok) once a PING went through: the
  /// first handshake's outcome (auth_failed, tls_error...) for a new client.
  template <class CompletionToken>
  auto async_ping(CompletionToken&& token) {
    return exec::run_async(*this, exec::PingPlan{}, nullptr, std::forward<CompletionToken>(token));
  }
  /// The same, with a failure's text in `diag`.
  template <class CompletionToken>
  auto async_ping(Diagnostics& diag, CompletionToken&& token) {
    return exec::run_async(*this, exec::PingPlan{}, &diag, std::forward<CompletionToken>(token));
  }

  /// Where a request with `flags` runs: blocking commands on a leased
  /// connection, everything else on the shared one.
  exec::Route route(CommandFlag flags) {
    if (has(flags, CommandFlag::blocking)) return {nullptr, leases()};
    if (guard_configured_) [[unlikely]]
      return {conn_.get(), nullptr, guard_};
    return {conn_.get(), nullptr};
  }

  /// This client with per-call options (exec/call_options.hpp): a deadline,
  /// a retry policy, an idempotency mark for the calls made through it.
  /// \code
  ///   co_await c.with({.timeout = 20ms, .retry = valkey::retry::standard}).get("k", asio::use_awaitable);
  /// \endcode
  With<AsyncClient> with(exec::CallOptions options) { return With<AsyncClient>(*this, std::move(options)); }
  /// This client in numbered database `n`, as Client::database():
  /// \code
  ///   co_await c.database(2).get("k", asio::use_awaitable);
  /// \endcode
  With<AsyncClient> database(std::int32_t n) { return with({.database = exec::checked_database(n)}); }
  /// The resilience state (policy/guard.hpp) for calls with per-call options.
  const std::shared_ptr<policy::Guard>& guard_for_call() const noexcept { return guard_; }

  // pipeline() and transaction() come from BatchStarters:
  // co_await c.pipeline().get("a").incr("b").exec(asio::use_awaitable).

  /// Closes the connection and the leased connections of blocking commands
  /// for good.
  void close();

  /// Client-side caching (Config::cache; docs/caching.md): as on Client.
  /// \code
  ///   auto v = co_await c.cached(5s).get("k", asio::use_awaitable);
  /// \endcode
  /// A hit completes through a post to the handler's executor.
  Cached<AsyncClient> cached(std::chrono::milliseconds ttl = std::chrono::milliseconds(0)) noexcept {
    return {*this, ttl};
  }
  /// The cache's counters (all zero without Config::cache).
  CacheStats cache_stats() const { return cache_ ? cache_->stats() : CacheStats{}; }
  /// Drops every cached entry (FlushReason::user); no effect without a cache.
  void flush_cache() {
    if (cache_) cache_->flush_all(FlushReason::user);
  }
  /// The store shared with the connection; null without Config::cache.
  CacheStore* cache() const noexcept { return cache_.get(); }

 private:
  // The pool of dedicated connections for blocking commands (made on first use).
  std::shared_ptr<LeasePool> leases();

  AsyncClient(executor_type ex, Config config, std::shared_ptr<sentinel::SentinelService> sentinel);

  std::shared_ptr<Connection> conn_;
  std::shared_ptr<CacheStore> cache_;  // Config::cache set; shared with conn_
  // Shared with requests under a policy, which may outlive the client.
  std::shared_ptr<policy::Guard> guard_;
  bool guard_configured_ = false;  // Config::retry or Config::circuit_breaker set
  std::shared_ptr<LeasePool> leases_;
  std::shared_ptr<sentinel::SentinelService> sentinel_;  // with a SentinelConfig
};

}  // namespace valkey
