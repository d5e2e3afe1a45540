#pragma once
/// \class valkey::Script
/// valkey::Script: a Lua script run by its SHA1 (computed locally, OpenSSL).
/// EVALSHA first; on NOSCRIPT the script is loaded (SCRIPT LOAD) and EVALSHA
/// retried once — so a server restart or SCRIPT FLUSH is invisible.
///
/// \code
///   static const valkey::Script incr_by{"return redis.call('INCRBY', KEYS[1], ARGV[1])"};
///   std::int64_t n = incr_by.run<std::int64_t>(db, {"counter"}, {"5"});
///   auto r = co_await incr_by.async_run<valkey::Reply>(c, keys, args, asio::use_awaitable);
/// \endcode
///
/// Functions (FUNCTION LOAD, FCALL, FCALL_RO) need nothing extra: they are in
/// the generated surface (db.function_load(code), db.fcall("f", {.keys = ..})).
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <asio/async_result.hpp>
#include <asio/compose.hpp>

#include <valkey/async_client.hpp>
#include <valkey/client.hpp>
#include <valkey/cmd/all.hpp>
#include <valkey/diagnostics.hpp>
#include <valkey/exec/async.hpp>
#include <valkey/exec/outcome.hpp>
#include <valkey/export.hpp>

namespace valkey {

namespace detail {

inline std::vector<std::string> own(Strings s) {
  std::vector<std::string> out;
  out.reserve(s.size());
  s.for_each([&](std::string_view v) { out.emplace_back(v); });
  return out;
}

// EVALSHA with the reply decoded into T; owns its keys and arguments.
template <class T>
struct EvalShaCall {
  using reply_type = T;
  static constexpr CommandInfo info = cmd::Evalsha::info;
  std::string sha1;
  std::vector<std::string> keys;
  std::vector<std::string> args;
};
template <class T>
void encode(const EvalShaCall<T>& c, resp::Writer& w) {
  encode(cmd::Evalsha{.sha1 = c.sha1, .keys = c.keys, .args = c.args}, w);
}
template <class T>
void for_each_key(const EvalShaCall<T>& c, KeyCallback cb) {
  for (const auto& k : c.keys) cb(k);
}

// SCRIPT LOAD whose reply (the SHA1) is only checked for errors.
struct ScriptLoadCall {
  using reply_type = adapt::Ignore;
  static constexpr CommandInfo info = cmd::ScriptLoad::info;
  std::string source;
};
inline void encode(const ScriptLoadCall& c, resp::Writer& w) { encode(cmd::ScriptLoad{.script = c.source}, w); }
inline void for_each_key(const ScriptLoadCall&, KeyCallback) {}

inline bool is_noscript(std::error_code ec, const Diagnostics& d) {
  return ec == errc::server_error && d.prefix() == "NOSCRIPT";
}

// EVALSHA -> (NOSCRIPT) SCRIPT LOAD -> EVALSHA, as one asynchronous operation.
// `Throws`: the token rethrows failures (use_awaitable, use_future), so it
// completes with the exception the synchronous run() would throw.
template <class T, bool Throws>
struct ScriptRunOp {
  struct State {
    AsyncClient* client;
    EvalShaCall<T> call;
    std::string source;
    Diagnostics diag;
    Diagnostics* user_diag;
    bool retried = false;
  };
  std::unique_ptr<State> st;

  template <class Self>
  void operator()(Self& self) {
    st->client->exec(st->call, st->diag, std::move(self));
  }
  template <class Self>
  void operator()(Self& self, std::error_code ec, T value) {
    if (!st->retried && is_noscript(ec, st->diag)) {
      st->retried = true;
      st->client->exec(ScriptLoadCall{st->source}, st->diag, std::move(self));
      return;
    }
    complete(self, ec, std::move(value));
  }
  template <class Self>
  void operator()(Self& self, std::error_code ec, adapt::Ignore)
    requires(!std::is_same_v<T, adapt::Ignore>)
  {
    if (ec) return complete(self, ec, T{});
    st->client->exec(st->call, st->diag, std::move(self));
  }

 private:
  template <class Self>
  void complete(Self& self, std::error_code ec, T value) {
    if (st->user_diag) *st->user_diag = st->diag;
    if constexpr (Throws) {
      std::exception_ptr failure = ec ? exec::to_exception(ec, st->diag) : nullptr;
      st.reset();
      self.complete(failure, std::move(value));
    } else {
      st.reset();
      self.complete(ec, std::move(value));
    }
  }
};

}  // namespace detail

class VALKEY_CPP_EXPORT Script {
 public:
  /// Keeps `source` and computes its SHA1; nothing is sent.
  explicit Script(std::string source);

  /// The Lua source.
  const std::string& source() const noexcept { return source_; }
  /// The script's SHA1: lower-case hex, as SCRIPT LOAD answers.
  const std::string& sha1() const noexcept { return sha1_; }

  /// Runs the script on `db` with `keys` and `args`; the reply decoded into T.
  /// Synchronous: throws ServerError / Error.
  template <class T = Reply>
  T run(Client& db, Strings keys = {}, Strings args = {}) const {
    std::error_code ec;
    Diagnostics diag;
    T out = run<T>(db, keys, args, ec, diag);
    if (ec) exec::raise(ec, diag);
    return out;
  }
  /// The same, filling `ec` and `diag` instead of throwing.
  template <class T = Reply>
  T run(Client& db, Strings keys, Strings args, std::error_code& ec, Diagnostics& diag) const {
    detail::EvalShaCall<T> call{sha1_, detail::own(keys), detail::own(args)};
    T out = db.exec(call, ec, diag);
    if (detail::is_noscript(ec, diag)) {
      db.exec(detail::ScriptLoadCall{source_}, ec, diag);
      if (ec) return T{};
      out = db.exec(call, ec, diag);
    }
    return out;
  }

  /// Runs the script on `c` with `keys` and `args`; the reply decoded into T.
  /// Asynchronous: void(std::error_code, T).
  template <class T = Reply, class Token>
  auto async_run(AsyncClient& c, Strings keys, Strings args, Token&& token) const {
    return async_run<T>(c, keys, args, nullptr, std::forward<Token>(token));
  }
  /// The same, with a failure's text in `diag`.
  template <class T = Reply, class Token>
  auto async_run(AsyncClient& c, Strings keys, Strings args, Diagnostics& diag, Token&& token) const {
    return async_run<T>(c, keys, args, &diag, std::forward<Token>(token));
  }

 private:
  template <class T, class Token>
  auto async_run(AsyncClient& c, Strings keys, Strings args, Diagnostics* diag, Token&& token) const {
    constexpr bool throws = exec::throws_v<std::decay_t<Token>>;
    using Op = detail::ScriptRunOp<T, throws>;
    using State = typename Op::State;
    auto st = std::make_unique<State>(
        State{&c, detail::EvalShaCall<T>{sha1_, detail::own(keys), detail::own(args)}, source_, {}, diag});
    return asio::async_compose<Token, exec::signature_t<Token, T>>(Op{std::move(st)}, token, c.get_executor());
  }

  std::string source_;
  std::string sha1_;
};

/// SHA1 of `data` as 40 lower-case hex digits.
VALKEY_CPP_EXPORT std::string sha1_hex(std::string_view data);

}  // namespace valkey
