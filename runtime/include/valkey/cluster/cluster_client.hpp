#pragma once
/// \class valkey::ClusterClient
/// The synchronous client of a Valkey Cluster, with the API of Client.
///
/// \code
///   valkey::ClusterClient db{"valkey://127.0.0.1:7000,127.0.0.1:7001"};
///   db.set("k", "v");
///   auto vs = db.mget({"a", "b", "c"});            // split by slot, answers in key order
///   std::int64_t n = db.dbsize();                  // every primary, summed
///   valkey::PerNode<std::string> i = db.info();    // one answer per primary
/// \endcode
///
/// `exec(cmd[, ec[, diag]])` and `call(args[, ec[, diag]])` come from
/// exec::Executor; the generated methods call exec. Without `ec` a failure
/// throws valkey::ServerError / valkey::Error.
///
/// pipeline() (BatchStarters) and `valkey::Batch<ClusterClient>`: every
/// command routed on its own, all of one node's in one write, the replies
/// in command order. A command for several nodes (a split MGET, DBSIZE) is
/// split or fanned out as when sent alone, its combined reply in its place;
/// a blocking one runs on a leased connection as when sent alone (not
/// ordered with the others); a refused one gets an error reply there.
/// transaction(): MULTI ... EXEC on the owner of its keys' slot (keys in
/// several slots: errc::cross_slot before sending); watch() for optimistic
/// locking.
///
/// Per-node access (call_on, call_on_primaries, call_on_all_nodes,
/// exec_on, exec_on_primaries, exec_on_all_nodes) comes from
/// cluster::NodeAccess (node_access.hpp), with this client's tails.
///
/// Design: the routing, the node connections and the topology (the same
/// Router as AsyncClusterClient's) run on an io_context that the calling
/// threads drive themselves, one at a time (cluster::SyncDriver): a call
/// encodes its command on the calling thread into a job in its own frame
/// (cluster::WaitingJob) and, when nobody else drives, hands it to the router
/// and reads the reply on its own thread, with no hand-off and no allocation.
/// Threads that call at the same time get routers of their own, each with a
/// connection per node, up to ClusterConfig::node.max_connections (4) of them
/// (cluster::SyncLanes); past that, a call that finds another thread driving
/// leaves its job to that thread and sleeps until it is answered. One
/// internal thread per router drives when nobody calls (timers, a refresh in
/// flight). Any number of threads may call one ClusterClient at once. Do not
/// call it from inside its own completion path (there is none exposed, so
/// only a Logger or an Observer hook calling back would).
#include <concepts>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <valkey/cache/cached.hpp>
#include <valkey/cache/store.hpp>
#include <valkey/cluster/cached.hpp>
#include <valkey/cluster/cluster_config.hpp>
#include <valkey/cluster/node_access.hpp>
#include <valkey/cluster/per_node.hpp>
#include <valkey/cluster/router.hpp>
#include <valkey/cluster/run.hpp>
#include <valkey/cluster/scan_all.hpp>
#include <valkey/cluster/sync_driver.hpp>
#include <valkey/cluster/sync_lanes.hpp>
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

class VALKEY_CPP_EXPORT ClusterClient : public exec::Executor<ClusterClient>,
                      public BatchStarters<ClusterClient>,
                      public cluster::NodeAccess<ClusterClient>
#ifdef VALKEY_HAS_COMMANDS
    , public Commands<ClusterClient>
#endif
{
 public:
  /// Marks the client as a synchronous cluster executor (exec::dispatch).
  using executor_category = cluster::sync_cluster_executor;

  /// Starts reading the topology from the seeds in the background; calls
  /// made before it arrives wait for it.
  explicit ClusterClient(ClusterConfig config);
  /// The same with ClusterConfig::from_url(url) (throws valkey::Error with
  /// errc::invalid_url).
  explicit ClusterClient(std::string_view url);
  /// Closes: calls in progress on other threads fail with connection_closed.
  ~ClusterClient();
  ClusterClient(const ClusterClient&) = delete;
  ClusterClient& operator=(const ClusterClient&) = delete;

  /// The configuration the client was made with.
  const ClusterConfig& config() const noexcept { return lanes_.first().router->config(); }

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
  With<ClusterClient> with(exec::CallOptions options) { return With<ClusterClient>(*this, std::move(options)); }
  /// Calls in database `n` on every node (the node connections write SELECT
  /// when their database differs; a MOVED is followed in the same database).
  /// Needs servers with `cluster-databases` above n; others answer an error.
  With<ClusterClient> database(std::int32_t n) { return with({.database = exec::checked_database(n)}); }

  /// The nodes of the current topology, with their roles and slots (waits for
  /// the first topology; throws when no seed answers).
  std::vector<cluster::NodeDescription> nodes();

  /// Every key of the cluster, each once: CLUSTERSCAN where the server has it
  /// (one cursor, each page at the owner of the slot it names), else SCAN on
  /// the primaries with a record of the slots each walk covered, walking again
  /// what a migration or a failover left uncovered (docs/cluster.md,
  /// "Scanning"). A key present for the whole scan is returned. Throws
  /// errc::cluster_down when slots stay uncovered for options.max_stall.
  std::vector<std::string> scan_all(const ScanAllOptions& options = {});
  /// The same scan, streamed: `on_page(std::vector<std::string>& keys)` runs on
  /// the calling thread with each page's keys as they arrive (never an empty
  /// page; the keys may be moved out), and may return bool: false stops the
  /// scan, nothing more is asked. Returns once the scan ended; throws what the
  /// collecting form throws, after the pages read before the failure. An
  /// exception from on_page stops the scan and leaves this call. A key
  /// present for the whole scan comes at least once, but may come more than
  /// once (a page read again, slots walked again). The scan reads at most
  /// cluster::PageStream::max_buffered pages ahead of on_page, then waits.
  /// \code
  ///   db.scan_all({.match = "user:*", .count = 500}, [&](std::vector<std::string>& keys) { ... });
  /// \endcode
  template <class F>
    requires std::invocable<F&, std::vector<std::string>&>
  void scan_all(const ScanAllOptions& options, F&& on_page) {
    cluster::SyncLane& lane = lanes_.first();
    cluster::PageStream pages(lane.router, lane.driver, options);  // its destructor stops a scan still running
    cluster::CallPages<F&> call{on_page};
    std::vector<std::string> keys;
    while (pages.next(keys))
      if (call.take(keys) == cluster::PageTaken::stop) return;
  }
  /// The client's counters: every router's, the synchronous drivers' included.
  ClusterStats stats() const noexcept { return lanes_.stats(); }
  /// Closes every node connection for good: calls in progress and later
  /// calls fail with errc::connection_closed.
  void close();

  /// Client-side caching (ClusterConfig::node.cache; docs/caching.md,
  /// "Cluster"): every node connection tracks into one store. cached(ttl) is
  /// the cached command surface: `db.cached(5s).get("k")` answers a hit without
  /// a round trip; a miss reads from the key's primary and is stored. Without
  /// a cache it reads from the server.
  Cached<ClusterClient> cached(std::chrono::milliseconds ttl = std::chrono::milliseconds(0)) noexcept {
    return {*this, ttl};
  }
  /// The cache's counters (all zero without a cache).
  CacheStats cache_stats() const { return cache() ? cache()->stats() : CacheStats{}; }
  /// Drops every cached entry (FlushReason::user); no effect without a cache.
  void flush_cache() {
    if (CacheStore* s = cache()) s->flush_all(FlushReason::user);
  }
  /// The store shared by the node connections; null without a cache.
  CacheStore* cache() const noexcept { return lanes_.first().router->cache(); }

  /// The entry of `Cached<ClusterClient>` (internal): the client has its own
  /// cached read path.
  using runs_cached_reads = void;
  /// A read of `cmd` through the cache, throwing on failure (internal: called
  /// by `Cached<ClusterClient>`).
  template <class Cmd>
  decltype(auto) exec_cached(std::chrono::milliseconds ttl, const Cmd& cmd) {
    return cached_read(ttl, cmd, nullptr, nullptr);
  }
  /// The same, reporting a failure in `ec` (internal).
  template <class Cmd>
  decltype(auto) exec_cached(std::chrono::milliseconds ttl, const Cmd& cmd, std::error_code& ec) {
    return cached_read(ttl, cmd, &ec, nullptr);
  }
  /// The same, reporting a failure in `ec` and `diag` (internal).
  template <class Cmd>
  decltype(auto) exec_cached(std::chrono::milliseconds ttl, const Cmd& cmd, std::error_code& ec, Diagnostics& diag) {
    return cached_read(ttl, cmd, &ec, &diag);
  }

  /// WATCH `keys` (all in one slot) on a connection of its own to the slot's
  /// owner (a valkey::Watch there): reads through its methods, then
  /// multi()...exec(), errc::exec_aborted when a key changed. Keys in several
  /// slots: throws errc::cross_slot before anything is sent.
  Watch watch(Strings keys);

  /// The entry of exec::dispatch (internal): runs `plan`, throwing on failure.
  template <class R, class Plan>
  decltype(auto) run(Plan&& plan, cluster::Target target) {
    return wait_for<R>(std::forward<Plan>(plan), target, nullptr, nullptr);
  }
  /// The same, reporting a failure in `ec` (internal).
  template <class R, class Plan>
  decltype(auto) run(Plan&& plan, cluster::Target target, std::error_code& ec) {
    return wait_for<R>(std::forward<Plan>(plan), target, &ec, nullptr);
  }
  /// The same, reporting a failure in `ec` and `diag` (internal).
  template <class R, class Plan>
  decltype(auto) run(Plan&& plan, cluster::Target target, std::error_code& ec, Diagnostics& diag) {
    return wait_for<R>(std::forward<Plan>(plan), target, &ec, &diag);
  }

 private:
  template <class R, class Plan>
  auto wait_for(Plan&& plan, cluster::Target target, std::error_code* ec, Diagnostics* diag) {
    using Decoder = std::conditional_t<cluster::is_batch_plan_v<std::remove_cvref_t<Plan>>,
                                       cluster::batch_decoder_t<Plan>, void>;
    return wait_setup<R, Decoder>(cluster::make_setup(std::forward<Plan>(plan), target, config().node), ec, diag);
  }

  // Runs the job on a lane and hands out its value (nothing for Ok). Without
  // `ec` a failure throws (ServerError, Error); with it, `ec` (and `diag`)
  // are filled and a failure yields a default value. The job decodes into
  // its own value and fills the caller's `diag`: nothing else is built or
  // moved per call.
  template <class R, class Decoder = void>
  auto wait_setup(cluster::JobSetup&& setup, std::error_code* ec, Diagnostics* diag) {
    std::exception_ptr failure;
    const cluster::LaneCall call(lanes_);  // left after the job ended
    cluster::WaitingJob<R, Decoder> job(diag, call.lane().driver, ec ? nullptr : &failure);
    job.adopt(std::move(setup));
    job.run();
    if (failure) [[unlikely]]
      std::rethrow_exception(failure);
    if (ec) *ec = job.error();
    if constexpr (!std::is_same_v<R, Ok>) return job.take();
  }

  // A read through the cache (cluster/cached.hpp): a hit answers here, a
  // miss waits for its job like any call.
  template <class Cmd>
  auto cached_read(std::chrono::milliseconds ttl, const Cmd& cmd, std::error_code* ec, Diagnostics* diag) {
    using R = std::conditional_t<CacheableCommand<Cmd>, typename Cmd::reply_type,
                                 std::vector<std::optional<std::string>>>;
    CacheStore* store = cache();
    const Config& node = config().node;
    if constexpr (CacheableCommand<Cmd>) {
      if (!store) return wait_for<R>(exec::CommandPlan<Cmd>{cmd}, cluster::Target{}, ec, diag);
      R out{};
      cluster::JobSetup setup;
      if (cluster::cached_lookup(*store, node, ttl, cmd, out, setup)) {
        if (ec) ec->clear();
        exec::clear(diag);
        return out;
      }
      return wait_setup<R>(std::move(setup), ec, diag);
    } else {
      R out;
      cluster::JobSetup setup;
      const std::vector<std::size_t> missing = cluster::cached_mget_lookup(store, node, cmd, out, setup);
      if (missing.empty()) {
        if (ec) ec->clear();
        exec::clear(diag);
        return out;
      }
      R fetched = wait_setup<R>(std::move(setup), ec, diag);
      if (ec && *ec) return R{};
      cluster::merge_mget(out, missing, fetched);
      return out;
    }
  }

  cluster::SyncLanes lanes_;
};

namespace exec {

/// Runs `plan` on a ClusterClient, routed by its topology (internal: the tail
/// of exec() and call() without `ec`).
template <executor_of<cluster::sync_cluster_executor> T, class Plan>
decltype(auto) dispatch(T& t, Plan&& plan) {
  return t.template run<cluster::result_t<Plan>>(std::forward<Plan>(plan), cluster::Target{});
}
/// The same, reporting a failure in `ec` (internal).
template <executor_of<cluster::sync_cluster_executor> T, class Plan>
decltype(auto) dispatch(T& t, Plan&& plan, std::error_code& ec) {
  return t.template run<cluster::result_t<Plan>>(std::forward<Plan>(plan), cluster::Target{}, ec);
}
/// The same, reporting a failure in `ec` and `diag` (internal).
template <executor_of<cluster::sync_cluster_executor> T, class Plan>
decltype(auto) dispatch(T& t, Plan&& plan, std::error_code& ec, Diagnostics& diag) {
  return t.template run<cluster::result_t<Plan>>(std::forward<Plan>(plan), cluster::Target{}, ec, diag);
}

}  // namespace exec

}  // namespace valkey
