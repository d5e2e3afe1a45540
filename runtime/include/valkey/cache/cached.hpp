#pragma once
/// \class valkey::Cached
/// The cached command surface, what db.cached(ttl) returns
/// (`Cached<Client>`, `Cached<AsyncClient>`; docs/caching.md).
///
/// \code
///   auto flags = db.cached(5s).get("config:flags");          // a hit never leaves the process
///   auto many  = db.cached(5s).mget({"a", "b", "c"});         // hits locally, the misses in one MGET
///   auto v = co_await c.cached(5s).hget("h", "f", asio::use_awaitable);
/// \endcode
///
/// The generated methods are all there, but only cacheable commands compile
/// (valkey::CacheableCommand: read-only, deterministic, not blocking, one key
/// at a fixed position; and MGET): `db.cached(5s).set(...)` does not.
///
/// A hit decodes the stored reply on the calling thread (the async clients
/// complete it through a post, never inside the call). A miss sends the read
/// (in OPTIN mode after CLIENT CACHING YES, in the same write; with the key's
/// PTTL when CacheConfig::server_ttl), returns its reply and stores it unless
/// the key was invalidated while the read was in flight. An entry lives at
/// most `ttl` (0: no per-call bound), CacheConfig::max_ttl and the key's TTL.
///
/// On a client without Config::cache, cached() reads from the server, as the
/// plain methods do. The handle holds a reference to its client: use it
/// while the client lives (typically in the same expression).
#include <chrono>
#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <valkey/cache/cacheable.hpp>
#include <valkey/cache/client_hooks.hpp>
#include <valkey/cache/read.hpp>
#include <valkey/cache/store.hpp>
#include <valkey/command.hpp>
#include <valkey/diagnostics.hpp>
#include <valkey/exec/executor.hpp>
#include <valkey/exec/plan.hpp>
#include <valkey/exec/sync.hpp>
#include <valkey/observe/observer.hpp>
#include <valkey/observe/probe.hpp>

#if __has_include(<valkey/commands.hpp>)
#include <valkey/commands.hpp>
#define VALKEY_CACHED_HAS_COMMANDS 1
#endif

namespace valkey {

namespace cache_detail {

/// A command the cached surface takes: a cacheable one, or MGET.
template <class C>
concept CachedCommand = Command<C> && (CacheableCommand<C> || C::info.name == std::string_view("MGET"));

/// Reports `count` cache events of `kind` to the observer of `config`.
inline void notify(const Config& config, CacheEvent::Kind kind, std::size_t count = 1) noexcept {
  notify_cache(config, CacheEvent{kind, count});
}

/// The request bytes of a cached read of `cmd`, in a per-thread buffer (the
/// entry's identity; valid until this thread's next cached call).
template <class Cmd>
std::string_view encode_request(const Cmd& cmd) {
  thread_local std::string request;
  request.clear();
  resp::Writer w(request);
  encode(cmd, w);
  return request;
}

/// The value of a stored bulk string (`"$5\r\nhello\r\n"` → `"hello"`): the
/// common hit (GET, HGET, LINDEX...) skips the parser. False for any other
/// shape (null, aggregates, a bulk string whose header does not add up).
inline bool bulk_string(std::string_view bytes, std::string_view& out) {
  if (bytes.size() < 5 || bytes[0] != '$') return false;
  std::size_t len = 0, i = 1;
  for (; i < bytes.size() && bytes[i] >= '0' && bytes[i] <= '9'; ++i) len = len * 10 + std::size_t(bytes[i] - '0');
  if (i == 1 || i + 2 + len + 2 != bytes.size() || bytes[i] != '\r' || bytes[i + 1] != '\n') return false;
  out = bytes.substr(i + 2, len);
  return true;
}

/// Looks `request` up and decodes a hit into `out`.
template <class T>
bool lookup(CacheStore& store, std::string_view request, T& out) {
  thread_local std::string hit;
  if constexpr (std::is_same_v<T, std::optional<std::string>> || std::is_same_v<T, std::string>) {
    // Under the store's lock: the fast path copies the value once, straight
    // into the result; any other shape is copied out and replayed below.
    bool direct = false;
    const bool found = store.visit(request, [&](std::string_view bytes) {
      std::string_view value;
      if (bulk_string(bytes, value)) {
        // Constructed in place: one allocation (beyond the small-string
        // size) and one copy, no assign into an empty string.
        if constexpr (std::is_same_v<T, std::string>) out = std::string(value);
        else out.emplace(value);
        direct = true;
      } else {
        hit.assign(bytes);
      }
    });
    if (!found) return false;
    return direct || replay(hit, out);
  } else {
    return store.lookup(request, hit) && replay(hit, out);
  }
}

/// The synchronous request of a tracked read: the frame around the read.
struct FramedPlan {
  /// The commands around the read.
  const ReadFrame* frame;
  /// The read's encoded request.
  std::string_view read;
  /// Writes the framed request.
  void write(resp::Writer& w) const { frame->write(w, read); }
};

/// `cmd` as a plan that does not go through the cache.
template <class Cmd>
exec::CommandPlan<Cmd> plain(const Cmd& cmd) {
  return exec::CommandPlan<Cmd>{cmd};
}

// ------------------------------------------------------------------ sync

/// A cacheable read of `cmd` on a synchronous client: a hit from the store,
/// a miss from the server (stored when the store keeps the key).
template <class Target, class Cmd>
auto run_cached_sync(Target& t, std::chrono::milliseconds ttl, const Cmd& cmd, std::error_code* ec,
                     Diagnostics* diag) {
  using R = typename Cmd::reply_type;
  // Every return below returns `out`, so the hit is built in the caller's
  // object (no move of the value on the way out).
  R out{};
  CacheStore* store = t.cache();
  if (!store) {
    out = exec::run_sync(t, plain(cmd), ec, diag);
    return out;
  }
  const Config& config = t.config();
  const std::string_view request = encode_request(cmd);
  if (lookup(*store, request, out)) {
    if (observe::observed(config)) [[unlikely]] notify(config, CacheEvent::Kind::hit);
    if (ec) ec->clear();
    exec::clear(diag);
    return out;
  }
  if (observe::observed(config)) [[unlikely]] notify(config, CacheEvent::Kind::miss);
  const std::string_view key = key_of(cmd);
  CacheStore::ReadTicket ticket = store->begin_read(key);
  if (!ticket.tracked()) {
    out = exec::run_sync(t, plain(cmd), ec, diag);
    return out;
  }
  const CacheConfig& cc = store->config();
  const ReadFrame frame{cc.mode == CacheMode::optin, cc.server_ttl, key};
  const FramedPlan plan{&frame, request};
  detail::SyncOp<CachedRead<R>> op{detail::EncodeRef::of(plan), frame.replies()};
  Insert insert;
  insert.store = store;
  insert.ticket = std::move(ticket);
  insert.request = request;
  insert.ttl = ttl;
  op.decoder().arm(frame, std::move(insert));
  op.flags = Cmd::info.flags;
  exec::apply_deadline(op, config);
  if (observe::observed(config)) [[unlikely]]
    observe::start_plan(op.probe, config, plain(cmd));
  t.run(op);
  exec::Reason why;
  std::error_code e = op.transport_error();
  const bool transport = static_cast<bool>(e);
  if (!transport) e = op.decoder().finish(out, why);
  if (op.probe.armed()) [[unlikely]]
    op.probe.end(e, why.server_message);
  if (transport) {
    exec::sync_failed(t, plain(cmd), e, &why, op.connection_error(), op.was_written(), ec, diag);
  } else if (e) {
    exec::sync_failed(t, plain(cmd), e, &why, {}, op.was_written(), ec, diag);
    out = R{};
  } else {
    if (ec) ec->clear();
    exec::clear(diag);
  }
  return out;
}

/// MGET through the cache: each key's GET entry answers locally; the misses
/// go out in one MGET (after CLIENT CACHING YES in OPTIN mode, with a PTTL per
/// key when server_ttl), and each non-null element is stored as that key's GET
/// entry. A null element is not: MGET answers null for a key of another type,
/// where GET answers WRONGTYPE.
class MgetRead {
 public:
  /// The MGET's values, one per key.
  using result_type = std::vector<std::optional<std::string>>;
  /// A key the store did not answer.
  struct Miss {
    std::size_t index;  ///< in the caller's key list
    /// The key.
    std::string_view key;
    std::string request;  ///< the key's GET
    /// The store's ticket for the key's GET entry.
    CacheStore::ReadTicket ticket;
  };

  /// An unarmed decoder; the reply count argument is not used.
  explicit MgetRead(std::uint32_t = 1) noexcept {}
  /// Prepares for the replies of an MgetPlan with the same `misses`, `optin`
  /// and `pttl`; the values are stored in `store` with `ttl`.
  void arm(CacheStore* store, std::vector<Miss>* misses, bool optin, bool pttl, std::chrono::milliseconds ttl) {
    store_ = store;
    misses_ = misses;
    optin_ = optin;
    pttl_ = pttl;
    ttl_ = ttl;
    elements_.assign(misses->size(), std::string());
    pttls_.assign(misses->size(), -1);
  }
  /// Takes one node of the replies.
  void on_node(const resp::Node& n) {
    const std::uint32_t read_at = optin_ ? 1 : 0;
    if (index_ == read_at) {
      read_.on_node(n);
      if (n.depth == 0 && resp::is_error(n.type)) keep_ = false;
      if (n.depth == 1 && element_ < elements_.size()) {
        if (n.type == resp::Type::bulk_string) record_node(elements_[element_], n);
        ++element_;
      }
    } else if (index_ < read_at) {
      if (resp::is_error(n.type)) keep_ = false;
    } else if (n.depth == 0) {
      const std::size_t j = index_ - read_at - 1;
      if (j < pttls_.size() && n.type == resp::Type::integer) pttls_[j] = n.integer;
      else keep_ = false;
    }
  }
  /// Ends one reply.
  void on_reply_end() {
    if (index_ == (optin_ ? 1u : 0u)) read_.on_reply_end();
    ++index_;
  }
  /// The MGET's values into `out`; each non-null one is stored as its key's
  /// GET entry when every reply was as expected.
  std::error_code finish(result_type& out, exec::Reason& why) {
    const std::error_code ec = read_.finish(out, why);
    if (ec || !keep_ || !store_) return ec;
    for (std::size_t j = 0; j < misses_->size(); ++j) {
      Miss& m = (*misses_)[j];
      if (elements_[j].empty() || !m.ticket.tracked()) continue;
      CacheEntryLimits limits;
      limits.ttl = ttl_;
      if (pttl_ && pttls_[j] >= 0) limits.server_deadline = m.ticket.started() + std::chrono::milliseconds(pttls_[j]);
      store_->complete_read(std::move(m.ticket), m.request, elements_[j], limits);
    }
    return ec;
  }
  /// Forgets the replies read so far.
  void reset() {
    read_.reset();
    for (auto& e : elements_) e.clear();
    index_ = 0;
    element_ = 0;
    keep_ = true;
  }

 private:
  exec::SingleReply<result_type> read_;
  CacheStore* store_ = nullptr;
  std::vector<Miss>* misses_ = nullptr;
  std::vector<std::string> elements_;
  std::vector<std::int64_t> pttls_;
  std::chrono::milliseconds ttl_{0};
  std::uint32_t index_ = 0;
  std::size_t element_ = 0;
  bool optin_ = false;
  bool pttl_ = false;
  bool keep_ = true;
};

/// The request of an MGET through the cache: CLIENT CACHING YES (OPTIN
/// mode), the MGET of the misses, then a PTTL per miss (server_ttl).
struct MgetPlan {
  /// The keys to read.
  const std::vector<MgetRead::Miss>* misses;
  /// Whether CLIENT CACHING YES goes first, and whether a PTTL follows per key.
  bool optin, pttl;
  /// The number of replies the request gets.
  std::uint32_t replies() const noexcept {
    return 1 + (optin ? 1 : 0) + (pttl ? static_cast<std::uint32_t>(misses->size()) : 0);
  }
  /// Writes the request.
  void write(resp::Writer& w) const {
    if (optin) w.buffer().append("*3\r\n$6\r\nCLIENT\r\n$7\r\nCACHING\r\n$3\r\nYES\r\n");
    w.begin_command(1 + misses->size());
    w.arg(std::string_view{"MGET"});
    for (const auto& m : *misses) w.arg(m.key);
    if (pttl) {
      for (const auto& m : *misses) {
        w.begin_command(2);
        w.arg(std::string_view{"PTTL"});
        w.arg(m.key);
      }
    }
  }
};

/// The hits of an MGET through the cache go into `out`; the misses come back
/// with their tickets, in key order.
inline std::vector<MgetRead::Miss> split_mget(CacheStore& store, const Config& config,
                                              const std::vector<std::string_view>& keys,
                                              std::vector<std::optional<std::string>>& out) {
  std::vector<MgetRead::Miss> misses;
  std::size_t hits = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::string_view req;
    {
      thread_local std::string get;
      get.clear();
      resp::Writer w(get);
      w.begin_command(2);
      w.arg(std::string_view{"GET"});
      w.arg(keys[i]);
      req = get;
    }
    if (lookup(store, req, out[i])) {
      ++hits;
      continue;
    }
    misses.push_back({i, keys[i], std::string(req), store.begin_read(keys[i])});
  }
  if (observe::observed(config)) [[unlikely]] {
    if (hits) notify(config, CacheEvent::Kind::hit, hits);
    if (!misses.empty()) notify(config, CacheEvent::Kind::miss, misses.size());
  }
  return misses;
}

/// The keys of `cmd`, in order.
template <class Cmd>
std::vector<std::string_view> keys_of(const Cmd& cmd) {
  std::vector<std::string_view> keys;
  auto collect = [&](std::string_view k) { keys.push_back(k); };
  KeyCallback cb(collect);
  for_each_key(cmd, cb);
  return keys;
}

/// MGET through the cache on a synchronous client (MgetRead); without a
/// cache, a plain MGET.
template <class Target, class Cmd>
auto run_cached_mget_sync(Target& t, std::chrono::milliseconds ttl, const Cmd& cmd, std::error_code* ec,
                          Diagnostics* diag) {
  using R = std::vector<std::optional<std::string>>;
  CacheStore* store = t.cache();
  if (!store) return exec::run_sync(t, plain(cmd), ec, diag);
  const Config& config = t.config();
  const std::vector<std::string_view> keys = keys_of(cmd);
  R out(keys.size());
  std::vector<MgetRead::Miss> misses = split_mget(*store, config, keys, out);
  if (ec) ec->clear();
  exec::clear(diag);
  if (misses.empty()) return out;
  const CacheConfig& cc = store->config();
  const MgetPlan plan{&misses, cc.mode == CacheMode::optin, cc.server_ttl};
  detail::SyncOp<MgetRead> op{detail::EncodeRef::of(plan), plan.replies()};
  op.decoder().arm(store, &misses, plan.optin, plan.pttl, ttl);
  op.flags = Cmd::info.flags;
  exec::apply_deadline(op, config);
  if (observe::observed(config)) [[unlikely]]
    observe::start_plan(op.probe, config, plain(cmd));
  t.run(op);
  exec::Reason why;
  R fetched;
  std::error_code e = op.transport_error();
  const bool transport = static_cast<bool>(e);
  if (!transport) e = op.decoder().finish(fetched, why);
  if (op.probe.armed()) [[unlikely]]
    op.probe.end(e, why.server_message);
  if (!e && fetched.size() != misses.size()) e = make_error_code(errc::unexpected_reply_type);
  if (e) {
    exec::sync_failed(t, plain(cmd), e, &why, transport ? std::string_view(op.connection_error()) : std::string_view{},
                      op.was_written(), ec, diag);
    return R{};
  }
  for (std::size_t j = 0; j < misses.size(); ++j) out[misses[j].index] = std::move(fetched[j]);
  return out;
}

// The asynchronous clients' reads (cache/cached_async.hpp, included by their
// headers, so that the synchronous Client's users compile no Asio header).
template <class Target, class Cmd, class Token>
auto run_cached_async(Target& t, std::chrono::milliseconds ttl, const Cmd& cmd, Diagnostics* diag, Token&& token);
template <class Target, class Cmd, class Token>
auto run_cached_mget_async(Target& t, std::chrono::milliseconds ttl, const Cmd& cmd, Diagnostics* diag,
                           Token&& token);

}  // namespace cache_detail

template <class Target>
class Cached
#ifdef VALKEY_CACHED_HAS_COMMANDS
    : public Commands<Cached<Target>>
#endif
{
 public:
  /// A handle on `target` whose reads keep an entry at most `ttl` (0: no
  /// per-call bound); use target.cached(ttl).
  Cached(Target& target, std::chrono::milliseconds ttl) noexcept : target_(target), ttl_(ttl) {}

  /// The generated methods land here; so may a typed command:
  /// \code
  ///   db.cached(5s).exec(valkey::cmd::Hget{.key = "h", .field = "f"});
  /// \endcode
  template <cache_detail::CachedCommand Cmd, class... Tail>
  decltype(auto) exec(const Cmd& cmd, Tail&&... tail) {
    if constexpr (requires { typename Target::runs_cached_reads; }) {
      // A client with its own cached path (the cluster clients: cluster/cached.hpp).
      return target_.exec_cached(ttl_, cmd, std::forward<Tail>(tail)...);
    } else if constexpr (exec::executor_of<Target, exec::sync_executor>) {
      return run_sync(cmd, std::forward<Tail>(tail)...);
    } else {
      return run_async(cmd, std::forward<Tail>(tail)...);
    }
  }

 private:
  template <class Cmd>
  decltype(auto) run_sync(const Cmd& cmd, std::error_code* ec, Diagnostics* diag) {
    if constexpr (CacheableCommand<Cmd>) return cache_detail::run_cached_sync(target_, ttl_, cmd, ec, diag);
    else return cache_detail::run_cached_mget_sync(target_, ttl_, cmd, ec, diag);
  }
  template <class Cmd>
  decltype(auto) run_sync(const Cmd& cmd) { return run_sync(cmd, nullptr, nullptr); }
  template <class Cmd>
  decltype(auto) run_sync(const Cmd& cmd, std::error_code& ec) { return run_sync(cmd, &ec, nullptr); }
  template <class Cmd>
  decltype(auto) run_sync(const Cmd& cmd, std::error_code& ec, Diagnostics& diag) { return run_sync(cmd, &ec, &diag); }

  template <class Cmd, class Token>
    requires(!std::is_same_v<std::remove_cvref_t<Token>, Diagnostics>)
  decltype(auto) run_async(const Cmd& cmd, Token&& token) {
    return run_async(cmd, nullptr, std::forward<Token>(token));
  }
  template <class Cmd, class Token>
  decltype(auto) run_async(const Cmd& cmd, Diagnostics& diag, Token&& token) {
    return run_async(cmd, &diag, std::forward<Token>(token));
  }
  template <class Cmd, class Token>
  decltype(auto) run_async(const Cmd& cmd, Diagnostics* diag, Token&& token) {
    if constexpr (CacheableCommand<Cmd>) {
      return cache_detail::run_cached_async(target_, ttl_, cmd, diag, std::forward<Token>(token));
    } else {
      return cache_detail::run_cached_mget_async(target_, ttl_, cmd, diag, std::forward<Token>(token));
    }
  }

  Target& target_;
  std::chrono::milliseconds ttl_;
};

}  // namespace valkey
