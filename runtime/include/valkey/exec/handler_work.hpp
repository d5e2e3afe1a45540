#pragma once
// HandlerWork: the outstanding work an asynchronous operation holds on its
// completion handler's executor, as Asio's own operations do, so that run()
// of a context the handler is bound to does not return while the operation
// is out. The operation's home executor (a connection's, a cluster router's)
// needs no guard: its sockets keep it busy.
//
// Decided once, when the operation starts: the guard's presence then also
// says where the completion goes, so completing does not ask the handler for
// its executor again. Moved out of the operation before the operation is
// freed, it ends the work only once the completion is queued.
#include <optional>
#include <type_traits>
#include <utility>

#include <asio/associated_executor.hpp>
#include <asio/executor_work_guard.hpp>

namespace valkey::exec {

template <class Handler, class Home>
class HandlerWork {
 public:
  using executor_type = asio::associated_executor_t<Handler, Home>;

  HandlerWork(const Handler& handler, const Home& home) {
    auto ex = asio::get_associated_executor(handler, home);
    if constexpr (kMayBeHome) {
      if (ex != home) [[unlikely]]
        guard_.emplace(std::move(ex));
    } else {
      guard_.emplace(std::move(ex));
    }
  }
  HandlerWork(HandlerWork&&) noexcept = default;
  HandlerWork& operator=(HandlerWork&&) = delete;

  // The handler runs on `home`: on home's thread it may be invoked inline.
  // Known at compile time to be false when the executor types differ.
  bool at_home() const noexcept { return kMayBeHome && !guard_; }

  // The handler's executor.
  executor_type executor(const Home& home) const {
    if constexpr (kMayBeHome) {
      if (!guard_) return home;
    }
    return guard_->get_executor();
  }

 private:
  static constexpr bool kMayBeHome = std::is_same_v<executor_type, Home>;
  std::optional<asio::executor_work_guard<executor_type>> guard_;
};

}  // namespace valkey::exec
