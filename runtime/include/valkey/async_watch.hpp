#pragma once
/// \file
/// valkey::AsyncWatch and valkey::watch(AsyncClient&, keys, token): WATCH on a
/// connection of its own for the asynchronous client (transaction.hpp has
/// the transaction and the synchronous valkey::Watch). Apart from
/// transaction.hpp so that synchronous code compiles no Asio header.
///
/// \code
///   auto w = co_await valkey::watch(c, keys, asio::use_awaitable);   // AsyncWatch
///   auto cur = co_await w.get("balance", asio::use_awaitable);       // reads on the watched connection
///   auto [r] = co_await w.multi().set("balance", next).exec(asio::use_awaitable);
/// \endcode
#include <memory>
#include <string_view>
#include <system_error>
#include <utility>

#include <asio/async_result.hpp>

#include <valkey/async_client.hpp>
#include <valkey/connection.hpp>
#include <valkey/exec/async.hpp>
#include <valkey/exec/bytes.hpp>
#include <valkey/export.hpp>
#include <valkey/transaction.hpp>

namespace valkey {

/// A connection of its own holding a WATCH. Reads through the generated
/// methods run on it; multi() starts the transaction that ends the watch.
/// Destroying it closes the connection (which drops the WATCH server-side).
class AsyncWatch : public exec::Executor<AsyncWatch>
#ifdef VALKEY_HAS_COMMANDS
    , public Commands<AsyncWatch>
#endif
{
 public:
  /// Marks the watch as an asynchronous executor (exec::Executor).
  using executor_category = exec::async_executor;

  /// An empty watch: valid() is false.
  AsyncWatch() = default;
  /// Takes `conn`, a connection that holds the WATCH.
  explicit AsyncWatch(std::shared_ptr<Connection> conn) : conn_(std::move(conn)) {}
  /// Takes over another watch's connection.
  AsyncWatch(AsyncWatch&&) noexcept = default;
  /// Closes this watch's connection, then takes over the other's.
  AsyncWatch& operator=(AsyncWatch&& o) noexcept {
    if (this != &o) {
      close();
      conn_ = std::move(o.conn_);
    }
    return *this;
  }
  /// Closes the connection, which drops the WATCH.
  ~AsyncWatch() { close(); }

  /// The watched connection.
  Connection& connection() noexcept { return *conn_; }
  /// The settings of the watched connection.
  const Config& config() const noexcept { return conn_->config(); }
  /// Whether it holds a connection.
  bool valid() const noexcept { return conn_ != nullptr; }

  // exec(cmd, [diag,] token) and call(args, [diag,] token) come from
  // exec::Executor: every command runs on the watched connection (blocking
  // ones too: they must see the WATCH).
  /// Where a request runs: on the watched connection, blocking commands included.
  exec::Route route(CommandFlag) noexcept { return {conn_.get(), nullptr}; }

  /// MULTI ... EXEC on the watched connection. EXEC ends the WATCH either way.
  Transaction<AsyncWatch> multi() { return Transaction<AsyncWatch>{*this}; }

  /// Drops the WATCH and the connection.
  void close() {
    if (conn_) conn_->close();
    conn_.reset();
  }

 private:
  std::shared_ptr<Connection> conn_;
};

namespace detail {
// WATCH's connection: the client's settings with one connection attempt, no
// reconnection and no resends (a lost connection must fail the transaction
// rather than silently drop the WATCH).
VALKEY_CPP_EXPORT Config watch_config(const Config& base);
}  // namespace detail

/// Opens a dedicated connection to the client's server and WATCHes `keys` on
/// it; completes with void(std::error_code, AsyncWatch).
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

}  // namespace valkey
