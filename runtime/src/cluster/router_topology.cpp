// The slot map: the first read from the seeds, refreshes (single-flight,
// on MOVED and on the periodic check), the queries to several nodes and the
// view adopted from their answers, the zones learnt from HELLO.
#include <valkey/cluster/router.hpp>

#include <algorithm>
#include <random>
#include <utility>

#include <asio/post.hpp>

#include <valkey/cluster/redirect.hpp>
#include <valkey/observe/probe.hpp>

#include "cluster/router_internal.hpp"
#include "detail/url_text.hpp"

namespace valkey::cluster {

namespace {

// The map with each node at the port this client connects to: a TLS client
// uses a node's tls-port where the topology names one (CLUSTER SHARDS lists
// both ports; CLUSTER SLOTS answers a TLS connection with TLS ports, and so
// does a MOVED). A node keeps both ports, so either still finds it.
SlotMap reached_by(SlotMap map, bool tls) {
  if (!tls) return map;
  auto differs = [](const Node& n) { return n.tls_port != 0 && n.tls_port != n.port; };
  bool any = false;
  for (const Shard& s : map.shards()) any = any || std::any_of(s.nodes.begin(), s.nodes.end(), differs);
  if (!any) return map;
  SlotMap out;
  for (const Shard& s : map.shards()) {
    Shard copy = s;
    for (Node& n : copy.nodes)
      if (n.tls_port != 0) n.port = n.tls_port;
    out.add_shard(std::move(copy));
  }
  for (std::size_t i = 0; i < map.shards().size(); ++i)
    for (const SlotRange r : map.ranges(i)) out.assign(r, i);
  return out;
}

}  // namespace

// One topology query (CLUSTER SHARDS, then CLUSTER SLOTS when the node does
// not know SHARDS) to one node.
struct Router::Query final : Built {
  using Built::Built;
  std::size_t index = 0;
  std::string host;
  std::uint16_t port = 0;
  std::shared_ptr<Connection> conn;
  bool slots = false;  // asked CLUSTER SLOTS

  void on_complete(std::error_code ec) override {
    // Kept for the call: what query_done() runs may let the router's other owners go.
    const std::shared_ptr<Router> hold = router.shared_from_this();
    router.query_done(*this, ec);
  }
};

void Router::request_refresh() { refresh(false); }

bool Router::owner_of(std::uint16_t slot, std::string& host, std::uint16_t& port) const {
  const Node* n = map_ ? map_->owner(slot) : nullptr;
  if (!n) return false;
  host = n->host;
  port = n->port;
  return true;
}

bool Router::reader_of(std::uint16_t slot, std::string& host, std::uint16_t& port, std::string_view avoid) {
  if (config_.read_from != ReadFrom::primary) {
    // pick_reader draws at random: a few draws to miss `avoid`.
    for (int draw = 0; draw < 4; ++draw) {
      const NodeHandle* n = pick_reader(slot);
      if (n == nullptr) break;
      if (!avoid.empty() && (*n)->name == avoid) continue;
      host = (*n)->host;
      port = (*n)->port;
      return true;
    }
  }
  return owner_of(slot, host, port);
}

void Router::when_ready(std::function<void(std::error_code)> f) {
  if (closed_) return asio::post(ex_, [f = std::move(f)] { f(make_error_code(errc::connection_closed)); });
  if (map_) return asio::post(ex_, [f = std::move(f)] { f({}); });
  ready_waiters_.push_back(std::move(f));
  if (!refreshing_) refresh(false);
}

void Router::wake_ready_waiters(std::error_code ec) {
  for (auto& f : ready_waiters_) asio::post(ex_, [f = std::move(f), ec] { f(ec); });
  ready_waiters_.clear();
}

void Router::refresh(bool periodic) {
  if (closed_) return;
  if (refreshing_) {
    // A bootstrap in flight already asks for everything there is to know.
    if (!periodic && map_) refresh_again_ = true;
    return;
  }
  const auto now = clock::now();
  if (!periodic && map_ && now - last_refresh_ < config_.min_refresh_interval) {
    if (!refresh_timer_armed_) {
      refresh_timer_armed_ = true;
      refresh_timer_.expires_at(last_refresh_ + config_.min_refresh_interval);
      refresh_timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
        auto self = weak.lock();
        if (!self) return;
        self->refresh_timer_armed_ = false;
        if (!ec) self->refresh(false);
      });
    }
    return;
  }
  refreshing_ = true;
  refresh_periodic_ = periodic && map_.has_value();
  last_refresh_ = now;
  refresh_seq_ = patch_seq_;

  std::vector<std::pair<std::string, std::uint16_t>> sources;
  if (map_) {
    // Primaries first: they own the slots, and a replica's view may lag
    // behind a slot that just moved.
    std::vector<std::pair<std::string, std::uint16_t>> replicas;
    for (const Shard& s : map_->shards())
      for (const Node& n : s.nodes)
        if (n.port != 0 && n.health != NodeHealth::failed)
          (n.role == NodeRole::primary ? sources : replicas).emplace_back(n.host, n.port);
    std::shuffle(sources.begin(), sources.end(), rng_);
    std::shuffle(replicas.begin(), replicas.end(), rng_);
    sources.insert(sources.end(), replicas.begin(), replicas.end());
    // Nodes whose connection is down last: their answer would be no answer.
    std::stable_partition(sources.begin(), sources.end(), [&](const auto& a) {
      auto it = conns_.find(valkey::detail::host_port(a.first, a.second));
      if (it == conns_.end()) return true;
      const ConnectionState st = it->second->state();
      return st != ConnectionState::reconnecting && st != ConnectionState::closed;
    });
    const std::size_t want = refresh_periodic_ ? 1 : std::max(1u, config_.refresh_sources);
    if (sources.size() > want) sources.resize(want);
  }
  if (sources.empty()) {
    for (const auto& s : config_.seeds) sources.emplace_back(s.host, s.port);
  }
  if (!refresh_periodic_) counters_.refreshes.fetch_add(1, std::memory_order_relaxed);
  views_.assign(sources.size(), std::nullopt);
  queries_left_ = sources.size();
  last_refresh_error_.clear();
  if (sources.empty()) {
    refreshing_ = false;
    if (!map_) bootstrap_failed("no seed nodes configured");
    return;
  }
  std::chrono::milliseconds limit = config_.bootstrap_timeout;
  if (limit.count() <= 0) limit = config_.node.connect_timeout + std::chrono::seconds(1);
  for (std::size_t i = 0; i < sources.size(); ++i) {
    auto* q = new Query(*this);
    keep(*q);
    q->index = i;
    q->host = sources[i].first;
    q->port = sources[i].second;
    q->conn = connection(q->host, q->port);
    q->deadline = now + limit;
    counters_.refresh_queries.fetch_add(1, std::memory_order_relaxed);
    std::error_code ec = q->conn->submit_encoded(*q, "*2\r\n$7\r\nCLUSTER\r\n$6\r\nSHARDS\r\n");
    if (ec) {
      // Completes like a failed query, but not inside this call.
      asio::post(ex_, [self = shared_from_this(), q, ec] { q->on_complete(ec); });
    }
  }
}

void Router::query_done(Query& q, std::error_code ec) {
  if (!ec && q.reply.is_error() && !q.slots && !closed_) {
    // A server without CLUSTER SHARDS (Redis 6 and older): ask CLUSTER SLOTS.
    q.slots = true;
    q.builder.reset();
    q.reply = Reply{};
    counters_.refresh_queries.fetch_add(1, std::memory_order_relaxed);
    ec = q.conn->submit_encoded(q, "*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n");
    if (!ec) return;  // still ours
    // Refused (the connection closed meanwhile): the refresh error names
    // why, not the parse of the empty reply.
  }
  if (!ec && !q.reply.is_error()) {
    const Source src{q.host, q.port};
    TopologyResult res = q.slots ? parse_cluster_slots(q.reply, src) : parse_cluster_shards(q.reply, src);
    if (res) views_[q.index] = reached_by(std::move(*res.map), config_.node.tls.enabled);
    else last_refresh_error_ = valkey::detail::host_port(q.host, q.port) + ": " + res.error;
  } else if (!ec) {
    last_refresh_error_ = valkey::detail::host_port(q.host, q.port) + ": " + std::string(q.reply.error_message());
  } else {
    const std::string& why = q.conn->last_error();
    last_refresh_error_ = valkey::detail::host_port(q.host, q.port) + ": " + (why.empty() ? ec.message() : why);
  }
  release(q);
  if (--queries_left_ > 0) return;
  refreshing_ = false;
  if (closed_) return;
  const bool periodic = refresh_periodic_;
  adopt(views_, periodic);
  if (refresh_again_ && map_) {
    refresh_again_ = false;
    refresh(false);
  } else if (!map_) {
    refresh_again_ = false;
  }
}

void Router::adopt(std::vector<std::optional<SlotMap>>& views, bool periodic) {
  // Zones learned from HELLO go into every view first, so that a view is
  // compared with the current map on what the sources say.
  if (!hello_zones_.empty()) [[unlikely]]
    for (auto& v : views)
      if (v) apply_hello_zones(*v);
  std::span<const std::optional<SlotMap>> all(views.data(), views.size());
  if (!map_) {
    std::optional<std::size_t> pick = majority_view(all, nullptr);
    if (!pick) {
      std::size_t best = 0;
      for (std::size_t i = 0; i < views.size(); ++i)
        if (views[i] && (!pick || views[i]->coverage() > best)) pick = i, best = views[i]->coverage();
    }
    if (!pick) return bootstrap_failed(last_refresh_error_);
    map_ = std::move(*views[*pick]);
    forget_shard_refs();
    if (config_.node.observer)
      observe::topology_changed(config_.node, {TopologyEvent::Kind::discovered, -1, {}, map_->shards().size()});
    prune_connections();
    connect_zoneless_replicas();
    arm_periodic();
    wake_ready_waiters({});
    while (!waiting_.empty()) {
      Job* j = waiting_.front();
      waiting_.pop_front();
      start(*j);
    }
    return;
  }
  if (periodic) {
    // One node's view: a difference starts a full refresh, which asks several.
    if (views.size() == 1 && views[0] && !(*views[0] == *map_)) {
      refresh_again_ = true;
      if (change_listener_) change_listener_();
    }
    return;
  }
  if (std::optional<std::size_t> pick = majority_view(all, &*map_)) {
    const bool changed = (config_.node.observer || cache_) && !(*views[*pick] == *map_);
    map_ = std::move(*views[*pick]);
    // A slot that changed owner (a migration, a failover): its cached keys
    // were tracked by a node that may no longer see their writes.
    if (changed && cache_) flush_cache(FlushReason::topology_changed);
    if (changed && config_.node.observer)
      observe::topology_changed(config_.node, {TopologyEvent::Kind::refreshed, -1, {}, map_->shards().size()});
    // MOVED replies that arrived after the queries left are newer than the view.
    for (const Patch& p : patches_)
      if (p.seq > refresh_seq_) map_->patch(p.slot, p.host, p.port);
    forget_shard_refs();
  }
  std::erase_if(patches_, [&](const Patch& p) { return p.seq <= refresh_seq_; });
  prune_connections();
  connect_zoneless_replicas();
}

void Router::bootstrap_failed(const std::string& why) {
  const std::string detail =
      "no seed node described the cluster (CLUSTER SHARDS / CLUSTER SLOTS)" + (why.empty() ? std::string() : ": " + why);
  while (!waiting_.empty()) {
    Job* j = waiting_.front();
    waiting_.pop_front();
    fail(*j, make_error_code(errc::not_connected), detail);
  }
  wake_ready_waiters(make_error_code(errc::not_connected));
  // The seeds' connections would keep reconnecting: close them until asked again.
  for (auto& [name, c] : conns_) close_connection(*c);
  conns_.clear();
  forget_connections();
  readonly_.clear();
}

void Router::arm_periodic() {
  if (config_.topology_check_interval.count() <= 0 || closed_) return;
  periodic_timer_.expires_after(jittered(config_.topology_check_interval));
  periodic_timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
    auto self = weak.lock();
    if (!self || ec || self->closed_) return;
    self->refresh(true);
    self->arm_periodic();
  });
}

void Router::learn_zone(const std::string& node, const std::string& zone) {
  auto [it, added] = hello_zones_.try_emplace(node, zone);
  if (!added) it->second = zone;
  std::string_view host;
  std::uint16_t port = 0;
  if (map_ && parse_host_port(node, host, port)) {
    map_->learn_zone(host, port, zone);
    reader_refs_.clear();  // chosen by zone
  }
}

void Router::apply_hello_zones(SlotMap& map) const {
  for (const auto& [node, zone] : hello_zones_) {
    std::string_view host;
    std::uint16_t port = 0;
    if (parse_host_port(node, host, port)) map.learn_zone(host, port, zone);
  }
}

void Router::connect_zoneless_replicas() {
  if (!reads_by_zone(config_) || !map_ || closed_) return;
  for (const Shard& shard : map_->shards())
    for (const Node& n : shard.nodes)
      if (n.role == NodeRole::replica && n.zone.empty() && n.port != 0) connection(n.host, n.port)->start();
}

void Router::prune_connections() {
  if (!map_) return;
  const std::size_t before = conns_.size();
  for (auto it = conns_.begin(); it != conns_.end();) {
    std::size_t s = 0, n = 0;
    const Connection& c = *it->second;
    std::string_view host;
    std::uint16_t port = 0;
    const bool named = parse_host_port(it->first, host, port);
    if ((!named || !map_->find(host, port, s, n)) && c.pending() == 0) {
      readonly_.erase(it->first);
      close_connection(*it->second);
      it = conns_.erase(it);
    } else {
      ++it;
    }
  }
  if (conns_.size() != before) forget_connections();
}

}  // namespace valkey::cluster
