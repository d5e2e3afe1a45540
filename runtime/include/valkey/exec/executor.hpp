#pragma once
/// \class valkey::exec::Executor
/// valkey::exec::Executor<Derived>: the one definition of exec() and call()
/// for every executor. The generated methods (Commands<Derived>) call back into
/// Derived::exec(cmd, tail...), which lands here; so does call(args, tail...)
/// and a batch's exec(tail...).
///
/// The tail picks how the outcome is delivered:
/// \code
///   synchronous executors (Client, SyncBlockingClient, Watch; ClusterClient alike)
///     exec(cmd)                    -> the value; throws ServerError / Error
///     exec(cmd, ec)                -> the value, or a default one with `ec` set
///     exec(cmd, ec, diag)          -> the same, `diag` filled
///   asynchronous executors (AsyncClient, BlockingClient, AsyncWatch; AsyncClusterClient alike)
///     exec(cmd, token)             -> void(std::error_code, R) (see async.hpp)
///     exec(cmd, diag, token)       -> the same, `diag` filled
///   batch builders (pipeline, transaction, Batch)
///     exec(cmd), call(args)        -> append the command
///     exec(tail...)                -> run the batch on its target, any tail above
/// \endcode
///
/// Derived declares its kind with `using executor_category = exec::sync_executor`
/// (async_executor, batch_builder) and provides the matching hook:
/// \code
///   sync_executor:  void run(detail::SyncOpBase&); const Config& config() const;
///   async_executor: exec::Route route(CommandFlag);
///   batch_builder:  auto append(Plan&&); BatchPlan<...> take_plan(); Target& target();
/// \endcode
#include <system_error>
#include <type_traits>
#include <utility>

#include <valkey/command.hpp>
#include <valkey/diagnostics.hpp>
#include <valkey/exec/plan.hpp>
#include <valkey/exec/sync.hpp>
#include <valkey/reply.hpp>
#include <valkey/view.hpp>

namespace valkey::exec {

// Declared here and defined in async.hpp, which only the asynchronous
// executors' headers include: a translation unit that uses the synchronous
// Client then compiles no Asio header (docs/commands.md "Compile time").
template <class Target, class Plan, class Token>
auto run_async(Target& target, Plan&& plan, Diagnostics* diag, Token&& token);

/// The executor_category of a synchronous executor: calls block and return the value.
struct sync_executor {};
/// The executor_category of an asynchronous executor: calls take a completion token.
struct async_executor {};
/// The executor_category of a batch builder: exec(cmd) and call(args) append a command.
struct batch_builder {};

/// Whether `T` declares `Kind` as its executor_category.
template <class T, class Kind>
concept executor_of = std::is_same_v<typename T::executor_category, Kind>;

// ---- the tails, one overload each (internal) ----

template <executor_of<sync_executor> T, class Plan>
decltype(auto) dispatch(T& t, Plan&& plan) {
  return run_sync(t, plan, nullptr, nullptr);
}
template <executor_of<sync_executor> T, class Plan>
decltype(auto) dispatch(T& t, Plan&& plan, std::error_code& ec) {
  return run_sync(t, plan, &ec, nullptr);
}
template <executor_of<sync_executor> T, class Plan>
decltype(auto) dispatch(T& t, Plan&& plan, std::error_code& ec, Diagnostics& diag) {
  return run_sync(t, plan, &ec, &diag);
}
template <executor_of<async_executor> T, class Plan, class Token>
  requires(!std::is_same_v<std::remove_cvref_t<Token>, Diagnostics>)
decltype(auto) dispatch(T& t, Plan&& plan, Token&& token) {
  return run_async(t, std::forward<Plan>(plan), nullptr, std::forward<Token>(token));
}
template <executor_of<async_executor> T, class Plan, class Token>
decltype(auto) dispatch(T& t, Plan&& plan, Diagnostics& diag, Token&& token) {
  return run_async(t, std::forward<Plan>(plan), &diag, std::forward<Token>(token));
}

template <class T>
concept not_a_command = !Command<std::remove_cvref_t<T>>;

template <class Derived>
class Executor {
 public:
  /// Runs `cmd` (a builder: appends it). Returns Cmd::reply_type (nothing for
  /// Ok), or what the completion token makes of it.
  template <Command Cmd, class... Tail>
  decltype(auto) exec(const Cmd& cmd, Tail&&... tail) {
    if constexpr (executor_of<Derived, batch_builder>) {
      static_assert(sizeof...(Tail) == 0, "a batch builder appends commands: exec(cmd) takes no tail");
      return self().append(CommandPlan<Cmd>{cmd});
    } else {
      return dispatch(self(), CommandPlan<Cmd>{cmd}, std::forward<Tail>(tail)...);
    }
  }

  /// The same, its reply decoded as R, any type valkey::adapt::Decoder takes:
  /// \code
  ///   auto fields = db.exec<std::map<std::string, std::string>>(cmd::Hgetall{.key = "h"});
  /// \endcode
  template <class R, Command Cmd, class... Tail>
    requires(!Command<R>)
  decltype(auto) exec(const Cmd& cmd, Tail&&... tail) {
    if constexpr (executor_of<Derived, batch_builder>) {
      static_assert(sizeof...(Tail) == 0, "a batch builder appends commands: exec(cmd) takes no tail");
      return self().append(CommandPlanAs<R, Cmd>{{cmd}});
    } else {
      return dispatch(self(), CommandPlanAs<R, Cmd>{{cmd}}, std::forward<Tail>(tail)...);
    }
  }

  /// Any command as strings; its reply as valkey::Reply, or as R when named:
  /// \code
  ///   std::int64_t n = db.call<std::int64_t>({"INCR", "k"});
  /// \endcode
  template <class R = Reply, class... Tail>
  decltype(auto) call(Strings args, Tail&&... tail) {
    if constexpr (executor_of<Derived, batch_builder>) {
      static_assert(sizeof...(Tail) == 0, "a batch builder appends commands: call(args) takes no tail");
      return self().append(ArgsPlan<R>{args});
    } else {
      return dispatch(self(), ArgsPlan<R>{args}, std::forward<Tail>(tail)...);
    }
  }

  /// A batch builder: sends what it collected, on its target, in one write.
  // The constraint names `Self`, not Derived: clang would check a constraint
  // on Derived alone when it instantiates this base, while Derived is still
  // incomplete, and keep the (false) answer for the whole translation unit.
  template <class... Tail, class Self = Derived>
    requires(executor_of<Self, batch_builder> && (not_a_command<Tail> && ...))
  decltype(auto) exec(Tail&&... tail) {
    return dispatch(self().target(), self().take_plan(), std::forward<Tail>(tail)...);
  }

 private:
  Derived& self() noexcept { return static_cast<Derived&>(*this); }
};

}  // namespace valkey::exec
