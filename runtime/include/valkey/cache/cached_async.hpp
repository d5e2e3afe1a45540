#pragma once
/// \file
/// The cached reads of the asynchronous clients (`Cached<AsyncClient>`,
/// `Cached<AsyncClusterClient>`; cache/cached.hpp declares run_cached_async and
/// run_cached_mget_async, this header defines them). Kept apart so that a
/// translation unit that uses only the synchronous Client compiles no Asio
/// header; async_client.hpp and the asynchronous cluster client include it.
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/async_result.hpp>
#include <asio/associated_executor.hpp>
#include <asio/post.hpp>

#include <valkey/cache/cached.hpp>
#include <valkey/exec/async.hpp>

namespace valkey::cache_detail {

/// Completes a hit: posted to the handler's executor (never inside the call).
template <class R, bool Throws>
struct PostHit {
  /// Calls `h` with no error and `value`, posted to its associated executor
  /// (default: `fallback`).
  template <class Handler>
  void operator()(Handler&& h, asio::any_io_executor fallback, R value) const {
    auto ex = asio::get_associated_executor(h, fallback);
    asio::post(ex, [h = std::forward<Handler>(h), v = std::move(value)]() mutable {
      if constexpr (Throws) std::move(h)(std::exception_ptr{}, std::move(v));
      else std::move(h)(std::error_code{}, std::move(v));
    });
  }
};

/// Sends an AsyncOp of a cached read whose decoder is armed: the default
/// deadline, the observer (which sees one reply: the read the caller asked
/// for, not CLIENT CACHING or PTTL), then submit; a refusal completes it
/// posted, never inside the call.
template <class Op>
void submit_armed(Op* op, Connection& conn, const exec::RequestInfo& info) {
  exec::apply_deadline(*op, conn.config());
  if (observe::observed(conn.config())) [[unlikely]] {
    exec::RequestInfo shown = info;
    shown.replies = 1;
    exec::observe_start(op->probe, op->bytes(), conn.config(), shown);
  }
  std::error_code ec;
  try {
    ec = op->submit(conn);
  } catch (...) {
    ec = std::make_error_code(std::errc::not_enough_memory);
  }
  if (ec) return op->finish(ec, true);
  op->arm_cancellation();
}

/// The initiation of a cached read's miss on an asynchronous client: sends
/// the framed read, whose reply is stored under `insert`'s ticket.
template <class R, bool Throws>
struct LaunchRead {
  /// Creates the operation on `conn`, arms its decoder and sends it.
  template <class Handler>
  void operator()(Handler&& handler, Connection* conn, exec::Bytes bytes, exec::RequestInfo info, Diagnostics* diag,
                  ReadFrame frame, Insert insert) const {
    using Op = exec::AsyncOp<CachedRead<R>, std::decay_t<Handler>, Throws>;
    Op* op = Op::create(std::forward<Handler>(handler), *conn, diag, std::move(bytes), info, nullptr, nullptr);
    op->decoder().arm(frame, std::move(insert));
    submit_armed(op, *conn, info);
  }
};

/// A cacheable read of `cmd` on an asynchronous client: a hit posted to the
/// handler's executor, a miss sent framed (LaunchRead) and stored when the
/// store keeps the key; without a cache, a plain read.
template <class Target, class Cmd, class Token>
auto run_cached_async(Target& t, std::chrono::milliseconds ttl, const Cmd& cmd, Diagnostics* diag, Token&& token) {
  using R = typename Cmd::reply_type;
  using Tok = std::decay_t<Token>;
  constexpr bool throws = exec::throws_v<Tok>;
  static_assert(!exec::is_use_future_v<Tok>, "cached(): use a handler, use_awaitable or deferred (not use_future)");
  CacheStore* store = t.cache();
  if (!store) return exec::run_async(t, plain(cmd), diag, std::forward<Token>(token));
  const Config& config = t.config();
  const std::string_view request = encode_request(cmd);
  R out{};
  if (lookup(*store, request, out)) {
    if (observe::observed(config)) [[unlikely]] notify(config, CacheEvent::Kind::hit);
    exec::clear(diag);
    return asio::async_initiate<Token, exec::signature_t<Token, R>>(PostHit<R, throws>{}, token,
                                                                     t.get_executor(), std::move(out));
  }
  if (observe::observed(config)) [[unlikely]] notify(config, CacheEvent::Kind::miss);
  const std::string_view key = key_of(cmd);
  CacheStore::ReadTicket ticket = store->begin_read(key);
  if (!ticket.tracked()) return exec::run_async(t, plain(cmd), diag, std::forward<Token>(token));
  const CacheConfig& cc = store->config();
  const ReadFrame frame{cc.mode == CacheMode::optin, cc.server_ttl, {}};
  ReadFrame framed = frame;
  framed.key = key;
  exec::Bytes bytes = exec::Bytes::pooled();
  {
    resp::Writer w(bytes.buffer());
    framed.write(w, request);
  }
  Insert insert;
  insert.store = store;
  insert.ticket = std::move(ticket);
  insert.owned.assign(request);
  insert.ttl = ttl;
  const exec::RequestInfo info{Cmd::info.flags, frame.replies(), Cmd::info.name, &Cmd::info};
  return asio::async_initiate<Token, exec::signature_t<Token, R>>(LaunchRead<R, throws>{}, token, &t.connection(),
                                                                   std::move(bytes), info, diag, frame,
                                                                   std::move(insert));
}

/// The decoder of an asynchronous MGET through the cache: it owns the hits
/// found at the call and the misses (the caller's command may be gone by
/// the time the reply arrives), and merges both when the MGET's reply is in.
class MgetMerge {
 public:
  /// The MGET's values, one per key.
  using result_type = std::vector<std::optional<std::string>>;
  /// An unarmed decoder; the reply count argument is not used.
  explicit MgetMerge(std::uint32_t = 1) noexcept {}
  /// Takes the misses and the hits (`partial`) and arms the MgetRead inside.
  void arm(CacheStore* store, std::vector<MgetRead::Miss> misses, result_type partial, bool optin, bool pttl,
           std::chrono::milliseconds ttl) {
    misses_ = std::move(misses);
    for (auto& m : misses_) m.key = {};  // a view of the caller's command: written already, never read again
    partial_ = std::move(partial);
    read_.arm(store, &misses_, optin, pttl, ttl);
  }
  /// Takes one node of the replies.
  void on_node(const resp::Node& n) { read_.on_node(n); }
  /// Ends one reply.
  void on_reply_end() { read_.on_reply_end(); }
  /// The hits and the fetched values into `out`, in key order.
  std::error_code finish(result_type& out, exec::Reason& why) {
    result_type fetched;
    std::error_code ec = read_.finish(fetched, why);
    if (!ec && fetched.size() != misses_.size()) ec = make_error_code(errc::unexpected_reply_type);
    if (ec) return ec;
    for (std::size_t j = 0; j < misses_.size(); ++j) partial_[misses_[j].index] = std::move(fetched[j]);
    out = std::move(partial_);
    return ec;
  }
  /// Forgets the replies read so far.
  void reset() { read_.reset(); }

 private:
  MgetRead read_;
  std::vector<MgetRead::Miss> misses_;
  result_type partial_;
};

/// Starts an asynchronous MGET through the cache. One initiation for every
/// path, so that every token (deferred ones included) sees one operation
/// type: when every key was a hit (`misses` empty) the result is posted to
/// the handler's executor; otherwise the misses go out in one MGET (`bytes`,
/// encoded at the call) and the handler gets hits and fetched values
/// together.
template <bool Throws>
struct LaunchMget {
  /// Posts `partial`, or sends the MGET of the misses on `conn`.
  template <class Handler>
  void operator()(Handler&& handler, Connection* conn, exec::Bytes bytes, exec::RequestInfo info, Diagnostics* diag,
                  CacheStore* store, std::vector<MgetRead::Miss> misses, MgetMerge::result_type partial, bool optin,
                  bool pttl, std::chrono::milliseconds ttl) const {
    if (misses.empty())
      return PostHit<MgetMerge::result_type, Throws>{}(std::forward<Handler>(handler), conn->get_executor(),
                                                       std::move(partial));
    using Op = exec::AsyncOp<MgetMerge, std::decay_t<Handler>, Throws>;
    Op* op = Op::create(std::forward<Handler>(handler), *conn, diag, std::move(bytes), info, nullptr, nullptr);
    op->decoder().arm(store, std::move(misses), std::move(partial), optin, pttl, ttl);
    submit_armed(op, *conn, info);
  }
};

/// MGET through the cache on an asynchronous client: the hits are looked up
/// at the call, the misses are encoded at the call (the caller's keys are not
/// read again), then LaunchMget. Without Config::cache every key is a miss
/// and the MGET goes out as it is.
template <class Target, class Cmd, class Token>
auto run_cached_mget_async(Target& t, std::chrono::milliseconds ttl, const Cmd& cmd, Diagnostics* diag,
                           Token&& token) {
  using R = std::vector<std::optional<std::string>>;
  using Tok = std::decay_t<Token>;
  constexpr bool throws = exec::throws_v<Tok>;
  static_assert(!exec::is_use_future_v<Tok>, "cached(): use a handler, use_awaitable or deferred (not use_future)");
  CacheStore* store = t.cache();
  const std::vector<std::string_view> keys = keys_of(cmd);
  R out(keys.size());
  std::vector<MgetRead::Miss> misses;
  if (store) {
    misses = split_mget(*store, t.config(), keys, out);
  } else {
    misses.reserve(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) misses.push_back({i, keys[i], {}, {}});
  }
  exec::clear(diag);
  const bool optin = store && store->config().mode == CacheMode::optin;
  const bool pttl = store && store->config().server_ttl;
  const MgetPlan plan{&misses, optin, pttl};
  exec::Bytes bytes = exec::Bytes::pooled();
  if (!misses.empty()) {
    resp::Writer w(bytes.buffer());
    plan.write(w);
  }
  const exec::RequestInfo info{Cmd::info.flags, plan.replies(), Cmd::info.name, &Cmd::info};
  return asio::async_initiate<Token, exec::signature_t<Token, R>>(LaunchMget<throws>{}, token, &t.connection(),
                                                                   std::move(bytes), info, diag, store,
                                                                   std::move(misses), std::move(out), optin, pttl,
                                                                   ttl);
}

}  // namespace valkey::cache_detail
