#pragma once
/// \file
/// valkey::Transaction: MULTI, the commands, EXEC — encoded into one submit,
/// so no other request on the multiplexed connection can interleave, and the
/// EXEC reply decoded into a typed tuple.
///
/// \code
///   auto [n, v] = co_await valkey::transaction(c).incr("a").get("b").exec(asio::use_awaitable);
///   auto [ok, n] = valkey::transaction(db).set("k", "v").incr("n").exec();
/// \endcode
///
/// Outcomes:
///  * EXEC answers null (a WATCHed key changed): errc::exec_aborted.
///  * A command refused while queuing (unknown command, wrong arity): the
///    server answers EXECABORT; exec fails with errc::server_error and the
///    text `"EXECABORT ... (command #i: <the queuing error>)"`.
///  * A command that fails while executing (WRONGTYPE): the others ran (no
///    rollback, server semantics); exec fails with server_error and that
///    error's text, like a pipeline.
///
/// Optimistic locking needs WATCH, which is connection state: on a shared
/// multiplexed connection any other user's EXEC/UNWATCH would clear it. So
/// WATCH runs on a connection of its own:
///
/// \code
///   auto w = co_await valkey::watch(c, keys, asio::use_awaitable);   // AsyncWatch (async_watch.hpp)
///   auto cur = co_await w.get("balance", asio::use_awaitable);       // reads on the watched connection
///   auto [r] = co_await w.multi().set("balance", next).exec(asio::use_awaitable);
///   // -> errc::exec_aborted when "balance" changed after WATCH
/// \endcode
///
/// \code
///   valkey::Watch w{db, {"balance"}};       // sync: a dedicated Client
///   auto cur = w.get("balance");
///   auto [ok] = w.multi().set("balance", "9").exec();
/// \endcode
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <valkey/client.hpp>
#include <valkey/exec/bytes.hpp>
#include <valkey/export.hpp>
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

/// MULTI, typed commands and EXEC on `Target` (a client or a watch), sent as one submit.
template <class Target, class... Ts>
using Transaction = BasicBatch<detail::TransactionFraming, Target, Ts...>;

/// Starts a transaction on a client (Client or AsyncClient; a template so
/// that this header needs neither client's definition, docs/commands.md
/// "Compile time").
template <detail::BatchClient C>
Transaction<C> transaction(C& c) {
  return Transaction<C>{c};
}

// ---- WATCH, synchronous ------------------------------------------------

/// A dedicated Client (its own connection) holding a WATCH on `keys`. Reads go
/// through its generated methods; multi() builds the transaction.
class VALKEY_CPP_EXPORT Watch : public exec::Executor<Watch>
#ifdef VALKEY_HAS_COMMANDS
    , public Commands<Watch>
#endif
{
 public:
  /// Marks the watch as a synchronous executor (exec::Executor).
  using executor_category = exec::sync_executor;

  /// Opens a dedicated connection with `db`'s settings and WATCHes `keys` on
  /// it; throws valkey::Error when either fails.
  Watch(const Client& db, Strings keys);
  /// The same, with the settings in `config`.
  Watch(const Config& config, Strings keys);

  // exec(cmd[, ec[, diag]]) and call(args[, ec[, diag]]) come from
  // exec::Executor, on the watched connection.
  /// Runs a request on the watched connection (see Client::run()).
  void run(detail::SyncOpBase& op) { db_->run(op); }
  /// The settings of the watched connection.
  const Config& config() const noexcept { return db_->config(); }

  /// MULTI ... EXEC on the watched connection. EXEC ends the WATCH either way.
  Transaction<Client> multi() { return Transaction<Client>{*db_}; }
  /// The dedicated Client that holds the WATCH.
  Client& client() noexcept { return *db_; }

 private:
  std::unique_ptr<Client> db_;
};

}  // namespace valkey
