#pragma once
/// \file
/// Leased connections for blocking commands (BLPOP, BRPOP, BLMOVE, BZPOPMIN,
/// XREAD BLOCK, WAIT...). A blocking command on the shared multiplexed
/// connection would stall every request queued behind it, so these run on a
/// connection of their own, taken from a small pool and given back after the
/// reply. AsyncClient and Client do this by themselves for every command
/// flagged `blocking` (c.blpop(...) just works); the classes here expose the
/// pool directly, for any command:
///
/// \code
///   valkey::BlockingClient blk{c};                       // same server, executor and settings as c
///   auto v = co_await blk.blpop(keys, 2.0, asio::use_awaitable);   // c keeps serving meanwhile
/// \endcode
///
/// A blocking call that is cancelled, times out client-side or loses its
/// connection closes that connection instead of returning it: the server then
/// unblocks it, and it can never pop a value for a caller that gave up. (The
/// server notices the close asynchronously; a value pushed in the same instant
/// may still be taken by the dying request — as with any client.)
///
/// Leased connections have no idle health check (it would fail a long BLPOP)
/// and do not reconnect: a lost one is dropped and the next call opens another.
/// (One exception: a SyncBlockingClient connection that the server dropped
/// while it sat idle in the pool reconnects when it is taken out.)
#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <asio/any_io_executor.hpp>

#include <valkey/async_client.hpp>
#include <valkey/client.hpp>
#include <valkey/connection.hpp>
#include <valkey/exec/executor.hpp>
#include <valkey/export.hpp>
#include <valkey/lease_pool.hpp>

namespace valkey {

/// The generated command surface, each command on a leased connection. Meant
/// for blocking commands; any command works.
class VALKEY_CPP_EXPORT BlockingClient : public exec::Executor<BlockingClient>
#ifdef VALKEY_HAS_COMMANDS
    , public Commands<BlockingClient>
#endif
{
 public:
  /// Marks the client as an asynchronous executor (exec::Executor).
  using executor_category = exec::async_executor;

  /// Same server, settings and executor as `c`; up to `max_idle` connections
  /// are kept open for reuse.
  explicit BlockingClient(AsyncClient& c, std::size_t max_idle = 4);
  /// The same, on executor `ex` with the settings in `config`.
  BlockingClient(asio::any_io_executor ex, Config config, std::size_t max_idle = 4);
  /// Closes the pool's connections, leased ones included.
  ~BlockingClient();
  /// Takes over another client's pool.
  BlockingClient(BlockingClient&&) noexcept = default;

  // exec(cmd, [diag,] token) and call(args, [diag,] token) come from
  // exec::Executor; every request runs on a leased connection.
  /// Where a request runs: on a connection leased from pool().
  exec::Route route(CommandFlag) { return {nullptr, pool_}; }

  /// The pool of dedicated connections.
  LeasePool& pool() noexcept { return *pool_; }
  /// Closes the pool's connections, leased ones included (their requests fail
  /// with connection_closed).
  void close() { pool_->close(); }

 private:
  std::shared_ptr<LeasePool> pool_;
};

/// The synchronous counterpart: each call borrows a dedicated connection from
/// a small pool, so a BLPOP in one thread never stalls the shared Client's
/// other callers. Thread-safe. A leased connection is a Connection on an
/// io_context of its own, driven by the borrowing thread while it waits for
/// its reply: no thread of its own, no extra round trip to open it.
///
/// \code
///   valkey::SyncBlockingClient blk{db};
///   auto job = blk.blpop({"jobs"}, 5.0);
/// \endcode
class VALKEY_CPP_EXPORT SyncBlockingClient : public exec::Executor<SyncBlockingClient>
#ifdef VALKEY_HAS_COMMANDS
    , public Commands<SyncBlockingClient>
#endif
{
 public:
  /// Marks the client as a synchronous executor (exec::Executor).
  using executor_category = exec::sync_executor;

  /// Leases connections with `db`'s settings; up to `max_idle` are kept open
  /// for reuse.
  explicit SyncBlockingClient(const Client& db, std::size_t max_idle = 4);
  /// The same, with the settings in `config`.
  explicit SyncBlockingClient(Config config, std::size_t max_idle = 4);
  /// Closes for good (see close()).
  ~SyncBlockingClient();

  // exec() and call(), with the same tails as Client's, come from
  // exec::Executor.
  /// The settings leased connections use.
  const Config& config() const noexcept { return config_; }

  /// Runs `op` on a borrowed dedicated connection, driving it on this thread
  /// until `op` completed (a connection that cannot be opened fails `op` with
  /// the reason). The connection is given back unless the call failed in a
  /// way that may leave it out of sync (a lost connection, a timeout): then it
  /// is closed, so the server unblocks it.
  void run(detail::SyncOpBase& op);

  /// Closes for good: calls in progress fail with connection_closed (their
  /// connections close, so the server unblocks them), later ones too.
  void close();

  /// Dedicated connections opened so far, idle now, and leased now (at most
  /// Config::max_leases when set: a call beyond it fails with queue_full).
  std::size_t opened() const;
  /// Dedicated connections idle now.
  std::size_t idle() const;
  /// Dedicated connections leased now.
  std::size_t leased() const;

 private:
  class Lease;
  std::unique_ptr<Lease> acquire();
  void release(std::unique_ptr<Lease> l, bool reusable);

  Config config_;
  std::size_t max_idle_;
  mutable std::mutex mu_;
  bool closed_ = false;
  std::vector<std::unique_ptr<Lease>> idle_;
  std::vector<Lease*> leased_;  // out now: close() closes them
  std::size_t opened_ = 0;
};

}  // namespace valkey
