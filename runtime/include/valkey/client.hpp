#pragma once
// valkey::Client: the synchronous, thread-safe client over one multiplexed
// Connection; any number of threads may call it at once and their requests
// share the socket (auto-pipelined).
//
//   valkey::Client db{"valkey://localhost:6379"};
//   db.set("greeting", "hello");     // std::optional<std::string>: "OK", or the old value with {.get = true}
//   std::optional<std::string> g = db.get("greeting");
//   std::int64_t n = db.incr("hits");
//   db.flushall();                   // replies that are always +OK (reply_type Ok) return void
//   valkey::Reply r = db.call({"JSON.GET", "doc", "$"});
//
// Errors throw valkey::ServerError (an error reply: prefix and text kept) or
// valkey::Error (everything else, code in valkey::errc); what() names the
// command, the endpoint and the reason. Every method also takes a trailing
// std::error_code& (and optionally a Diagnostics&) instead: then nothing is
// thrown, a failed call returns a default value, and the Diagnostics holds
// the text what() would.
//
// Commands flagged `blocking` (BLPOP, BRPOP, BLMOVE, BZPOPMIN, XREAD, WAIT...)
// run on a dedicated connection leased from a small pool, never on the shared
// one, so they cannot stall the other callers (see lease.hpp).
//
// Who does the I/O (leader/follower, docs/runtime.md): a calling thread that
// finds nobody driving the connection drives it itself — it writes its
// request and reads the reply on its own thread, with no hand-off — and any
// thread that calls meanwhile queues its request and sleeps until its reply
// came or it is handed the driver's role. An internal thread drives once no
// caller has for a grace period (health checks, reconnects, timers, a peer
// that closes the idle connection); it never polls.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <valkey/adapt/response.hpp>
#include <valkey/batch_starters.hpp>
#include <valkey/command.hpp>
#include <valkey/config.hpp>
#include <valkey/connection.hpp>
#include <valkey/diagnostics.hpp>
#include <valkey/error.hpp>
#include <valkey/exec/executor.hpp>
#include <valkey/exec/sync.hpp>
#include <valkey/reply.hpp>
#include <valkey/view.hpp>

#if __has_include(<valkey/commands.hpp>)
#include <valkey/commands.hpp>
#define VALKEY_HAS_COMMANDS 1
#endif

namespace valkey {

class SyncBlockingClient;

class Client : public exec::Executor<Client>,
               public BatchStarters<Client>
#ifdef VALKEY_HAS_COMMANDS
    , public Commands<Client>
#endif
{
 public:
  using executor_category = exec::sync_executor;

  // Connects and completes the handshake before returning; throws
  // valkey::Error (auth_failed, tls_error, timeout, a socket error...) when
  // the first connection fails. The message never holds the password.
  explicit Client(std::string_view url);
  explicit Client(Config config);
  // Closes the connection (pending calls fail with connection_closed) and
  // joins the internal thread.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // exec(cmd[, ec[, diag]]) and call(args[, ec[, diag]]) come from
  // exec::Executor; the generated methods (set, get, ...) call exec.

  // pipeline() and transaction() come from BatchStarters:
  // db.pipeline().set("k", "v").get("k").exec().

  // Runs a custom request (a pipeline, a transaction) derived from
  // detail::SyncOpBase and blocks until its on_complete ran: on the shared
  // connection (this thread may drive its I/O meanwhile), or on a leased one
  // when its flags say `blocking`.
  void run(detail::SyncOpBase& op);

  // Closes for good (idempotent; the destructor calls it).
  void close();

  const Config& config() const noexcept { return config_; }
  // The connection's counters (read by whichever thread drives; for tests and
  // metrics, not for hot paths).
  Connection::Stats stats() const;

 private:
  // Blocking commands: on a leased dedicated connection.
  void run_leased(detail::SyncOpBase& op);
  // Leader/follower (client.cpp).
  void drive_until_done(detail::SyncOpBase& op);
  void run_one() noexcept;
  void release_driver();
  void give_up_role(std::unique_lock<std::mutex>& lk);
  void idle_loop();
  void on_drain_posted();
  void drain_inbox(bool posted);
  void post_drain();
  void completed(detail::SyncOpBase& op) noexcept;
  void link_asleep(detail::SyncOpBase& op) noexcept;
  void unlink_asleep(detail::SyncOpBase& op) noexcept;
  friend class detail::SyncOpBase;

  struct Inbox {
    detail::SyncOpBase* op;
    std::size_t begin, end;
  };

  // The single posted drain handler lives here, not on the heap (declared
  // before ioc_, which may still hold it when destroyed).
  alignas(std::max_align_t) unsigned char drain_storage_[256];
  std::atomic<bool> drain_storage_used_{false};

  Config config_;
  // Only the driver touches the socket and timers (one thread at a time, the
  // role passed on under mu_ or through a Waiter), so Asio's per-descriptor
  // locking is pure cost; its scheduler stays locked, as other threads post.
  asio::io_context ioc_{ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
  std::shared_ptr<Connection> conn_;

  mutable std::mutex mu_;
  bool closed_ = false;
  bool close_finished_ = false;
  bool driving_ = false;          // some thread runs ioc_ (only one at a time)
  bool drain_posted_ = false;
  bool idle_kick_ = false;        // work for the idle thread now: no grace period
  bool idle_waiting_ = false;     // the idle thread sleeps until the role is given up
  std::uint64_t activity_ = 0;    // bumped whenever a driver gives up the role
  detail::SyncOpBase* asleep_head_ = nullptr;  // callers waiting, oldest first
  detail::SyncOpBase* asleep_tail_ = nullptr;
  std::condition_variable idle_cv_;    // the idle thread waits here
  std::condition_variable driver_cv_;  // close() waits here for the driver to leave
  std::string inbox_bytes_;        // encoded by threads that found a driver
  std::vector<Inbox> inbox_;
  std::string drain_bytes_;        // swapped in by the driver
  std::vector<Inbox> draining_;

  std::mutex lease_mu_;
  std::shared_ptr<SyncBlockingClient> leases_;  // created by the first blocking command
  bool leases_closed_ = false;

  std::thread idle_thread_;

  template <class>
  friend struct DrainAllocator;
};

}  // namespace valkey
