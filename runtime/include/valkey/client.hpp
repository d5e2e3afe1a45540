#pragma once
// valkey::Client: the synchronous, thread-safe client over one multiplexed
// Connection; any number of threads may call it at once and their requests
// share the socket (auto-pipelined).
//
//   valkey::Client db{"valkey://localhost:6379"};
//   db.set("greeting", "hello");                      // Ok replies: void
//   std::optional<std::string> g = db.get("greeting");
//   std::int64_t n = db.incr("hits");
//   valkey::Reply r = db.call({"JSON.GET", "doc", "$"});
//
// Errors throw valkey::ServerError (an error reply: prefix and text kept) or
// valkey::Error (everything else, code in valkey::errc). Every method also
// takes a trailing std::error_code& (and optionally a Diagnostics&) instead:
// then nothing is thrown and a failed call returns a default value.
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
#include <valkey/reply.hpp>
#include <valkey/view.hpp>

#if __has_include(<valkey/commands.hpp>)
#include <valkey/commands.hpp>
#define VALKEY_HAS_COMMANDS 1
#endif

namespace valkey {

class Client;
class SyncBlockingClient;

namespace detail {

// One per thread, reused by every synchronous call that thread makes. A
// waiting caller is woken either because its request completed (done) or
// because it is handed the role of driving the client's I/O (lead).
struct Waiter {
  enum : std::uint32_t { none = 0, done = 1, lead = 2 };
  std::atomic<std::uint32_t> state{none};
  // Blocks until signalled; returns done or lead and rearms.
  std::uint32_t wait() noexcept;
  void signal(std::uint32_t what) noexcept;
  static Waiter& mine() noexcept;
};

// A type-erased "encode this command" callback (no allocation).
struct EncodeRef {
  const void* ctx;
  void (*fn)(const void*, resp::Writer&);
  void operator()(resp::Writer& w) const { fn(ctx, w); }
};

// The part of a synchronous request that does not depend on T. It lives on
// the calling thread's stack until it completed.
class SyncOpBase : public RequestBase {
 public:
  explicit SyncOpBase(EncodeRef enc) noexcept : encode_(enc), waiter_(&Waiter::mine()) {}
  // final: the Client's bookkeeping (waking a sleeping caller) lives here.
  void on_complete(std::error_code ec) final;
  bool reencode(resp::Writer& w) override {
    encode_(w);  // the caller is blocked: its arguments are alive
    return true;
  }
  const EncodeRef& encoder() const noexcept { return encode_; }
  std::error_code transport_error() const noexcept { return ec_; }

 private:
  friend class valkey::Client;
  friend class valkey::SyncBlockingClient;
  // Completes a request that never reached a connection (refused, closed).
  void fail_unsent(std::error_code ec) noexcept {
    ec_ = ec;
    done_ = true;
  }

  EncodeRef encode_;
  Waiter* waiter_;
  std::error_code ec_;
  valkey::Client* client_ = nullptr;  // set while a Client runs it
  // The Client's list of callers asleep on their Waiter (not driving).
  SyncOpBase* wprev_ = nullptr;
  SyncOpBase* wnext_ = nullptr;
  bool asleep_ = false;
  bool done_ = false;
};

template <class T>
class SyncOp final : public SyncOpBase {
 public:
  using SyncOpBase::SyncOpBase;
  void on_node(const resp::Node& n) override { visitor_.on_node(n); }
  void on_reply_end() override { visitor_.on_message_end(); }
  adapt::ResponseVisitor<T>& visitor() noexcept { return visitor_; }

 private:
  adapt::ResponseVisitor<T> visitor_;
};

std::error_code sync_outcome(const SyncOpBase& op, const adapt::ResponseBase& v, Diagnostics* diag);
[[noreturn]] void throw_sync_error(const SyncOpBase& op, const adapt::ResponseBase& v);

template <class Cmd>
EncodeRef encoder_of(const Cmd& cmd) noexcept {
  return {&cmd, [](const void* c, resp::Writer& w) { encode(*static_cast<const Cmd*>(c), w); }};
}

// The caller's answer once `op` ran: without `ec` a failure throws
// (ServerError, Error); with it, `ec` (and `diag`) are filled and a failure
// yields T{}.
template <class T>
T sync_result(SyncOp<T>& op, std::error_code* ec, Diagnostics* diag) {
  if (!ec) {
    if (op.transport_error() || op.visitor().error_code()) throw_sync_error(op, op.visitor());
  } else if ((*ec = sync_outcome(op, op.visitor(), diag))) {
    return T{};
  }
  return op.visitor().take();
}

// The typed synchronous call on anything with run(SyncOpBase&): Client, and
// SyncBlockingClient. Ok replies return nothing.
template <class Runner, class Cmd>
auto run_command(Runner& runner, const Cmd& cmd, std::error_code* ec, Diagnostics* diag) {
  using T = typename Cmd::reply_type;
  SyncOp<T> op{encoder_of(cmd)};
  op.flags = Cmd::info.flags;
  runner.run(op);
  if constexpr (std::is_same_v<T, Ok>) sync_result(op, ec, diag);
  else return sync_result(op, ec, diag);
}

// The untyped one (`call`): flags looked up by name.
template <class Runner>
Reply run_call(Runner& runner, Strings args, std::error_code* ec, Diagnostics* diag) {
  SyncOp<Reply> op{{&args, [](const void* c, resp::Writer& w) {
                      const Strings& a = *static_cast<const Strings*>(c);
                      w.begin_command(a.size());
                      a.for_each([&](std::string_view s) { w.arg(s); });
                    }}};
  op.flags = flags_of(args);
  runner.run(op);
  return sync_result(op, ec, diag);
}

// exec() and call() with the three tails (nothing: throws; std::error_code&;
// ec + Diagnostics&), for every synchronous runner (Derived::run(SyncOpBase&)).
template <class Derived>
class SyncCalls {
 public:
  template <Command Cmd>
  auto exec(const Cmd& cmd) {
    return run_command(self(), cmd, nullptr, nullptr);
  }
  template <Command Cmd>
  auto exec(const Cmd& cmd, std::error_code& ec) {
    return run_command(self(), cmd, &ec, nullptr);
  }
  template <Command Cmd>
  auto exec(const Cmd& cmd, std::error_code& ec, Diagnostics& diag) {
    return run_command(self(), cmd, &ec, &diag);
  }

  // Any command as strings.
  Reply call(Strings args) { return run_call(self(), args, nullptr, nullptr); }
  Reply call(Strings args, std::error_code& ec) { return run_call(self(), args, &ec, nullptr); }
  Reply call(Strings args, std::error_code& ec, Diagnostics& diag) { return run_call(self(), args, &ec, &diag); }

 private:
  Derived& self() noexcept { return static_cast<Derived&>(*this); }
};

}  // namespace detail

class Client : public detail::SyncCalls<Client>,
               public BatchStarters<Client>
#ifdef VALKEY_HAS_COMMANDS
    , public Commands<Client>
#endif
{
 public:
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
  // detail::SyncCalls; the generated methods (set, get, ...) call exec.

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
