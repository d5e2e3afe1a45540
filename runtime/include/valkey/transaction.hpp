#pragma once
// valkey::Transaction: MULTI, the commands, EXEC — encoded into one submit,
// so no other request on the multiplexed connection can interleave, and the
// EXEC reply decoded into a typed tuple.
//
//   auto [n, v] = co_await valkey::transaction(c).incr("a").get("b").exec(asio::use_awaitable);
//   auto [ok, n] = valkey::transaction(db).set("k", "v").incr("n").exec();
//
// Outcomes:
//  * EXEC answers null (a WATCHed key changed): errc::exec_aborted.
//  * A command refused while queuing (unknown command, wrong arity): the
//    server answers EXECABORT; exec fails with errc::server_error and the
//    text "EXECABORT ... (command #i: <the queuing error>)".
//  * A command that fails while executing (WRONGTYPE): the others ran (no
//    rollback, server semantics); exec fails with server_error and that
//    error's text, like a pipeline.
//
// Optimistic locking needs WATCH, which is connection state: on a shared
// multiplexed connection any other user's EXEC/UNWATCH would clear it. So
// WATCH runs on a connection of its own:
//
//   auto w = co_await valkey::watch(c, keys, asio::use_awaitable);   // AsyncWatch
//   auto cur = co_await w.get("balance", asio::use_awaitable);       // reads on the watched connection
//   auto [r] = co_await w.multi().set("balance", next).exec(asio::use_awaitable);
//   // -> errc::exec_aborted when "balance" changed after WATCH
//
//   valkey::Watch w{db, {"balance"}};       // sync: a dedicated Client
//   auto cur = w.get("balance");
//   auto [ok] = w.multi().set("balance", "9").exec();
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <asio/async_result.hpp>

#include <valkey/exec/bytes.hpp>

#include <valkey/pipeline.hpp>

namespace valkey {

namespace detail {

// Reads MULTI's +OK, N queuing replies and EXEC's array; the array's
// elements go to `Inner` as if they were N top-level replies.
template <class Inner>
class TxCollector {
 public:
  using result_type = typename Inner::result_type;

  explicit TxCollector(std::uint32_t total)
      : inner_(total >= 2 ? total - 2 : 0), commands_(total >= 2 ? total - 2 : 0) {}
  TxCollector(const TxCollector&) = delete;
  TxCollector& operator=(const TxCollector&) = delete;

  void on_node(const resp::Node& n) {
    if (reply_ == 0) {  // MULTI
      if (n.depth == 0 && resp::is_error(n.type) && multi_error_.empty()) multi_error_.assign(n.value);
    } else if (reply_ <= commands_) {  // +QUEUED or a queuing error
      if (n.depth == 0 && resp::is_error(n.type) && queue_error_.empty()) {
        queue_error_.assign(n.value);
        queue_error_index_ = reply_ - 1;
      }
    } else if (n.depth == 0) {  // EXEC itself
      if (n.type == resp::Type::attribute) return;
      if (n.type == resp::Type::null) exec_null_ = true;
      else if (resp::is_error(n.type)) exec_error_.assign(n.value);
      else if (!resp::is_aggregate(n.type)) exec_shape_ = false;
    } else {  // an element of EXEC's array, handed on one level up
      if (n.depth == 1) {
        if (element_open_) inner_.on_reply_end();
        element_open_ = true;
      }
      resp::Node shifted = n;
      shifted.depth = n.depth - 1;
      inner_.on_node(shifted);
    }
  }
  void on_reply_end() {
    if (reply_ == commands_ + 1 && element_open_) {
      inner_.on_reply_end();
      element_open_ = false;
    }
    ++reply_;
  }
  std::error_code finish(result_type& out, exec::Reason& why) {
    if (!multi_error_.empty()) {
      why.server_message = multi_error_;
      return make_error_code(errc::server_error);
    }
    if (!exec_error_.empty()) {
      why.server_message = exec_error_;
      if (!queue_error_.empty())
        why.server_message += " (command #" + std::to_string(queue_error_index_) + ": " + queue_error_ + ")";
      return make_error_code(errc::server_error);
    }
    if (exec_null_) return make_error_code(errc::exec_aborted);
    if (!exec_shape_) {
      why.detail = "EXEC answered with something other than an array";
      return make_error_code(errc::unexpected_reply_type);
    }
    return inner_.finish(out, why);
  }
  // EXEC's elements answer the commands after MULTI.
  void to_resp3(result_type& out, exec::Resp3Shapes& shapes)
    requires requires(Inner& i) { i.to_resp3(out, shapes); }
  {
    shapes.next();
    inner_.to_resp3(out, shapes);
  }
  void reset() {
    inner_.reset();
    reply_ = 0;
    multi_error_.clear();
    queue_error_.clear();
    exec_error_.clear();
    queue_error_index_ = 0;
    exec_null_ = false;
    exec_shape_ = true;
    element_open_ = false;
  }

 private:
  Inner inner_;
  std::uint32_t commands_;
  std::uint32_t reply_ = 0;
  std::string multi_error_, queue_error_, exec_error_;
  std::uint32_t queue_error_index_ = 0;
  bool exec_null_ = false;
  bool exec_shape_ = true;
  bool element_open_ = false;
};

struct TransactionFraming {
  static constexpr std::uint32_t extra_replies = 2;  // MULTI's +OK and EXEC's array
  static constexpr std::string_view label = "transaction";
  template <class Collector>
  using collector = TxCollector<Collector>;
  static void open(resp::Writer& w) {
    w.begin_command(1);
    w.arg(std::string_view{"MULTI"});
  }
  static void close(resp::Writer& w) {
    w.begin_command(1);
    w.arg(std::string_view{"EXEC"});
  }
};

}  // namespace detail

template <class Target, class... Ts>
using Transaction = BasicBatch<detail::TransactionFraming, Target, Ts...>;

inline Transaction<AsyncClient> transaction(AsyncClient& c) { return Transaction<AsyncClient>{c}; }
inline Transaction<Client> transaction(Client& db) { return Transaction<Client>{db}; }

// ---- WATCH on a dedicated connection (async) -----------------------------

// A connection of its own holding a WATCH. Reads through the generated
// methods run on it; multi() starts the transaction that ends the watch.
// Destroying it closes the connection (which drops the WATCH server-side).
class AsyncWatch : public exec::Executor<AsyncWatch>
#ifdef VALKEY_HAS_COMMANDS
    , public Commands<AsyncWatch>
#endif
{
 public:
  using executor_category = exec::async_executor;

  AsyncWatch() = default;
  explicit AsyncWatch(std::shared_ptr<Connection> conn) : conn_(std::move(conn)) {}
  AsyncWatch(AsyncWatch&&) noexcept = default;
  AsyncWatch& operator=(AsyncWatch&& o) noexcept {
    if (this != &o) {
      close();
      conn_ = std::move(o.conn_);
    }
    return *this;
  }
  ~AsyncWatch() { close(); }

  Connection& connection() noexcept { return *conn_; }
  const Config& config() const noexcept { return conn_->config(); }
  bool valid() const noexcept { return conn_ != nullptr; }

  // exec(cmd, [diag,] token) and call(args, [diag,] token) come from
  // exec::Executor: every command runs on the watched connection (blocking
  // ones too: they must see the WATCH).
  exec::Route route(CommandFlag) noexcept { return {conn_.get(), nullptr}; }

  // MULTI ... EXEC on the watched connection. EXEC ends the WATCH either way.
  Transaction<AsyncWatch> multi() { return Transaction<AsyncWatch>{*this}; }

  // Drops the WATCH and the connection.
  void close() {
    if (conn_) conn_->close();
    conn_.reset();
  }

 private:
  std::shared_ptr<Connection> conn_;
};

namespace detail {
// WATCH's connection: the client's settings, no idle PING (the user may take
// their time between WATCH and EXEC), one connection attempt.
Config watch_config(const Config& base);
}  // namespace detail

// Opens a dedicated connection to the client's server and WATCHes `keys` on
// it; completes with void(std::error_code, AsyncWatch).
template <class Token>
auto watch(AsyncClient& c, Strings keys, Token&& token) {
  exec::Bytes bytes = exec::Bytes::pooled();
  {
    resp::Writer w(bytes.buffer());
    w.begin_command(keys.size() + 1);
    w.arg(std::string_view{"WATCH"});
    keys.for_each([&](std::string_view k) { w.arg(k); });
  }
  auto conn = Connection::create(c.get_executor(), detail::watch_config(c.config()));
  return asio::async_initiate<Token, void(std::error_code, AsyncWatch)>(
      [](auto handler, std::shared_ptr<Connection> dedicated, exec::Bytes request) {
        Connection& ref = *dedicated;
        auto done = [handler = std::move(handler), dedicated = std::move(dedicated)](std::error_code ec, Ok) mutable {
          if (ec) {
            dedicated->close();
            std::move(handler)(ec, AsyncWatch{});
          } else {
            std::move(handler)(ec, AsyncWatch{std::move(dedicated)});
          }
        };
        exec::launch<exec::SingleReply<Ok>, false>(std::move(done), exec::Route{&ref, nullptr}, std::move(request),
                                                   exec::RequestInfo{CommandFlag::none, 1, "WATCH"}, nullptr);
      },
      token, std::move(conn), std::move(bytes));
}

// ---- WATCH, synchronous ------------------------------------------------

// A dedicated Client (its own connection) holding a WATCH on `keys`. Reads go
// through its generated methods; multi() builds the transaction.
class Watch : public exec::Executor<Watch>
#ifdef VALKEY_HAS_COMMANDS
    , public Commands<Watch>
#endif
{
 public:
  using executor_category = exec::sync_executor;

  Watch(const Client& db, Strings keys);
  Watch(const Config& config, Strings keys);

  // exec(cmd[, ec[, diag]]) and call(args[, ec[, diag]]) come from
  // exec::Executor, on the watched connection.
  void run(detail::SyncOpBase& op) { db_->run(op); }
  const Config& config() const noexcept { return db_->config(); }

  Transaction<Client> multi() { return Transaction<Client>{*db_}; }
  Client& client() noexcept { return *db_; }

 private:
  std::unique_ptr<Client> db_;
};

}  // namespace valkey
