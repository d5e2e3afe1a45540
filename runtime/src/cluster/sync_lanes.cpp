#include <valkey/cluster/sync_lanes.hpp>

#include <chrono>
#include <utility>

#include "sync/pick_lane.hpp"

namespace valkey::cluster {

SyncLane::SyncLane(const ClusterConfig& config, std::function<void()> on_change)
    : router(Router::create(driver.context().get_executor(), config)) {
  driver.attach(*router);
  router->set_single_reactor(true);  // only the driver runs the context
  if (on_change) router->set_change_listener(std::move(on_change));
  // The topology is read in the background, before the lane's first call.
  driver.post([r = router] { r->request_refresh(); });
}

SyncLane::~SyncLane() {
  driver.stop();  // from here on only this thread runs the context
  router.reset();
  driver.finish();  // until every request, connection and timer finished
}

void SyncLane::close() {
  router->close();  // posted to the context
  driver.kick();
}

SyncLanes::SyncLanes(const ClusterConfig& config) : config_(config) {
  // One store for a client-side cache (ClusterConfig::node.cache), which
  // one router owns: a cached client keeps to one lane.
  limit_ = config_.node.cache ? 1 : config_.node.max_connections;
  if (limit_ == 0 || limit_ > max_lanes) limit_ = 1;  // a bad value fails in Router::create() below
  lanes_[0] = std::make_unique<SyncLane>(config_, [this] { refresh_others(); });
  count_.store(1, std::memory_order_release);
  // The lanes opened later leave the periodic check to the first one.
  config_.topology_check_interval = std::chrono::milliseconds(0);
}

// On the first lane's driving thread. Under mu_: close() (which the
// destructor calls before any lane goes) cannot finish meanwhile, so every
// lane counted here is alive.
void SyncLanes::refresh_others() {
  std::lock_guard lk(mu_);
  if (closed_) return;
  const std::size_t n = count_.load(std::memory_order_relaxed);
  for (std::size_t i = 1; i < n; ++i) {
    SyncLane& lane = *lanes_[i];
    lane.driver.post([r = lane.router] { r->request_refresh(); });
    lane.driver.kick();  // a lane nobody calls runs it on its internal thread
  }
}

SyncLanes::~SyncLanes() {
  close();
  // Each lane's destructor runs its context until its work finished.
  const std::size_t n = count_.load(std::memory_order_acquire);
  for (std::size_t i = n; i-- > 0;) lanes_[i].reset();
}

SyncLane& SyncLanes::enter() {
  SyncLane& lane = pick();
  lane.callers.fetch_add(1, std::memory_order_relaxed);
  return lane;
}

// A lane no other caller is in, else a new one while there are fewer than
// the limit, else the least busy (sync/pick_lane.hpp).
SyncLane& SyncLanes::pick() {
  const std::size_t n = count_.load(std::memory_order_acquire);
  auto callers = [](const SyncLane& l) { return l.callers.load(std::memory_order_relaxed); };
  return valkey::detail::pick_lane(lanes_.data(), n, callers, [&](std::size_t& at) -> SyncLane* {
    if (n >= limit_) return nullptr;
    std::lock_guard lk(mu_);
    at = count_.load(std::memory_order_relaxed);
    if (closed_ || at >= limit_) return nullptr;
    lanes_[at] = std::make_unique<SyncLane>(config_);
    count_.store(at + 1, std::memory_order_release);
    return lanes_[at].get();
  });
}

void SyncLanes::close() {
  std::size_t n;
  {
    std::lock_guard lk(mu_);
    closed_ = true;
    n = count_.load(std::memory_order_relaxed);
  }
  for (std::size_t i = 0; i < n; ++i) lanes_[i]->close();
}

ClusterStats SyncLanes::stats() const noexcept {
  ClusterStats sum;
  const std::size_t n = count_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n; ++i) {
    const SyncLane& lane = *lanes_[i];
    const ClusterStats s = lane.router->stats();
    sum.refreshes += s.refreshes;
    sum.refresh_queries += s.refresh_queries;
    sum.moved += s.moved;
    sum.ask += s.ask;
    sum.retries += s.retries;
    sum.redirect_limits_hit += s.redirect_limits_hit;
    sum.retry_budget_exhausted += s.retry_budget_exhausted;
    sum.handed_over_calls += lane.driver.handed_over_calls();
    sum.internal_drives += lane.driver.internal_drives();
    sum.direct_waits += lane.driver.direct_waits();
  }
  sum.lanes = n;
  return sum;
}

}  // namespace valkey::cluster
