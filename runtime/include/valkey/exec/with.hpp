#pragma once
/// \class valkey::With
/// valkey::With<Client>: a client seen through per-call options, returned by
/// with() and database() of Client, AsyncClient and the two cluster clients.
/// It is an executor like the client (exec::Executor), so every generated
/// method, exec(), call(), pipeline() and transaction() work on it; it holds a
/// reference to the client and the options, nothing else:
///
/// \code
///   auto v = db.with({.timeout = 20ms, .retry = valkey::retry::standard}).get("k");
///   db.database(2).set("k", "v");                      // runs in database 2
///   auto [a, b] = db.database(2).pipeline().get("a").incr("b").exec();
///   co_await c.with({.retry = valkey::retry::standard, .idempotent = true})
///       .call({"EVALSHA", sha, "0"}, asio::use_awaitable);
/// \endcode
///
/// A sync handle is used within the statement that made it, or kept while the
/// client lives. An async request copies the options when it is initiated, so
/// a deferred operation may launch after the handle is gone (the client must
/// still be alive, as for any request). A pipeline or transaction started on a
/// handle points at it: build and run it in the statement that made the
/// handle, or keep the handle (`auto db2 = db.database(2);`) while it runs.
#include <cstdint>
#include <utility>

#include <valkey/batch_starters.hpp>
#include <valkey/command.hpp>
#include <valkey/config.hpp>
#include <valkey/exec/call_options.hpp>
#include <valkey/exec/executor.hpp>
#include <valkey/policy/guard.hpp>

#include <valkey/exec/generated_methods.hpp>

namespace valkey {

template <class Client>
class With : public exec::Executor<With<Client>>,
             public BatchStarters<With<Client>>
#ifdef VALKEY_HAS_COMMANDS
    , public Commands<With<Client>>
#endif
{
 public:
  /// The client's executor_category: the handle is the same kind of executor.
  using executor_category = typename Client::executor_category;

  /// A handle on `client` that applies `options` to every call made through it.
  With(Client& client, exec::CallOptions options) : client_(&client), options_(std::move(options)) {}

  /// The client the calls go to.
  Client& client() const noexcept { return *client_; }
  /// The options of every call made through this handle.
  const exec::CallOptions* call_options() const noexcept { return &options_; }
  /// The client's Config (a cluster client's: its ClusterConfig).
  const auto& config() const noexcept { return client_->config(); }
  /// The client's notes of a batch's commands, where it takes them (a
  /// cluster client: exec/command_mark.hpp).
  template <class Plan>
    requires requires(const Plan& p) { Client::batch_mark(p); }
  static auto batch_mark(const Plan& plan) noexcept {
    return Client::batch_mark(plan);
  }

  /// The same options, in database `n` (database(n).with(...) the other way
  /// round): db.with({.timeout = 20ms}).database(3).get("k").
  With database(std::int32_t n) const {
    With w = *this;
    w.options_.database = exec::checked_database(n);
    return w;
  }

  // A synchronous client's hooks (exec/sync.hpp).
  /// Runs `op` on the client.
  void run(detail::SyncOpBase& op)
    requires std::is_same_v<executor_category, exec::sync_executor>
  {
    client_->run(op);
  }
  /// The client's Guard, never null (unlike Client::policy_guard()): the
  /// handle's options may ask for a policy the client's Config does not set.
  policy::Guard* policy_guard() noexcept
    requires std::is_same_v<executor_category, exec::sync_executor>
  {
    return &client_->guard_for_call();
  }

  /// A cluster client's hook (cluster/run.hpp's dispatch): the request's
  /// target carries the options into the job.
  template <class R, class Plan, class Target, class... Tail>
    requires requires(Target t) { t.options; }
  decltype(auto) run(Plan&& plan, Target target, Tail&&... tail) {
    target.options = &options_;
    return client_->template run<R>(std::forward<Plan>(plan), target, std::forward<Tail>(tail)...);
  }

 private:
  Client* client_;
  exec::CallOptions options_;
};

}  // namespace valkey
