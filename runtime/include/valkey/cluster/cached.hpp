#pragma once
/// \file
/// The cluster clients' side of db.cached(ttl) (internal; docs/caching.md,
/// "Cluster"). `Cached<ClusterClient>` and `Cached<AsyncClusterClient>` call
/// the clients' exec_cached(), which use these.
///
/// A cacheable read: a hit is decoded from the store on the calling thread
/// (AsyncClusterClient completes it through a post, never inside the call); a
/// miss becomes a job with a CacheRead (cache_read.hpp): routed to the key's
/// slot primary, framed on its first attempt, stored under the ticket taken
/// here.
///
/// MGET: each key's GET entry answers locally; the misses go out as one MGET
/// through the cluster's usual split (one share per slot, key order kept) and
/// are returned, not stored (a share is not framed; the keys' next GETs
/// through the cache are).
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/async_result.hpp>
#include <asio/associated_executor.hpp>
#include <asio/bind_executor.hpp>

#include <valkey/cache/cached.hpp>
#include <valkey/cache/cached_async.hpp>
#include <valkey/cache/store.hpp>
#include <valkey/cluster/cache_read.hpp>
#include <valkey/cluster/router.hpp>
#include <valkey/cluster/run.hpp>
#include <valkey/exec/plan.hpp>
#include <valkey/resp/writer.hpp>

namespace valkey::cluster {

/// A hit decoded into `out` (true); else `setup` is the job that reads it:
/// framed, with the ticket taken now, when the store keeps the key.
template <class Cmd, class R>
bool cached_lookup(CacheStore& store, const Config& node, std::chrono::milliseconds ttl, const Cmd& cmd, R& out,
                   JobSetup& setup) {
  const std::string_view request = cache_detail::encode_request(cmd);
  if (cache_detail::lookup(store, request, out)) {
    if (observe::observed(node)) [[unlikely]]
      cache_detail::notify(node, CacheEvent::Kind::hit);
    return true;
  }
  if (observe::observed(node)) [[unlikely]]
    cache_detail::notify(node, CacheEvent::Kind::miss);
  const std::string_view key = cache_detail::key_of(cmd);
  CacheStore::ReadTicket ticket = store.begin_read(key);
  std::unique_ptr<CacheRead> read;
  // `request` lives in a per-thread buffer: copied before anything else encodes.
  if (ticket.tracked()) read = std::make_unique<CacheRead>(store, std::move(ticket), request, key, ttl);
  setup = make_setup(exec::CommandPlan<Cmd>{cmd}, Target{}, node);
  if (read) setup.extra().cache = std::move(read);
  return false;
}

/// MGET through the cache: the hits go into `out` (sized to the keys); the
/// indices of the misses come back, with `setup` the MGET of their keys (when
/// there are any).
template <class Cmd>
std::vector<std::size_t> cached_mget_lookup(CacheStore* store, const Config& node, const Cmd& cmd,
                                            std::vector<std::optional<std::string>>& out, JobSetup& setup) {
  const std::vector<std::string_view> keys = cache_detail::keys_of(cmd);
  out.assign(keys.size(), std::nullopt);
  std::vector<std::size_t> missing;
  std::size_t hits = 0;
  thread_local std::string get;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (store) {
      get.clear();
      resp::Writer w(get);
      w.begin_command(2);
      w.arg(std::string_view{"GET"});
      w.arg(keys[i]);
      if (cache_detail::lookup(*store, get, out[i])) {
        ++hits;
        continue;
      }
    }
    missing.push_back(i);
  }
  if (store && observe::observed(node)) [[unlikely]] {
    if (hits) cache_detail::notify(node, CacheEvent::Kind::hit, hits);
    if (!missing.empty()) cache_detail::notify(node, CacheEvent::Kind::miss, missing.size());
  }
  if (missing.empty()) return missing;
  setup.bytes = exec::Bytes::pooled();
  {
    resp::Writer w(setup.bytes.buffer());
    w.begin_command(1 + missing.size());
    w.arg(std::string_view{"MGET"});
    for (std::size_t i : missing) w.arg(keys[i]);
  }
  setup.flags = Cmd::info.flags;
  setup.info = &Cmd::info;
  setup.command = Cmd::info.name;
  if (observe::observed(node)) [[unlikely]] {
    const observe::Arguments args(setup.bytes.view());
    setup.extra().probe.start(node, observe::Shape{setup.command, setup.info, 1, setup.flags}, args, false);
  }
  return missing;
}

/// The fetched values of an MGET's misses put in their places.
inline void merge_mget(std::vector<std::optional<std::string>>& out, const std::vector<std::size_t>& missing,
                       std::vector<std::optional<std::string>>& fetched) {
  for (std::size_t j = 0; j < missing.size() && j < fetched.size(); ++j) out[missing[j]] = std::move(fetched[j]);
}

/// One initiation for a cached read's every path, so that every token
/// (deferred ones included) sees one operation type: a hit is posted to the
/// handler's executor, a miss starts its job.
template <class R, bool Throws>
struct LaunchCached {
  /// Posts `hit` to the handler's executor when there is one; otherwise
  /// starts `setup`'s job on `router`.
  template <class Handler>
  void operator()(Handler&& handler, Router* router, JobSetup setup, Diagnostics* diag, std::optional<R> hit) const {
    if (hit)
      return cache_detail::PostHit<R, Throws>{}(std::forward<Handler>(handler), router->get_executor(),
                                                std::move(*hit));
    start_job<R, Throws>(*router, std::forward<Handler>(handler), std::move(setup), diag);
  }
};

/// The same for MGET: every key a hit posts the values; otherwise the misses'
/// MGET runs and its values are merged with the hits, in key order.
template <bool Throws>
struct LaunchCachedMget {
  /// MGET's result: one value per key, in key order.
  using R = std::vector<std::optional<std::string>>;
  /// Posts `partial` when no key is `missing`; otherwise starts `setup`'s
  /// MGET and completes with its values merged into `partial`.
  template <class Handler>
  void operator()(Handler&& handler, Router* router, JobSetup setup, Diagnostics* diag, R partial,
                  std::vector<std::size_t> missing) const {
    if (missing.empty())
      return cache_detail::PostHit<R, Throws>{}(std::forward<Handler>(handler), router->get_executor(),
                                                std::move(partial));
    auto ex = asio::get_associated_executor(handler, router->get_executor());
    auto merge = [h = std::forward<Handler>(handler), partial = std::move(partial),
                  missing = std::move(missing)](auto failure, R fetched) mutable {
      if (failure) return std::move(h)(failure, R{});
      merge_mget(partial, missing, fetched);
      std::move(h)(failure, std::move(partial));
    };
    start_job<R, Throws>(*router, asio::bind_executor(ex, std::move(merge)), std::move(setup), diag);
  }
};

}  // namespace valkey::cluster
