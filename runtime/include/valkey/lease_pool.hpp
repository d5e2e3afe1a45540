#pragma once
/// \file
/// valkey::LeasePool: a few dedicated connections to one server, lent out one
/// request at a time. Blocking commands (flagged `blocking` in the generated
/// metadata: BLPOP, BRPOP, BLMOVE, BZPOPMIN, XREAD, WAIT...) run on them, so
/// they never stall the shared multiplexed connection; AsyncClient routes them
/// here by itself, and BlockingClient (lease.hpp) exposes the pool directly.
#include <cstddef>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <asio/any_io_executor.hpp>

#include <valkey/config.hpp>
#include <valkey/connection.hpp>
#include <valkey/export.hpp>

namespace valkey {

/// Dedicated connections to one server, on one executor. Not thread-safe: use
/// it on its executor, like the AsyncClient.
class VALKEY_CPP_EXPORT LeasePool : public std::enable_shared_from_this<LeasePool> {
 public:
  /// A pool on executor `ex` with the settings in `config` (as lease_config()
  /// adjusts them); up to `max_idle` idle connections are kept for reuse.
  LeasePool(asio::any_io_executor ex, Config config, std::size_t max_idle = 4);
  /// Closes every connection (see close()).
  ~LeasePool();

  /// An idle connection, or a new one (it connects on first submit); null
  /// when Config::max_leases connections are out already (the bulkhead: the
  /// caller fails its call with errc::queue_full and refusal(), sends
  /// nothing). Every connection it returns goes back through release(),
  /// exactly once, whatever happened to it: that is how leases are counted.
  std::shared_ptr<Connection> acquire();
  /// Returns `conn` for reuse, or closes it when `reusable` is false or the
  /// pool already keeps max_idle connections. Ends its lease.
  void release(std::shared_ptr<Connection> conn, bool reusable);
  /// Closes every connection, leased ones included (their requests fail with
  /// connection_closed).
  void close();

  /// Idle connections kept for reuse now.
  std::size_t idle() const noexcept { return idle_.size(); }
  /// Connections opened so far (for tests and metrics).
  std::size_t opened() const noexcept { return opened_; }
  /// Connections leased now (acquired, not yet released).
  std::size_t leased() const noexcept { return leased_; }
  /// Config::max_leases (0: no bound).
  std::size_t max_leases() const noexcept { return config_.max_leases; }

  /// Why acquire() refused: names the bound and the setting.
  std::string refusal() const;
  /// A connection never opened, with the pool's settings and executor: what a
  /// call refused by the bulkhead completes through (it names the endpoint in
  /// the error and runs the handler on the executor), so the refusal needs no
  /// socket. Made on the first refusal.
  Connection& refusals();

  /// The settings leased connections use: `base` without idle health check,
  /// request timeout or reconnection.
  static Config lease_config(Config base);

 private:
  asio::any_io_executor ex_;
  Config config_;
  std::size_t max_idle_;
  std::size_t opened_ = 0;
  std::size_t leased_ = 0;
  bool closed_ = false;
  std::shared_ptr<Connection> refusals_;
  std::vector<std::shared_ptr<Connection>> idle_;
  std::vector<std::weak_ptr<Connection>> all_;
};

namespace detail {

// The sentence of a blocking call refused by Config::max_leases.
VALKEY_CPP_EXPORT std::string lease_refusal(std::size_t max_leases);

// Whether a connection that completed a request with `ec` can serve another.
VALKEY_CPP_EXPORT bool lease_reusable(std::error_code ec) noexcept;

}  // namespace detail

}  // namespace valkey
