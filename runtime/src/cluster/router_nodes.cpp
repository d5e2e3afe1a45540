// The router's node connections: one shared connection per node (made on
// first use), leased ones for blocking commands, the reader chosen for a
// slot (replicas, zone affinity), READONLY on replica connections, close().
#include <valkey/cluster/router.hpp>

#include <random>
#include <utility>

#include <asio/dispatch.hpp>

#include "cluster/router_internal.hpp"
#include "detail/url_text.hpp"

namespace valkey::cluster {

// READONLY, its reply discarded.
struct Router::Readonly final : Own {
  using Own::Own;
  void on_node(const resp::Node&) override {}
  void on_reply_end() override {}
  void on_complete(std::error_code) override { router.release(*this); }
};

Config Router::node_config(const std::string& host, std::uint16_t port) const {
  Config c = config_.node;
  c.host = host;
  c.port = port;
  c.unix_path.clear();
  if (config_.address_map) {
    ClusterNodeAddress a{host, port, {}};
    config_.address_map(a);
    c.host = std::move(a.host);
    c.port = a.port;
    // A server name only means something with TLS (Config refuses sni without it).
    if (!a.tls_server_name.empty() && c.tls.enabled) c.tls.sni = std::move(a.tls_server_name);
  }
  return c;
}

const NodeHandle* Router::find_owner_ref(std::uint16_t slot) {
  const int shard = map_ ? map_->shard_of(slot) : -1;
  if (shard < 0) return nullptr;
  const auto i = static_cast<std::size_t>(shard);
  const Node& primary = map_->shards()[i].primary();
  const NodeHandle& ref = node_ref(primary.host, primary.port);
  if (owner_refs_.size() <= i) owner_refs_.resize(map_->shards().size());
  owner_refs_[i] = ref;
  return &owner_refs_[i];
}

const NodeHandle& Router::node_ref(std::string_view host, std::uint16_t port) {
  for (const NodeHandle& n : node_names_)
    if (n->port == port && n->host == host) return n;
  // Nodes come and go: rebuilt as they are used (parts keep theirs).
  if (node_names_.size() == 64) {
    node_names_.clear();
    forget_shard_refs();  // for each node one NodeRef, the table's
  }
  node_names_.reserve(64);  // once: adding the new node's handle below cannot throw
  auto node = std::make_unique<NodeRef>(NodeRef{std::string(host), port, valkey::detail::host_port(host, port), nullptr});
  node_names_.emplace_back(node.release());
  return node_names_.back();
}

void NodeHandle::destroy(NodeRef* n) noexcept { delete n; }

const std::shared_ptr<Connection>& Router::shared_connection(NodeRef& node) {
  if (!node.conn) node.conn = connection(node.host, node.port, node.name);
  return node.conn;
}

void Router::forget_connections() noexcept {
  forget_shard_refs();
  for (const NodeHandle& n : node_names_) {
    n->conn.reset();
    n->readonly = false;  // readonly_ may have lost it with its connection
  }
}

std::shared_ptr<Connection> Router::connection(const std::string& host, std::uint16_t port) {
  return shared_connection(*node_ref(host, port));
}

std::shared_ptr<Connection> Router::connection(const std::string& host, std::uint16_t port, const std::string& key) {
  if (auto it = conns_.find(key); it != conns_.end()) return it->second;
  Config c = node_config(host, port);
  // A node that went down refuses requests at once (they were never
  // written): the router re-routes them after a refresh instead of letting
  // them wait for a node that may never come back.
  c.when_disconnected = DisconnectedPolicy::fail;
  auto conn = Connection::create(ex_, std::move(c));
  conn->set_single_reactor(single_reactor_);
  conn->set_observer(this);
  // Tracking on in every handshake; the invalidations go to the one store,
  // which the connection flushes when it is lost.
  if (cache_) conn->set_cache(cache_);
  conns_.emplace(key, conn);
  return conn;
}

const NodeHandle* Router::pick_reader(std::uint16_t slot) {
  const int s = map_ ? map_->shard_of(slot) : -1;
  if (s < 0) return nullptr;
  const auto i = static_cast<std::size_t>(s);
  const bool by_zone = reads_by_zone(config_);
  if (i >= reader_refs_.size() || !reader_refs_[i].built) {
    // node_ref() may forget every shard's handles (its table is full): the
    // shard's are gathered first and stored after.
    const Shard& shard = map_->shards()[i];
    ShardReaders built;
    built.built = true;
    built.primary_local = by_zone && shard.primary().zone == config_.client_az;
    for (std::size_t n = 1; n < shard.nodes.size(); ++n) {
      const Node& r = shard.nodes[n];
      if (r.role != NodeRole::replica || r.port == 0 || r.health == NodeHealth::failed ||
          r.health == NodeHealth::loading)
        continue;
      const NodeHandle& h = node_ref(r.host, r.port);
      built.any.push_back(h);
      if (by_zone && r.zone == config_.client_az) built.local.push_back(h);
    }
    if (reader_refs_.size() <= i) reader_refs_.resize(map_->shards().size());
    reader_refs_[i] = std::move(built);
  }
  const ShardReaders& readers = reader_refs_[i];
  // A replica whose connection is down is skipped, with no wait.
  auto up = [this](const NodeHandle& h) {
    const Connection* c = h->conn.get();
    if (!c) {
      const auto it = conns_.find(h->name);
      if (it == conns_.end()) return true;  // not connected yet: the read connects it
      c = it->second.get();
    }
    const ConnectionState st = c->state();
    return st != ConnectionState::reconnecting && st != ConnectionState::closed;
  };
  // One of the replicas that are up, at random; no allocation.
  auto pick = [&](const std::vector<NodeHandle>& from) -> const NodeHandle* {
    const NodeHandle* usable[16];
    std::size_t n = 0;
    for (const NodeHandle& h : from) {
      if (n == 16) break;
      if (up(h)) usable[n++] = &h;
    }
    if (n == 0) return nullptr;
    if (n == 1) return usable[0];
    std::uniform_int_distribution<std::size_t> d(0, n - 1);
    return usable[d(rng_)];
  };
  if (const NodeHandle* h = by_zone ? pick(readers.local) : nullptr) return h;
  if (readers.primary_local && config_.read_from == ReadFrom::az_affinity_replicas_and_primary) return nullptr;
  return pick(readers.any);
}

void Router::send_readonly(Connection& c) {
  auto r = std::make_unique<Readonly>(*this);
  if (c.submit_encoded(*r, "*1\r\n$8\r\nREADONLY\r\n")) return;
  keep(*r.release());
}

void Router::on_connected(Connection& c) {
  if (!c.server_zone().empty()) [[unlikely]] {
    for (const auto& [name, conn] : conns_)
      if (conn.get() == &c) {
        learn_zone(name, c.server_zone());
        break;
      }
  }
  // After a reconnect the new connection lost READONLY; reads queued before
  // it went out get MOVED to the primary and follow it.
  if (closed_ || c.stats().connects < 2) return;
  // The loss flushed the cache already; so does the reconnect, for whatever
  // was stored in between.
  flush_cache(FlushReason::disconnect);
  // By the cluster's name of the node (the connection's own host and port
  // may have been remapped by address_map).
  for (const auto& [name, conn] : conns_)
    if (conn.get() == &c && readonly_.count(name)) send_readonly(c);
}

void Router::on_disconnected(Connection&, std::error_code) {
  // Only with a map: before the first topology the seeds' own retries must
  // not start one bootstrap after another.
  if (!closed_ && map_) request_refresh();
}

void Router::close() {
  asio::dispatch(ex_, [self = shared_from_this()] {
    const CallerScope caller(*self);  // waiting jobs' completions are posted
    if (self->closed_) return;
    self->closed_ = true;
    self->refresh_timer_.cancel();
    self->periodic_timer_.cancel();
    while (!self->waiting_.empty()) {
      Job* j = self->waiting_.front();
      self->waiting_.pop_front();
      self->fail(*j, make_error_code(errc::connection_closed), {});
    }
    for (auto& [name, jobs] : self->describing_)
      for (Job* j : jobs) self->fail(*j, make_error_code(errc::connection_closed), {});
    self->describing_.clear();
    self->wake_ready_waiters(make_error_code(errc::connection_closed));
    for (auto& [name, c] : self->conns_) self->close_connection(*c);
    self->conns_.clear();
    self->forget_connections();
    for (auto& [name, pool] : self->pools_) pool->close();
  });
}

}  // namespace valkey::cluster
