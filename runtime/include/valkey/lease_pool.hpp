#pragma once
// valkey::LeasePool: a few dedicated connections to one server, lent out one
// request at a time. Blocking commands (flagged `blocking` in the generated
// metadata: BLPOP, BRPOP, BLMOVE, BZPOPMIN, XREAD, WAIT...) run on them, so
// they never stall the shared multiplexed connection; AsyncClient routes them
// here by itself, and BlockingClient (lease.hpp) exposes the pool directly.
#include <cstddef>
#include <memory>
#include <system_error>
#include <vector>

#include <asio/any_io_executor.hpp>

#include <valkey/config.hpp>
#include <valkey/connection.hpp>

namespace valkey {

// Dedicated connections to one server, on one executor. Not thread-safe: use
// it on its executor, like the AsyncClient.
class LeasePool : public std::enable_shared_from_this<LeasePool> {
 public:
  LeasePool(asio::any_io_executor ex, Config config, std::size_t max_idle = 4);
  ~LeasePool();

  // An idle connection, or a new one (it connects on first submit).
  std::shared_ptr<Connection> acquire();
  // Returns `conn` for reuse, or closes it when `reusable` is false or the
  // pool already keeps max_idle connections.
  void release(std::shared_ptr<Connection> conn, bool reusable);
  // Closes every connection, leased ones included (their requests fail with
  // connection_closed).
  void close();

  std::size_t idle() const noexcept { return idle_.size(); }
  // Connections opened so far (for tests and metrics).
  std::size_t opened() const noexcept { return opened_; }

  // The settings leased connections use: `base` without idle health check,
  // request timeout or reconnection.
  static Config lease_config(Config base);

 private:
  asio::any_io_executor ex_;
  Config config_;
  std::size_t max_idle_;
  std::size_t opened_ = 0;
  bool closed_ = false;
  std::vector<std::shared_ptr<Connection>> idle_;
  std::vector<std::weak_ptr<Connection>> all_;
};

namespace detail {

// Whether a connection that completed a request with `ec` can serve another.
bool lease_reusable(std::error_code ec) noexcept;

}  // namespace detail

}  // namespace valkey
