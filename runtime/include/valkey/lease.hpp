#pragma once
// Leased connections for blocking commands (BLPOP, BRPOP, BLMOVE, BZPOPMIN,
// XREAD BLOCK, WAIT...). A blocking command on the shared multiplexed
// connection would stall every request queued behind it, so these run on a
// connection of their own, taken from a small pool and given back after the
// reply:
//
//   valkey::BlockingClient blk{c};                       // same server, executor and settings as c
//   auto v = co_await blk.blpop(keys, 2.0, asio::use_awaitable);   // c keeps serving meanwhile
//
// A blocking call that is cancelled, times out client-side or loses its
// connection closes that connection instead of returning it: the server then
// unblocks it, and it can never pop a value for a caller that gave up. (The
// server notices the close asynchronously; a value pushed in the same instant
// may still be taken by the dying request — as with any client.)
//
// Leased connections have no idle health check (it would fail a long BLPOP)
// and do not reconnect: a lost one is dropped and the next call opens another.
#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <asio/associated_allocator.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>

#include <valkey/async_client.hpp>
#include <valkey/client.hpp>
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

// Wraps the caller's handler: gives the connection back (or closes it) before
// the caller sees the result. Forwards executor, cancellation slot and
// allocator, so cancellation reaches the request.
template <class Handler>
class LeaseHandler {
 public:
  LeaseHandler(Handler h, std::shared_ptr<LeasePool> pool, std::shared_ptr<Connection> conn)
      : h_(std::move(h)), pool_(std::move(pool)), conn_(std::move(conn)) {}

  using executor_type = asio::associated_executor_t<Handler, asio::any_io_executor>;
  executor_type get_executor() const noexcept { return asio::get_associated_executor(h_, conn_->get_executor()); }
  using cancellation_slot_type = asio::associated_cancellation_slot_t<Handler>;
  cancellation_slot_type get_cancellation_slot() const noexcept { return asio::get_associated_cancellation_slot(h_); }
  using allocator_type = asio::associated_allocator_t<Handler>;
  allocator_type get_allocator() const noexcept { return asio::get_associated_allocator(h_); }

  template <class T>
  void operator()(std::error_code ec, T value) {
    pool_->release(std::move(conn_), lease_reusable(ec));
    std::move(h_)(ec, std::move(value));
  }

 private:
  Handler h_;
  std::shared_ptr<LeasePool> pool_;
  std::shared_ptr<Connection> conn_;
};

template <class T>
struct InitiateLeased {
  std::shared_ptr<LeasePool> pool;
  template <class Handler, class Encode>
  void operator()(Handler&& handler, Encode encode, CommandFlag flags, Diagnostics* diag) const {
    auto conn = pool->acquire();
    Connection* raw = conn.get();
    InitiateRequest<T>{raw}(LeaseHandler<std::decay_t<Handler>>{std::forward<Handler>(handler), pool, std::move(conn)},
                            std::move(encode), flags, diag);
  }
};

}  // namespace detail

// The generated command surface, each command on a leased connection. Meant
// for blocking commands; any command works.
class BlockingClient
#ifdef VALKEY_HAS_COMMANDS
    : public Commands<BlockingClient>
#endif
{
 public:
  // Same server, settings and executor as `c`.
  explicit BlockingClient(AsyncClient& c, std::size_t max_idle = 4);
  BlockingClient(asio::any_io_executor ex, Config config, std::size_t max_idle = 4);
  ~BlockingClient();
  BlockingClient(BlockingClient&&) noexcept = default;

  template <Command Cmd, class Token>
  auto exec(const Cmd& cmd, Token&& token) {
    return exec(cmd, nullptr, std::forward<Token>(token));
  }
  template <Command Cmd, class Token>
  auto exec(const Cmd& cmd, Diagnostics& diag, Token&& token) {
    return exec(cmd, &diag, std::forward<Token>(token));
  }
  template <class Token>
  auto call(Strings args, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code, Reply)>(
        detail::InitiateLeased<Reply>{pool_}, token, detail::EncodeArgs{args}, CommandFlag::none,
        static_cast<Diagnostics*>(nullptr));
  }

  LeasePool& pool() noexcept { return *pool_; }
  void close() { pool_->close(); }

 private:
  template <class Cmd, class Token>
  auto exec(const Cmd& cmd, Diagnostics* diag, Token&& token) {
    using T = typename Cmd::reply_type;
    return asio::async_initiate<Token, void(std::error_code, T)>(
        detail::InitiateLeased<T>{pool_}, token, detail::EncodeCommand<Cmd>{cmd}, Cmd::info.flags, diag);
  }

  std::shared_ptr<LeasePool> pool_;
};

// The synchronous counterpart: each call borrows a dedicated Client (its own
// connection and I/O thread) from a small pool, so a BLPOP in one thread
// never stalls the shared Client's other callers. Thread-safe.
//
//   valkey::SyncBlockingClient blk{db};
//   auto job = blk.blpop({"jobs"}, 5.0);
class SyncBlockingClient
#ifdef VALKEY_HAS_COMMANDS
    : public Commands<SyncBlockingClient>
#endif
{
 public:
  explicit SyncBlockingClient(const Client& db, std::size_t max_idle = 4);
  explicit SyncBlockingClient(Config config, std::size_t max_idle = 4);
  ~SyncBlockingClient();

  // Same tails as Client: nothing (throws), std::error_code&, or ec + Diagnostics&.
  template <Command Cmd>
  auto exec(const Cmd& cmd) {
    Lease lease{*this};
    try {
      return lease.client->exec(cmd);
    } catch (const ServerError&) {
      throw;  // an error reply: the connection is fine
    } catch (...) {
      lease.reusable = false;
      throw;
    }
  }
  template <Command Cmd, class... Diag>
  auto exec(const Cmd& cmd, std::error_code& ec, Diag&... diag) {
    Lease lease{*this};
    struct Check {
      Lease& l;
      std::error_code& ec;
      ~Check() { l.reusable = detail::lease_reusable(ec); }
    } check{lease, ec};
    return lease.client->exec(cmd, ec, diag...);
  }
  Reply call(Strings args) {
    Lease lease{*this};
    try {
      return lease.client->call(args);
    } catch (const ServerError&) {
      throw;
    } catch (...) {
      lease.reusable = false;
      throw;
    }
  }

  // Dedicated clients opened so far, and idle now.
  std::size_t opened() const;
  std::size_t idle() const;

 private:
  // Borrows a client; gives it back on scope exit unless the call failed in
  // a way that may leave it out of sync (a lost connection, a timeout).
  struct Lease {
    explicit Lease(SyncBlockingClient& o) : owner(o), client(o.acquire()) {}
    ~Lease() { owner.release(std::move(client), reusable); }
    SyncBlockingClient& owner;
    std::unique_ptr<Client> client;
    bool reusable = true;
  };
  std::unique_ptr<Client> acquire();
  void release(std::unique_ptr<Client> c, bool reusable);

  Config config_;
  std::size_t max_idle_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Client>> idle_;
  std::size_t opened_ = 0;
};

}  // namespace valkey
