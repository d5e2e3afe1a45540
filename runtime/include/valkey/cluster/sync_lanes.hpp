#pragma once
// The routers of a sync ClusterClient: one "lane" (a Router with its own
// connection to each node, and the SyncDriver its calling threads share)
// per thread that calls at the same time as others, up to
// ClusterConfig::node.max_connections, as the single-node Client keeps one
// connection per lane (docs/cluster.md, "Threads").
//
// A thread that finds the first lane free uses it: a sequential caller's
// calls all go over one connection per node. A thread that finds every open
// lane busy opens another (which reads its own topology, as a second client
// would), or joins the lane with the fewest callers once the limit is
// reached; a thread keeps to the lane it used last while that one is free.
// So threads that call at once rarely wait on each other, where sharing one
// driver made each call sleep and be woken by whoever drove.
//
// Only the first lane runs the periodic topology check
// (ClusterConfig::topology_check_interval); when it finds a change, every
// other lane refreshes too. So a client asks as few topology questions in
// steady load with four lanes as with one, and no lane misses a change that
// came without an error to show it (a replica added, a node gone). Between
// checks each lane still follows its own MOVED, lost connections and
// CLUSTERDOWN.
#include <array>
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>

#include <valkey/cluster/cluster_config.hpp>
#include <valkey/cluster/router.hpp>
#include <valkey/cluster/sync_driver.hpp>
#include <valkey/export.hpp>

namespace valkey::cluster {

// A router, its node connections and topology, and the driver of the
// io_context they run on.
struct VALKEY_CPP_EXPORT SyncLane {
  // `on_change`: the router's change listener (Router::set_change_listener()).
  explicit SyncLane(const ClusterConfig& config, std::function<void()> on_change = {});
  // Stops the driver, drops the router and runs the context until every
  // request, connection and timer finished (close() first).
  ~SyncLane();
  SyncLane(const SyncLane&) = delete;
  SyncLane& operator=(const SyncLane&) = delete;

  // Closes the router's connections (posted to the driver): pending calls
  // fail with connection_closed.
  void close();

  SyncDriver driver;  // before router: the router's executor is its context
  std::shared_ptr<Router> router;
  std::atomic<std::size_t> callers{0};  // calls in progress on this lane
};

class VALKEY_CPP_EXPORT SyncLanes {
 public:
  // Opens the first lane, which starts reading the topology.
  explicit SyncLanes(const ClusterConfig& config);
  ~SyncLanes();
  SyncLanes(const SyncLanes&) = delete;
  SyncLanes& operator=(const SyncLanes&) = delete;

  // The first lane: the one per-client work runs on (nodes(), scan_all(),
  // watch(), the cache).
  SyncLane& first() const noexcept { return *lanes_[0]; }
  // A lane for one call, counted in its callers until leave().
  SyncLane& enter();
  static void leave(SyncLane& lane) noexcept { lane.callers.fetch_sub(1, std::memory_order_relaxed); }
  // Closes every lane; no lane opens after it.
  void close();
  // Every lane's router and driver counters, added up.
  ClusterStats stats() const noexcept;

  static constexpr std::size_t max_lanes = 64;

 private:
  SyncLane& pick();
  // The first lane's periodic check found a change: the other lanes refresh.
  void refresh_others();

  ClusterConfig config_;  // for the lanes opened later (no periodic check of their own)
  std::size_t limit_ = 1;
  std::array<std::unique_ptr<SyncLane>, max_lanes> lanes_;
  std::atomic<std::size_t> count_{0};
  std::mutex mu_;  // opening a lane, close()
  bool closed_ = false;
};

// A call's place on a lane, from enter() to the end of the scope.
class LaneCall {
 public:
  explicit LaneCall(SyncLanes& lanes) : lane_(lanes.enter()) {}
  ~LaneCall() { SyncLanes::leave(lane_); }
  LaneCall(const LaneCall&) = delete;
  LaneCall& operator=(const LaneCall&) = delete;
  SyncLane& lane() const noexcept { return lane_; }

 private:
  SyncLane& lane_;
};

}  // namespace valkey::cluster
