#pragma once
// valkey::Client: the synchronous, thread-safe client. It owns an I/O thread
// and one multiplexed Connection; any number of threads may call it at once
// and their requests share the socket (auto-pipelined).
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
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

#include <asio/io_context.hpp>

#include <valkey/adapt/response.hpp>
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

namespace detail {

// One per thread, reused by every synchronous call that thread makes: the
// I/O thread flips it when the request completes.
struct Waiter {
  std::atomic<std::uint32_t> done{0};
  void wait() noexcept;
  void signal() noexcept;
  static Waiter& mine() noexcept;
};

// A type-erased "encode this command" callback (no allocation).
struct EncodeRef {
  const void* ctx;
  void (*fn)(const void*, resp::Writer&);
  void operator()(resp::Writer& w) const { fn(ctx, w); }
};

// The part of a synchronous request that does not depend on T.
class SyncOpBase : public RequestBase {
 public:
  explicit SyncOpBase(EncodeRef enc) noexcept : encode_(enc), waiter_(&Waiter::mine()) {}
  void on_complete(std::error_code ec) override {
    ec_ = ec;
    waiter_->signal();  // the caller may destroy *this from here on
  }
  bool reencode(resp::Writer& w) override {
    encode_(w);  // the caller is blocked: its arguments are alive
    return true;
  }
  const EncodeRef& encoder() const noexcept { return encode_; }
  std::error_code transport_error() const noexcept { return ec_; }
  void wait() noexcept { waiter_->wait(); }

 private:
  EncodeRef encode_;
  Waiter* waiter_;
  std::error_code ec_;
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

}  // namespace detail

class Client
#ifdef VALKEY_HAS_COMMANDS
    : public Commands<Client>
#endif
{
 public:
  // Connects and completes the handshake before returning; throws
  // valkey::Error (auth_failed, tls_error, timeout, a socket error...) when
  // the first connection fails. The message never holds the password.
  explicit Client(std::string_view url);
  explicit Client(Config config);
  // Closes the connection (pending calls fail with connection_closed) and
  // joins the I/O thread.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  template <Command Cmd>
  auto exec(const Cmd& cmd) {
    using T = typename Cmd::reply_type;
    detail::SyncOp<T> op{encoder(cmd)};
    op.flags = Cmd::info.flags;
    run(op);
    throw_if_failed(op, op.visitor());
    if constexpr (!std::is_same_v<T, Ok>) return op.visitor().take();
  }
  template <Command Cmd>
  auto exec(const Cmd& cmd, std::error_code& ec) {
    return exec(cmd, ec, nullptr);
  }
  template <Command Cmd>
  auto exec(const Cmd& cmd, std::error_code& ec, Diagnostics& diag) {
    return exec(cmd, ec, &diag);
  }

  // Any command as strings.
  Reply call(Strings args);
  Reply call(Strings args, std::error_code& ec);
  Reply call(Strings args, std::error_code& ec, Diagnostics& diag);

  // Runs a custom request (a pipeline, a transaction) derived from
  // detail::SyncOpBase: encodes it with its EncodeRef on this thread, hands it
  // to the I/O thread and blocks until its on_complete ran.
  void run(detail::SyncOpBase& op);

  // Closes for good (idempotent; the destructor calls it).
  void close();

  const Config& config() const noexcept { return config_; }
  // The connection's counters (fetched from the I/O thread; for tests and
  // metrics, not for hot paths).
  Connection::Stats stats() const;

 private:
  template <class Cmd>
  static detail::EncodeRef encoder(const Cmd& cmd) noexcept {
    return {&cmd, [](const void* c, resp::Writer& w) { encode(*static_cast<const Cmd*>(c), w); }};
  }

  template <class Cmd>
  auto exec(const Cmd& cmd, std::error_code& ec, Diagnostics* diag) {
    using T = typename Cmd::reply_type;
    detail::SyncOp<T> op{encoder(cmd)};
    op.flags = Cmd::info.flags;
    run(op);
    ec = outcome(op, op.visitor(), diag);
    if constexpr (!std::is_same_v<T, Ok>) {
      if (ec) return T{};
      return op.visitor().take();
    }
  }

  static std::error_code outcome(const detail::SyncOpBase& op, const adapt::ResponseBase& v, Diagnostics* diag);
  [[noreturn]] static void throw_error(const detail::SyncOpBase& op, const adapt::ResponseBase& v);
  static void throw_if_failed(const detail::SyncOpBase& op, const adapt::ResponseBase& v) {
    if (op.transport_error() || v.error_code()) throw_error(op, v);
  }
  void drain();
  void post_drain();

  struct Inbox {
    detail::SyncOpBase* op;
    std::size_t begin, end;
  };

  // The single posted drain handler lives here, not on the heap (declared
  // before ioc_, which may still hold it when destroyed).
  alignas(std::max_align_t) unsigned char drain_storage_[256];
  std::atomic<bool> drain_storage_used_{false};

  Config config_;
  asio::io_context ioc_{1};
  std::shared_ptr<Connection> conn_;
  std::thread io_thread_;

  mutable std::mutex mu_;
  bool closed_ = false;
  bool drain_posted_ = false;
  std::string inbox_bytes_;        // encoded by the calling threads
  std::vector<Inbox> inbox_;
  std::string drain_bytes_;        // swapped in by the I/O thread
  std::vector<Inbox> draining_;

  template <class>
  friend struct DrainAllocator;
};

}  // namespace valkey
