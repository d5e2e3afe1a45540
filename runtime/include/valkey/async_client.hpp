#pragma once
// valkey::AsyncClient: the asynchronous client on Asio completion tokens,
// running on the caller's executor over one multiplexed Connection.
//
//   valkey::AsyncClient c{co_await asio::this_coro::executor, "valkey://localhost"};
//   std::optional<std::string> v = co_await c.get("k", asio::use_awaitable);
//   c.incr("hits", [](std::error_code ec, std::int64_t n) { ... });
//   auto fut = c.exec(valkey::cmd::Get{"k"}, asio::use_future);
//   valkey::Reply r = co_await c.call({"JSON.GET", "doc", "$"}, asio::use_awaitable);
//
// Completion signature: void(std::error_code, Cmd::reply_type) — Reply for
// call(). A server error reply completes with errc::server_error; its text
// ("WRONGTYPE Operation against ...") goes into a Diagnostics passed before
// the token: co_await c.get("k", diag, asio::use_awaitable).
//
// Commands flagged `blocking` (BLPOP, XREAD, WAIT...) run on connections
// leased from a small pool (lease_pool.hpp), never on the shared one.
//
// Threading: call the client from its executor (an io_context run by one
// thread, or a strand); it is not internally synchronised. Arguments (keys,
// values, views) must stay valid until the operation is initiated: for
// asio::use_awaitable and callbacks that is the call itself, for
// asio::experimental::deferred until it is launched.
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include <asio/associated_allocator.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <asio/recycling_allocator.hpp>

#include <valkey/adapt/response.hpp>
#include <valkey/batch_starters.hpp>
#include <valkey/command.hpp>
#include <valkey/config.hpp>
#include <valkey/connection.hpp>
#include <valkey/diagnostics.hpp>
#include <valkey/lease_pool.hpp>
#include <valkey/reply.hpp>
#include <valkey/view.hpp>

#if __has_include(<valkey/commands.hpp>)
#include <valkey/commands.hpp>
#define VALKEY_HAS_COMMANDS 1
#endif

namespace valkey {

namespace detail {

// The decoder of a single command's reply, in the shape AsyncOp expects
// (pipelines plug their collectors in the same way).
template <class T>
struct SingleReply {
  using result_type = T;
  explicit SingleReply(std::uint32_t /*replies*/ = 1) {}
  void on_node(const resp::Node& n) { visitor.on_node(n); }
  void on_reply_end() { visitor.on_message_end(); }
  // The value, or the error (with the server's text for server_error).
  std::error_code finish(T& out, std::string& message) {
    std::error_code ec = visitor.error_code();
    if (!ec) out = visitor.take();
    else if (ec == errc::server_error) message = visitor.server_message();
    return ec;
  }
  adapt::ResponseVisitor<T> visitor;
};

// The state of one asynchronous request: the RequestBase the connection
// queues, the decoder of its reply (or replies) and the caller's handler.
// Allocated with the handler's associated allocator (Asio's per-thread
// recycling allocator by default), so steady-state requests do not reach
// malloc. `Decoder`: SingleReply<T>, or a pipeline's collector.
template <class Decoder, class Handler>
class AsyncOp final : public RequestBase {
 public:
  using result_type = typename Decoder::result_type;
  using slot_type = asio::associated_cancellation_slot_t<Handler>;

  template <class H>
  AsyncOp(H&& h, Connection& c, Diagnostics* d, std::uint32_t replies)
      : handler_(std::forward<H>(h)), conn_(c), diag_(d), slot_(asio::get_associated_cancellation_slot(handler_)),
        decoder_(replies) {
    expected_replies = replies;
  }

  // Called once the request is queued.
  void arm_cancellation() {
    if (slot_.is_connected()) {
      slot_.assign([this](asio::cancellation_type type) {
        // Before the write every kind of cancellation is clean; after it,
        // only terminal/partial ones (the command may still run).
        constexpr auto after_write = asio::cancellation_type::terminal | asio::cancellation_type::partial;
        if (!this->written() || (type & after_write) != asio::cancellation_type::none)
          conn_.cancel(*this, make_error_code(errc::cancelled));
      });
    }
  }

  void on_node(const resp::Node& n) override { decoder_.on_node(n); }
  void on_reply_end() override { decoder_.on_reply_end(); }

  void on_complete(std::error_code ec) override { finish(ec, false); }

  // Completes the operation: frees this state first, then invokes the
  // handler on its executor (inline when already there, unless `post`).
  void finish(std::error_code ec, bool post) {
    if (slot_.is_connected()) slot_.clear();
    result_type value{};
    std::string message;
    if (!ec) ec = decoder_.finish(value, message);
    if (diag_) {
      if (ec == errc::server_error) diag_->server_message = std::move(message);
      else diag_->server_message.clear();
    }
    Handler h = std::move(handler_);
    auto ex = asio::get_associated_executor(h, conn_.get_executor());
    bool same_executor = false;
    if constexpr (std::is_same_v<decltype(ex), Connection::executor_type>) same_executor = ex == conn_.get_executor();
    destroy(this);
    if (post) {
      asio::post(ex, [h = std::move(h), ec, value = std::move(value)]() mutable { std::move(h)(ec, std::move(value)); });
    } else if (same_executor) {
      // on_complete runs on the connection's executor: this is what
      // asio::dispatch would do, without its type-erased wrapping.
      std::move(h)(ec, std::move(value));
    } else {
      asio::dispatch(ex, [h = std::move(h), ec, value = std::move(value)]() mutable { std::move(h)(ec, std::move(value)); });
    }
  }

  template <class H>
  static AsyncOp* create(H&& h, Connection& c, Diagnostics* d, std::uint32_t replies = 1) {
    auto alloc = rebound(asio::get_associated_allocator(h, asio::recycling_allocator<void>()));
    AsyncOp* p = std::allocator_traits<decltype(alloc)>::allocate(alloc, 1);
    try {
      return new (p) AsyncOp(std::forward<H>(h), c, d, replies);
    } catch (...) {
      std::allocator_traits<decltype(alloc)>::deallocate(alloc, p, 1);
      throw;
    }
  }

 private:
  template <class A>
  static auto rebound(const A& a) {
    return typename std::allocator_traits<A>::template rebind_alloc<AsyncOp>(a);
  }
  static void destroy(AsyncOp* p) {
    auto alloc = rebound(asio::get_associated_allocator(p->handler_, asio::recycling_allocator<void>()));
    p->~AsyncOp();
    std::allocator_traits<decltype(alloc)>::deallocate(alloc, p, 1);
  }

  Handler handler_;
  Connection& conn_;
  Diagnostics* diag_;
  slot_type slot_;
  Decoder decoder_;
};

// Initiation shared by exec() and call(): `encode(resp::Writer&)` writes the
// command(s) into the connection's buffer right away.
template <class T>
struct InitiateRequest {
  Connection* conn;
  template <class Handler, class Encode>
  void operator()(Handler&& handler, Encode encode, CommandFlag flags, Diagnostics* diag) const {
    using Op = AsyncOp<SingleReply<T>, std::decay_t<Handler>>;
    Op* op = Op::create(std::forward<Handler>(handler), *conn, diag);
    op->flags = flags;
    if (auto timeout = conn->config().request_timeout; timeout.count() > 0)
      op->deadline = RequestBase::clock::now() + timeout;
    std::error_code ec;
    try {
      ec = conn->submit(*op, encode);
    } catch (...) {
      ec = make_error_code(errc::invalid_argument);
    }
    if (ec) return op->finish(ec, true);  // never complete inside the initiating call
    op->arm_cancellation();
  }
};

// Holds the command by value (a few views): deferred tokens launch later.
template <class Cmd>
struct EncodeCommand {
  Cmd cmd;
  void operator()(resp::Writer& w) const { encode(cmd, w); }
};

struct EncodeArgs {
  Strings args;
  void operator()(resp::Writer& w) const {
    w.begin_command(args.size());
    args.for_each([&](std::string_view a) { w.arg(a); });
  }
};

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

// For commands whose flags are known only at run time (call()): on the shared
// connection, or on a leased one when `pool` is set.
template <class T>
struct InitiateRouted {
  Connection* conn;
  std::shared_ptr<LeasePool> pool;
  template <class Handler, class Encode>
  void operator()(Handler&& handler, Encode encode, CommandFlag flags, Diagnostics* diag) const {
    if (pool) return InitiateLeased<T>{pool}(std::forward<Handler>(handler), std::move(encode), flags, diag);
    InitiateRequest<T>{conn}(std::forward<Handler>(handler), std::move(encode), flags, diag);
  }
};

struct PingCommand {
  void operator()(resp::Writer& w) const {
    w.begin_command(1);
    w.arg(std::string_view{"PING"});
  }
};

}  // namespace detail

class AsyncClient : public BatchStarters<AsyncClient>
#ifdef VALKEY_HAS_COMMANDS
    , public Commands<AsyncClient>
#endif
{
 public:
  using executor_type = asio::any_io_executor;

  // Starts connecting right away; requests issued meanwhile wait for the
  // handshake. A first connection that fails fails them with its reason.
  AsyncClient(executor_type ex, Config config);
  AsyncClient(executor_type ex, std::string_view url);
  // Closes: pending requests complete with errc::connection_closed.
  ~AsyncClient();
  AsyncClient(AsyncClient&&) noexcept = default;
  AsyncClient& operator=(AsyncClient&&) noexcept;

  executor_type get_executor() const noexcept { return conn_->get_executor(); }
  Connection& connection() noexcept { return *conn_; }
  const Config& config() const noexcept { return conn_->config(); }

  // Runs `cmd`; completes with void(std::error_code, Cmd::reply_type).
  template <Command Cmd, class CompletionToken>
  auto exec(const Cmd& cmd, CompletionToken&& token) {
    return exec(cmd, nullptr, std::forward<CompletionToken>(token));
  }
  // Same, filling `diag` with the server's error text on errc::server_error.
  template <Command Cmd, class CompletionToken>
  auto exec(const Cmd& cmd, Diagnostics& diag, CompletionToken&& token) {
    return exec(cmd, &diag, std::forward<CompletionToken>(token));
  }

  // Any command as strings; completes with void(std::error_code, Reply).
  template <class CompletionToken>
  auto call(Strings args, CompletionToken&& token) {
    return call(args, nullptr, std::forward<CompletionToken>(token));
  }
  template <class CompletionToken>
  auto call(Strings args, Diagnostics& diag, CompletionToken&& token) {
    return call(args, &diag, std::forward<CompletionToken>(token));
  }

  // Completes with void(std::error_code, Ok) once a PING went through: the
  // first handshake's outcome (auth_failed, tls_error...) for a new client.
  template <class CompletionToken>
  auto async_ping(CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::error_code, Ok)>(
        detail::InitiateRequest<Ok>{conn_.get()}, token, detail::PingCommand{}, CommandFlag::none,
        static_cast<Diagnostics*>(nullptr));
  }

  // pipeline() and transaction() come from BatchStarters:
  // co_await c.pipeline().get("a").incr("b").exec(asio::use_awaitable).

  // Closes the connection and the leased connections of blocking commands
  // for good.
  void close();

 private:
  template <class Cmd, class CompletionToken>
  auto exec(const Cmd& cmd, Diagnostics* diag, CompletionToken&& token) {
    using T = typename Cmd::reply_type;
    if constexpr (has(Cmd::info.flags, CommandFlag::blocking)) {
      return asio::async_initiate<CompletionToken, void(std::error_code, T)>(
          detail::InitiateLeased<T>{leases()}, token, detail::EncodeCommand<Cmd>{cmd}, Cmd::info.flags, diag);
    } else {
      return asio::async_initiate<CompletionToken, void(std::error_code, T)>(
          detail::InitiateRequest<T>{conn_.get()}, token, detail::EncodeCommand<Cmd>{cmd}, Cmd::info.flags, diag);
    }
  }
  template <class CompletionToken>
  auto call(Strings args, Diagnostics* diag, CompletionToken&& token) {
    const CommandFlag flags = flags_of(args);
    return asio::async_initiate<CompletionToken, void(std::error_code, Reply)>(
        detail::InitiateRouted<Reply>{conn_.get(), has(flags, CommandFlag::blocking) ? leases() : nullptr}, token,
        detail::EncodeArgs{args}, flags, diag);
  }
  // The pool of dedicated connections for blocking commands (made on first use).
  std::shared_ptr<LeasePool> leases();

  std::shared_ptr<Connection> conn_;
  std::shared_ptr<LeasePool> leases_;
};

}  // namespace valkey
