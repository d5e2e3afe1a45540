#pragma once
/// \file
/// valkey::watch_retry(): the optimistic-transaction loop. WATCH the keys on a
/// connection of their own, let `fn` read and queue its MULTI ... EXEC, and
/// when EXEC answers that a watched key changed (errc::exec_aborted), WATCH
/// again and run `fn` again, up to `attempts` times:
///
/// \code
///   auto [ok] = valkey::watch_retry(db, {"balance"}, [](valkey::Watch& w) {
///     std::int64_t cur = std::stoll(w.get("balance").value_or("0"));
///     return w.multi().set("balance", std::to_string(cur + 10)).exec();
///   });
/// \endcode
///
/// `fn` takes the Watch (reads run on the watched connection) and returns
/// what the transaction's exec() returns; it may run several times, so it
/// must not have effects outside the transaction that cannot be repeated.
/// An aborted EXEC ran none of the queued commands: running `fn` again is
/// always safe for the data. After the last attempt the exec_aborted Error
/// propagates; any other failure propagates at once. One connection serves
/// every attempt (EXEC ends a WATCH, so each attempt sends WATCH again).
///
/// The asynchronous loop, on an AsyncClient: `fn` takes the AsyncWatch and
/// returns an asio::awaitable of what the transaction's exec() returns, and
/// the loop itself completes through any completion token:
/// \code
///   const std::vector<std::string_view> keys{"balance"};  // named: g++ 12 and braced lists in co_await
///   auto [ok] = co_await valkey::watch_retry(c, keys,
///       [](valkey::AsyncWatch& w) -> asio::awaitable<std::tuple<bool>> {
///         auto cur = co_await w.get("balance", asio::use_awaitable);
///         co_return co_await w.multi().set("balance", next(cur)).exec(asio::use_awaitable);
///       },
///       asio::use_awaitable);
/// \endcode
///
/// The same rules as the synchronous one: one dedicated connection for every
/// attempt, WATCH again after an aborted EXEC, at most `attempts` runs of
/// `fn`, the last exec_aborted (or any other failure, at once) reported. A
/// token that throws (use_awaitable) gets the valkey::Error the synchronous
/// loop would throw; a callback gets void(std::error_code, R), with the
/// failure's text in the Diagnostics passed before the token. The keys are
/// copied; the client need only live until the call returns.
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <valkey/client.hpp>
#include <valkey/error.hpp>
#include <valkey/transaction.hpp>
#include <valkey/view.hpp>

#if defined(ASIO_HAS_CO_AWAIT)
#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/dispatch.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/async_client.hpp>
#include <valkey/async_watch.hpp>
#include <valkey/exec/async.hpp>
#endif

namespace valkey {

/// Synchronous: WATCHes `keys` on a connection of its own and runs `fn(Watch&)`,
/// again after each aborted EXEC, at most `attempts` times (see
/// \ref watch_retry.hpp). Throws valkey::Error (invalid_argument) when
/// `attempts` is less than 1.
template <class Fn>
auto watch_retry(Client& db, Strings keys, Fn&& fn, int attempts = 10) -> std::invoke_result_t<Fn&, Watch&> {
  if (attempts < 1) throw Error(make_error_code(errc::invalid_argument), "watch_retry: attempts must be at least 1");
  Watch w{db, keys};
  std::vector<std::string_view> rewatch;
  for (int attempt = 1;; ++attempt) {
    try {
      return fn(w);
    } catch (const Error& e) {
      if (e.code() != errc::exec_aborted || attempt >= attempts) throw;
    }
    if (rewatch.empty()) {
      rewatch.reserve(keys.size() + 1);
      rewatch.emplace_back("WATCH");
      keys.for_each([&](std::string_view k) { rewatch.push_back(k); });
    }
    w.call(rewatch);
  }
}

#if defined(ASIO_HAS_CO_AWAIT)

namespace detail {

template <class A>
struct awaitable_value {};
template <class T, class E>
struct awaitable_value<asio::awaitable<T, E>> {
  using type = T;
};

// The WATCH command for `keys`.
inline std::vector<std::string> watch_command(const std::vector<std::string>& keys) {
  std::vector<std::string> argv;
  argv.reserve(keys.size() + 1);
  argv.emplace_back("WATCH");
  argv.insert(argv.end(), keys.begin(), keys.end());
  return argv;
}

// The caller's fn behind a pointer: a coroutine's frame holding a lambda
// (a type without linkage) directly makes g++ warn (-Wsubobject-linkage,
// on by default) in every program that passes one.
template <class R>
struct WatchStep {
  virtual ~WatchStep() = default;
  virtual asio::awaitable<R> operator()(AsyncWatch& w) = 0;
};
template <class R, class Fn>
struct WatchStepOf final : WatchStep<R> {
  explicit WatchStepOf(Fn f) : fn(std::move(f)) {}
  asio::awaitable<R> operator()(AsyncWatch& w) override { return fn(w); }
  Fn fn;
};

// The loop, as a coroutine on the watched connection's executor.
template <class R>
asio::awaitable<R> watch_retry_loop(AsyncWatch w, std::vector<std::string> keys, std::unique_ptr<WatchStep<R>> step,
                                    int attempts) {
  WatchStep<R>& fn = *step;
  const std::vector<std::string> rewatch = watch_command(keys);
  std::vector<std::string_view> argv(rewatch.begin(), rewatch.end());
  co_await w.call(argv, asio::use_awaitable);
  for (int attempt = 1;; ++attempt) {
    bool aborted = false;
    try {
      co_return co_await fn(w);
    } catch (const Error& e) {
      if (e.code() != errc::exec_aborted || attempt >= attempts) throw;
      aborted = true;  // an aborted EXEC ran nothing: fn may run again
    }
    if (aborted) co_await w.call(argv, asio::use_awaitable);  // EXEC ended the WATCH
  }
}

// A failure from the loop as an error code and Diagnostics.
inline std::error_code watch_retry_failure(const std::exception_ptr& failure, Diagnostics* diag) {
  try {
    std::rethrow_exception(failure);
  } catch (const Error& e) {
    if (diag) {
      diag->server_message = e.server_message();
      diag->message = e.what();
      diag->command = e.command();
      diag->endpoint = e.endpoint();
      // Which attempt was written is not known here: say "may have run"
      // rather than claim "not sent" wrongly.
      diag->outcome = policy::outcome_of(e.code(), true);
    }
    return e.code();
  } catch (const std::bad_alloc&) {
    return std::make_error_code(std::errc::not_enough_memory);
  } catch (const std::exception& e) {
    if (diag) {
      diag->clear();
      diag->message = e.what();
    }
    return make_error_code(errc::invalid_argument);
  }
}

template <class Fn, class Token>
auto async_watch_retry(AsyncClient& c, Strings keys, Fn&& fn, int attempts, Diagnostics* diag, Token&& token) {
  using Awaitable = std::invoke_result_t<std::decay_t<Fn>&, AsyncWatch&>;
  using R = typename awaitable_value<Awaitable>::type;
  constexpr bool throws = exec::throws_v<std::decay_t<Token>>;
  if (attempts < 1) throw Error(make_error_code(errc::invalid_argument), "watch_retry: attempts must be at least 1");
  std::vector<std::string> owned;
  owned.reserve(keys.size());
  keys.for_each([&](std::string_view k) { owned.emplace_back(k); });
  // The dedicated connection, made now: the client need not outlive the call.
  AsyncWatch w{Connection::create(c.get_executor(), watch_config(c.config()))};
  auto ex = c.get_executor();
  return asio::async_initiate<Token, exec::signature_t<Token, R>>(
      [ex, diag](auto handler, AsyncWatch watched, std::vector<std::string> watched_keys, std::decay_t<Fn> body,
                 int tries) {
        auto step = std::make_unique<WatchStepOf<R, std::decay_t<Fn>>>(std::move(body));
        asio::co_spawn(ex, watch_retry_loop<R>(std::move(watched), std::move(watched_keys), std::move(step), tries),
                       [handler = std::move(handler), ex, diag](std::exception_ptr failure, R value) mutable {
                         auto hex = asio::get_associated_executor(handler, ex);
                         asio::dispatch(hex, [h = std::move(handler), failure, value = std::move(value),
                                              diag]() mutable {
                           if constexpr (throws) {
                             std::move(h)(failure, failure ? R{} : std::move(value));
                           } else {
                             std::error_code ec;
                             if (failure) ec = watch_retry_failure(failure, diag);
                             else if (diag) diag->clear();
                             std::move(h)(ec, ec ? R{} : std::move(value));
                           }
                         });
                       });
      },
      token, std::move(w), std::move(owned), std::forward<Fn>(fn), attempts);
}

}  // namespace detail

/// Asynchronous: `fn(AsyncWatch&)` returns `asio::awaitable<R>`; completes with
/// R (see \ref watch_retry.hpp).
template <class Fn, class Token>
  requires std::is_invocable_v<std::decay_t<Fn>&, AsyncWatch&>
auto watch_retry(AsyncClient& c, Strings keys, Fn&& fn, int attempts, Token&& token) {
  return detail::async_watch_retry(c, keys, std::forward<Fn>(fn), attempts, nullptr, std::forward<Token>(token));
}
/// The same, with a failure's text in `diag`.
template <class Fn, class Token>
  requires std::is_invocable_v<std::decay_t<Fn>&, AsyncWatch&>
auto watch_retry(AsyncClient& c, Strings keys, Fn&& fn, int attempts, Diagnostics& diag, Token&& token) {
  return detail::async_watch_retry(c, keys, std::forward<Fn>(fn), attempts, &diag, std::forward<Token>(token));
}
/// The same, with at most 10 attempts.
template <class Fn, class Token>
  requires std::is_invocable_v<std::decay_t<Fn>&, AsyncWatch&>
auto watch_retry(AsyncClient& c, Strings keys, Fn&& fn, Token&& token) {
  return detail::async_watch_retry(c, keys, std::forward<Fn>(fn), 10, nullptr, std::forward<Token>(token));
}

#endif  // ASIO_HAS_CO_AWAIT

}  // namespace valkey
