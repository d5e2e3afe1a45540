#pragma once
/// \class valkey::AsyncClusterClient
/// The asynchronous client of a Valkey Cluster, with the API and completion
/// tokens of AsyncClient.
///
/// \code
///   valkey::AsyncClusterClient c{ex, "valkey://127.0.0.1:7000,127.0.0.1:7001"};
///   auto v = co_await c.get("k", asio::use_awaitable);              // routed by slot
///   auto vs = co_await c.mget({"a", "b", "c"}, asio::use_awaitable); // split per slot, key order
///   std::int64_t n = co_await c.dbsize(asio::use_awaitable);        // every primary, summed
///   valkey::PerNode<std::string> i = co_await c.info(asio::use_awaitable);  // one per primary
/// \endcode
///
/// One Connection per node (made on first use). The topology comes from the
/// seeds (CLUSTER SHARDS, CLUSTER SLOTS on servers without it); requests
/// issued before it arrived wait for it. Routing, splitting, redirections and
/// retries: docs/cluster.md.
///
/// `exec(cmd, [diag,] token)` and `call(args, [diag,] token)` come from
/// exec::Executor; the generated methods call exec.
///
/// pipeline() (BatchStarters) and `valkey::Batch<AsyncClusterClient>`: every
/// command routed on its own, all of one node's in one write, the replies
/// in command order. A command for several nodes (a split MGET, DBSIZE) is
/// split or fanned out as when sent alone, its combined reply in its place;
/// a blocking one runs on a leased connection as when sent alone (not
/// ordered with the others); a refused one gets an error reply there.
/// transaction(): MULTI ... EXEC on the owner of its keys' slot (keys in
/// several slots: errc::cross_slot before sending);
/// `valkey::watch(client, keys, token)` (cluster_watch.hpp) for optimistic
/// locking.
///
/// Per-node access (call_on, call_on_primaries, call_on_all_nodes,
/// exec_on, exec_on_primaries, exec_on_all_nodes) comes from
/// cluster::NodeAccess (node_access.hpp), with this client's tails.
///
/// Threading: call it from its executor (an io_context run by one thread, or
/// a strand), like AsyncClient. stats() may be read from any thread.
#include <chrono>
#include <concepts>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/any_io_executor.hpp>

#include <valkey/cache/cached.hpp>
#include <valkey/cache/cached_async.hpp>
#include <valkey/cache/store.hpp>
#include <valkey/cluster/cached.hpp>
#include <valkey/cluster/cluster_config.hpp>
#include <valkey/cluster/node_access.hpp>
#include <valkey/cluster/per_node.hpp>
#include <valkey/cluster/router.hpp>
#include <valkey/cluster/run.hpp>
#include <valkey/cluster/scan_all.hpp>
#include <valkey/batch_starters.hpp>
#include <valkey/exec/call_options.hpp>
#include <valkey/exec/executor.hpp>
#include <valkey/exec/with.hpp>
#include <valkey/export.hpp>
#include <valkey/pipeline.hpp>
#include <valkey/transaction.hpp>
#include <valkey/reply.hpp>
#include <valkey/view.hpp>

#include <valkey/exec/generated_methods.hpp>

namespace valkey {

class VALKEY_CPP_EXPORT AsyncClusterClient : public exec::Executor<AsyncClusterClient>,
                           public BatchStarters<AsyncClusterClient>,
                      public cluster::NodeAccess<AsyncClusterClient>
#ifdef VALKEY_HAS_COMMANDS
    , public Commands<AsyncClusterClient>
#endif
{
 public:
  /// The executor the client's connections and completions run on.
  using executor_type = asio::any_io_executor;
  /// Marks the client as an asynchronous cluster executor (exec::dispatch).
  using executor_category = cluster::async_cluster_executor;

  /// Starts asking the seeds for the topology right away.
  AsyncClusterClient(executor_type ex, ClusterConfig config);
  /// The same with ClusterConfig::from_url(url) (throws valkey::Error with
  /// errc::invalid_url).
  AsyncClusterClient(executor_type ex, std::string_view url);
  /// Closes: pending requests complete with errc::connection_closed.
  ~AsyncClusterClient();
  /// Takes over the other client's connections and topology.
  AsyncClusterClient(AsyncClusterClient&&) noexcept = default;
  /// Closes this client, then takes over the other's connections and topology.
  AsyncClusterClient& operator=(AsyncClusterClient&&) noexcept;

  /// The executor given at construction.
  executor_type get_executor() const noexcept { return router_->get_executor(); }
  /// The configuration the client was made with.
  const ClusterConfig& config() const noexcept { return router_->config(); }

  /// For valkey::Batch and pipeline() on this client: a typed command's slot,
  /// found as the command is added, so the router does not parse the batch
  /// back (exec/command_mark.hpp).
  template <class Plan>
  static exec::CommandMark batch_mark(const Plan& plan) noexcept {
    return cluster::command_mark(plan);
  }

  /// Calls with per-call options: a timeout, a retry policy, idempotent, a
  /// database (exec/call_options.hpp). The handle is an executor like the
  /// client (pipelines and transactions included) and holds a reference to it:
  /// \code
  ///   db.with({.timeout = 50ms}).get("k");
  ///   db.database(2).set("k", "v");   // Valkey 9 with cluster-databases > 2
  /// \endcode
  /// Per-node access and watch() stay on the client itself.
  With<AsyncClusterClient> with(exec::CallOptions options) { return With<AsyncClusterClient>(*this, std::move(options)); }
  /// Calls in database `n` on every node (the node connections write SELECT
  /// when their database differs; a MOVED is followed in the same database).
  /// Needs servers with `cluster-databases` above n; others answer an error.
  With<AsyncClusterClient> database(std::int32_t n) { return with({.database = exec::checked_database(n)}); }

  /// Every key of the cluster (see ClusterClient::scan_all), completing with
  /// `void(std::error_code, std::vector<std::string>)`. The options are copied.
  template <class CompletionToken>
  auto scan_all(const ScanAllOptions& options, CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::error_code, std::vector<std::string>)>(
        [this](auto handler, ScanAllOptions o) {
          using Op = cluster::ScanAllOp<std::decay_t<decltype(handler)>>;
          std::make_shared<Op>(router_, std::move(handler), o)->start();
        },
        token, options);
  }
  /// The same scan, streamed: `on_page(std::vector<std::string>& keys)` runs on
  /// the client's executor with each page's keys as they arrive (never an
  /// empty page; the keys may be moved out), before the scan asks for the
  /// next, and may return bool: false stops the scan, nothing more is asked.
  /// Completes with `void(std::error_code)` once the scan ended (stopped: no
  /// error); cancellation as for the collecting form, the pages already
  /// handed over staying handed over. A key present for the whole scan comes
  /// at least once, but may come more than once (docs/cluster.md,
  /// "Scanning"). on_page should not throw: an exception from it ends the
  /// scan and leaves the executor's run(), the completion never called.
  template <class OnPage, class CompletionToken>
    requires std::invocable<std::decay_t<OnPage>&, std::vector<std::string>&>
  auto scan_all(const ScanAllOptions& options, OnPage&& on_page, CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::error_code)>(
        [this](auto handler, ScanAllOptions o, auto f) {
          using Sink = cluster::CallPages<decltype(f)>;
          using Op = cluster::ScanAllOp<std::decay_t<decltype(handler)>, Sink>;
          std::make_shared<Op>(router_, std::move(handler), o, Sink{std::move(f)})->start();
        },
        token, options, std::decay_t<OnPage>(std::forward<OnPage>(on_page)));
  }

  /// The nodes of the current topology with their roles and slots (empty
  /// until the first topology arrived).
  std::vector<cluster::NodeDescription> nodes() const { return router_->nodes(); }
  /// The client's counters; readable from any thread.
  ClusterStats stats() const noexcept { return router_->stats(); }
  /// Closes every node connection for good.
  void close();

  /// Client-side caching (ClusterConfig::node.cache; docs/caching.md,
  /// "Cluster"): as on ClusterClient. A hit completes through a post to the
  /// handler's executor, never inside the call.
  /// \code
  ///   auto v = co_await c.cached(5s).get("k", asio::use_awaitable);
  /// \endcode
  Cached<AsyncClusterClient> cached(std::chrono::milliseconds ttl = std::chrono::milliseconds(0)) noexcept {
    return {*this, ttl};
  }
  /// The cache's counters (all zero without a cache).
  CacheStats cache_stats() const { return cache() ? cache()->stats() : CacheStats{}; }
  /// Drops every cached entry (FlushReason::user); no effect without a cache.
  void flush_cache() {
    if (CacheStore* s = cache()) s->flush_all(FlushReason::user);
  }
  /// The store shared by the node connections; null without a cache.
  CacheStore* cache() const noexcept { return router_->cache(); }

  /// The entry of `Cached<AsyncClusterClient>` (internal): the client has its
  /// own cached read path.
  using runs_cached_reads = void;
  /// A read of `cmd` through the cache, completing through `token` (internal:
  /// called by `Cached<AsyncClusterClient>`).
  template <class Cmd, class Token>
    requires(!std::is_same_v<std::remove_cvref_t<Token>, Diagnostics>)
  auto exec_cached(std::chrono::milliseconds ttl, const Cmd& cmd, Token&& token) {
    return cached_read(ttl, cmd, nullptr, std::forward<Token>(token));
  }
  /// The same, filling `diag` on failure (internal).
  template <class Cmd, class Token>
  auto exec_cached(std::chrono::milliseconds ttl, const Cmd& cmd, Diagnostics& diag, Token&& token) {
    return cached_read(ttl, cmd, &diag, std::forward<Token>(token));
  }

  /// The routing core (internal: ClusterSubscriber shares it).
  const std::shared_ptr<cluster::Router>& router() const noexcept { return router_; }

  /// The entry of exec::dispatch (internal): runs `plan`, completing through
  /// `token`.
  template <class R, class Plan, class Token>
    requires(!std::is_same_v<std::remove_cvref_t<Token>, Diagnostics>)
  auto run(Plan&& plan, cluster::Target target, Token&& token) {
    return cluster::run_async<R>(*router_, std::forward<Plan>(plan), target, nullptr, std::forward<Token>(token));
  }
  /// The same, filling `diag` on failure (internal).
  template <class R, class Plan, class Token>
  auto run(Plan&& plan, cluster::Target target, Diagnostics& diag, Token&& token) {
    return cluster::run_async<R>(*router_, std::forward<Plan>(plan), target, &diag, std::forward<Token>(token));
  }

 private:
  template <class Cmd, class Token>
  auto cached_read(std::chrono::milliseconds ttl, const Cmd& cmd, Diagnostics* diag, Token&& token) {
    using Tok = std::decay_t<Token>;
    constexpr bool throws = exec::throws_v<Tok>;
    static_assert(!exec::is_use_future_v<Tok>, "cached(): use a handler, use_awaitable or deferred (not use_future)");
    CacheStore* store = cache();
    const Config& node = router_->config().node;
    cluster::JobSetup setup;
    exec::clear(diag);
    if constexpr (CacheableCommand<Cmd>) {
      using R = typename Cmd::reply_type;
      std::optional<R> hit;
      if (!store) {
        setup = cluster::make_setup(exec::CommandPlan<Cmd>{cmd}, cluster::Target{}, node);
      } else {
        R out{};
        if (cluster::cached_lookup(*store, node, ttl, cmd, out, setup)) hit.emplace(std::move(out));
      }
      return asio::async_initiate<Token, exec::signature_t<Token, R>>(cluster::LaunchCached<R, throws>{}, token,
                                                                       router_.get(), std::move(setup), diag,
                                                                       std::move(hit));
    } else {
      using R = std::vector<std::optional<std::string>>;
      R out;
      std::vector<std::size_t> missing = cluster::cached_mget_lookup(store, node, cmd, out, setup);
      return asio::async_initiate<Token, exec::signature_t<Token, R>>(cluster::LaunchCachedMget<throws>{}, token,
                                                                       router_.get(), std::move(setup), diag,
                                                                       std::move(out), std::move(missing));
    }
  }

  std::shared_ptr<cluster::Router> router_;
};

namespace exec {

/// Runs `plan` on an AsyncClusterClient, routed by its topology, completing
/// through `token` (internal: the tail of exec() and call()).
template <executor_of<cluster::async_cluster_executor> T, class Plan, class Token>
  requires(!std::is_same_v<std::remove_cvref_t<Token>, Diagnostics>)
decltype(auto) dispatch(T& t, Plan&& plan, Token&& token) {
  return t.template run<cluster::result_t<Plan>>(std::forward<Plan>(plan), cluster::Target{},
                                                 std::forward<Token>(token));
}
/// The same, filling `diag` on failure (internal).
template <executor_of<cluster::async_cluster_executor> T, class Plan, class Token>
decltype(auto) dispatch(T& t, Plan&& plan, Diagnostics& diag, Token&& token) {
  return t.template run<cluster::result_t<Plan>>(std::forward<Plan>(plan), cluster::Target{}, diag,
                                                 std::forward<Token>(token));
}

}  // namespace exec

}  // namespace valkey

#include <valkey/cluster/cluster_watch.hpp>  // valkey::watch(AsyncClusterClient&, ...)
