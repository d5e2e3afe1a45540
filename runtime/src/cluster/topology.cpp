// Topology replies to SlotMaps. Parsing is two steps: read the reply into
// shards and ranges (any shape error rejects it), then validate the whole
// view (overlaps, duplicates, ports, primaries) before anything is returned.
#include <valkey/cluster/topology.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

namespace valkey::cluster {
namespace {

// Thrown inside the parsers only, caught at their boundary.
struct Reject {
  std::string why;
};

[[noreturn]] void reject(std::string why) { throw Reject{std::move(why)}; }

bool is_text(const Reply& r) noexcept { return r.is_string(); }

std::string_view text(const Reply& r, std::string_view what) {
  if (!is_text(r)) reject(std::string(what) + " is not a string");
  return r.raw().substr(r.type() == Reply::Type::verbatim_string ? 4 : 0);
}

std::int64_t integer(const Reply& r, std::string_view what) {
  if (r.is_integer()) return r.as_integer();
  if (is_text(r)) {
    std::string_view s = r.raw();
    if (s.empty() || s.size() > 18) reject(std::string(what) + " is not an integer");
    std::int64_t v = 0;
    bool neg = false;
    std::size_t i = 0;
    if (s[0] == '-') neg = true, i = 1;
    if (i == s.size()) reject(std::string(what) + " is not an integer");
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') reject(std::string(what) + " is not an integer");
      v = v * 10 + (s[i] - '0');
    }
    return neg ? -v : v;
  }
  reject(std::string(what) + " is not an integer");
}

// Key/value pairs of a RESP3 map or a RESP2 flat array; calls f(key, value).
template <class F>
void for_each_field(const Reply& obj, std::string_view what, F&& f) {
  if (obj.is_map()) {
    for (std::size_t i = 0; i < obj.size(); ++i) {
      if (!is_text(obj.key(i))) reject(std::string(what) + ": a field name is not a string");
      f(text(obj.key(i), what), obj.value(i));
    }
  } else if (obj.is_array()) {
    if (obj.size() % 2 != 0) reject(std::string(what) + ": odd number of elements in a field list");
    for (std::size_t i = 0; i < obj.size(); i += 2) {
      if (!is_text(obj[i])) reject(std::string(what) + ": a field name is not a string");
      f(text(obj[i], what), obj[i + 1]);
    }
  } else {
    reject(std::string(what) + " is neither a map nor an array");
  }
}

std::uint16_t port_of(std::int64_t v, std::string_view what, bool zero_ok) {
  if (v < 0 || v > 65535 || (v == 0 && !zero_ok)) reject(std::string(what) + " out of range: " + std::to_string(v));
  return static_cast<std::uint16_t>(v);
}

SlotRange range_of(std::int64_t first, std::int64_t last) {
  if (first < 0 || last < 0 || first >= slot_count || last >= slot_count)
    reject("slot range " + std::to_string(first) + "-" + std::to_string(last) + " outside 0-16383");
  if (first > last) reject("slot range " + std::to_string(first) + "-" + std::to_string(last) + " ends before it starts");
  return {static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)};
}

// Endpoint rules: null or "" mean "the host you asked"; "?" means the node
// has no usable announced name: its ip when the reply gives one, else the
// host asked (a guess a MOVED corrects).
std::string endpoint_host(const Reply* endpoint, std::string_view ip, const Source& src, const TopologyLimits& lim) {
  std::string_view e;
  if (endpoint && !endpoint->is_null()) e = text(*endpoint, "endpoint");
  std::string_view h = e;
  if (e.empty()) h = src.host;
  else if (e == "?") h = ip.empty() ? std::string_view(src.host) : ip;
  if (h.empty()) reject("a node has no endpoint and the source host is unknown");
  if (h.size() > lim.max_host_length) reject("host name longer than " + std::to_string(lim.max_host_length));
  for (unsigned char c : h)
    if (c <= 0x20 || c == 0x7F) reject("host name with a space or control character");
  return std::string(h);
}

void check_id(std::string_view id, const TopologyLimits& lim) {
  if (id.size() > lim.max_id_length) reject("node id longer than " + std::to_string(lim.max_id_length));
  for (unsigned char c : id)
    if (c <= 0x20 || c == 0x7F) reject("node id with a space or control character");
}

NodeHealth health_of(std::string_view h) {
  if (h == "online") return NodeHealth::online;
  if (h == "loading") return NodeHealth::loading;
  if (h == "failed" || h == "fail") return NodeHealth::failed;
  return NodeHealth::unknown;
}

// The whole view: ranges do not overlap, ids and addresses are unique, every
// node is reachable on some port, limits hold. Fills the map.
struct Draft {
  std::vector<Shard> shards;
  std::vector<std::vector<SlotRange>> ranges;  // per shard
};

SlotMap finish(Draft d, const TopologyLimits& lim) {
  std::size_t nodes = 0, ranges = 0;
  for (const auto& s : d.shards) nodes += s.nodes.size();
  for (const auto& r : d.ranges) ranges += r.size();
  if (nodes > lim.max_nodes) reject("more than " + std::to_string(lim.max_nodes) + " nodes");
  if (ranges > lim.max_ranges) reject("more than " + std::to_string(lim.max_ranges) + " slot ranges");

  std::set<std::string_view> ids;
  std::set<std::pair<std::string_view, std::uint16_t>> addresses;
  for (const auto& s : d.shards) {
    if (s.nodes.empty()) reject("a shard without nodes");
    if (s.nodes.front().role != NodeRole::primary) reject("a shard without a primary");
    for (std::size_t i = 0; i < s.nodes.size(); ++i) {
      const Node& n = s.nodes[i];
      if (i > 0 && n.role == NodeRole::primary) reject("a shard with two primaries");
      if (n.port == 0 && n.tls_port == 0) reject("node " + n.host + " has no port");
      if (!n.id.empty() && !ids.insert(n.id).second) reject("duplicate node id " + n.id);
      if (n.port != 0 && !addresses.insert({n.host, n.port}).second)
        reject("duplicate node address " + n.host + ":" + std::to_string(n.port));
      if (n.tls_port != 0 && n.tls_port != n.port && !addresses.insert({n.host, n.tls_port}).second)
        reject("duplicate node address " + n.host + ":" + std::to_string(n.tls_port));
    }
  }
  // One order whatever order the node listed them in (each node lists its
  // own way): shards by primary address, replicas by address. Views from
  // different nodes then compare equal when they describe the same cluster.
  auto address_less = [](const Node& a, const Node& b) {
    return std::tie(a.host, a.port, a.tls_port) < std::tie(b.host, b.port, b.tls_port);
  };
  for (auto& s : d.shards)
    if (s.nodes.size() > 2) std::sort(s.nodes.begin() + 1, s.nodes.end(), address_less);
  std::vector<std::size_t> order(d.shards.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return address_less(d.shards[a].nodes.front(), d.shards[b].nodes.front());
  });
  SlotMap map;
  std::vector<std::vector<SlotRange>> ranges_in_order;
  ranges_in_order.reserve(order.size());
  for (std::size_t i : order) {
    map.add_shard(std::move(d.shards[i]));
    ranges_in_order.push_back(std::move(d.ranges[i]));
  }
  d.ranges = std::move(ranges_in_order);
  for (std::size_t i = 0; i < d.ranges.size(); ++i) {
    for (const SlotRange r : d.ranges[i]) {
      for (unsigned slot = r.first; slot <= r.last; ++slot)
        if (map.shard_of(static_cast<std::uint16_t>(slot)) >= 0)
          reject("slot " + std::to_string(slot) + " is claimed twice");
      map.assign(r, i);
    }
  }
  return map;
}

// In a shard, the old primary of a failover can still be listed as a failed
// primary next to the new one: the healthy primary leads, failed ones are
// kept as unusable replicas. Two live primaries are contradictory.
void order_primary_first(Shard& s) {
  std::size_t live = 0, chosen = s.nodes.size();
  for (std::size_t i = 0; i < s.nodes.size(); ++i) {
    if (s.nodes[i].role != NodeRole::primary) continue;
    if (s.nodes[i].health != NodeHealth::failed) {
      ++live;
      chosen = i;
    } else if (chosen == s.nodes.size()) {
      chosen = i;  // a failed primary leads only when no live one exists
    }
  }
  if (live > 1) reject("a shard with two live primaries");
  if (chosen == s.nodes.size()) reject("a shard without a primary");
  std::rotate(s.nodes.begin(), s.nodes.begin() + static_cast<std::ptrdiff_t>(chosen),
              s.nodes.begin() + static_cast<std::ptrdiff_t>(chosen) + 1);
  for (std::size_t i = 1; i < s.nodes.size(); ++i)
    if (s.nodes[i].role == NodeRole::primary) s.nodes[i].role = NodeRole::replica;
}

Node shard_node(const Reply& obj, const Source& src, const TopologyLimits& lim) {
  Node n;
  const Reply* endpoint = nullptr;
  std::string_view ip, role;
  bool have_port = false, have_role = false;
  for_each_field(obj, "CLUSTER SHARDS node", [&](std::string_view k, const Reply& v) {
    if (k == "id") n.id = std::string(text(v, "node id"));
    else if (k == "port") n.port = port_of(integer(v, "port"), "port", true), have_port = true;
    else if (k == "tls-port") n.tls_port = port_of(integer(v, "tls-port"), "tls-port", true), have_port = true;
    else if (k == "ip") ip = v.is_null() ? std::string_view{} : text(v, "ip");
    else if (k == "endpoint") endpoint = &v;
    else if (k == "role") role = text(v, "role"), have_role = true;
    else if (k == "health") n.health = health_of(text(v, "health"));
    else if (k == "availability-zone" || k == "availability_zone") {
      if (!v.is_null()) n.zone = std::string(text(v, "availability zone"));
    }
  });
  if (!have_port) reject("a CLUSTER SHARDS node without a port");
  if (!have_role) reject("a CLUSTER SHARDS node without a role");
  if (role == "master" || role == "primary") n.role = NodeRole::primary;
  else if (role == "replica" || role == "slave") n.role = NodeRole::replica;
  else reject("unknown node role " + std::string(role.substr(0, 32)));
  check_id(n.id, lim);
  if (n.zone.size() > lim.max_zone_length) reject("availability zone name too long");
  n.host = endpoint_host(endpoint, ip, src, lim);
  return n;
}

Node slots_node(const Reply& arr, NodeRole role, const Source& src, const TopologyLimits& lim) {
  if (!arr.is_array() || arr.size() < 2) reject("a CLUSTER SLOTS node is not [endpoint, port, ...]");
  Node n;
  n.role = role;
  std::string_view ip;
  if (arr.size() >= 4 && !arr[3].is_null()) {
    for_each_field(arr[3], "CLUSTER SLOTS node metadata", [&](std::string_view k, const Reply& v) {
      if (k == "ip") ip = text(v, "ip");
      else if (k == "availability-zone" || k == "availability_zone") n.zone = std::string(text(v, "zone"));
    });
  }
  n.host = endpoint_host(&arr[0], ip, src, lim);
  n.port = port_of(integer(arr[1], "port"), "port", false);
  if (arr.size() >= 3 && !arr[2].is_null()) n.id = std::string(text(arr[2], "node id"));
  check_id(n.id, lim);
  if (n.zone.size() > lim.max_zone_length) reject("availability zone name too long");
  return n;
}

template <class F>
TopologyResult guarded(F&& f) {
  TopologyResult out;
  try {
    out.map = f();
  } catch (const Reject& r) {
    out.error = r.why;
  } catch (const std::exception& e) {  // Reply accessors on unexpected shapes
    out.error = std::string("malformed reply: ") + e.what();
  }
  return out;
}

}  // namespace

std::string_view to_string(NodeRole r) noexcept { return r == NodeRole::primary ? "primary" : "replica"; }
std::string_view to_string(NodeHealth h) noexcept {
  switch (h) {
    case NodeHealth::online: return "online";
    case NodeHealth::loading: return "loading";
    case NodeHealth::failed: return "failed";
    case NodeHealth::unknown: return "unknown";
  }
  return "?";
}

const Node* SlotMap::owner(std::uint16_t slot) const noexcept {
  const int s = shard_of(slot);
  return s < 0 ? nullptr : &shards_[static_cast<std::size_t>(s)].primary();
}

std::size_t SlotMap::coverage() const noexcept {
  std::size_t n = 0;
  for (auto o : owner_) n += o != no_shard;
  return n;
}

std::vector<SlotRange> SlotMap::ranges(std::size_t s) const {
  std::vector<SlotRange> out;
  for (unsigned slot = 0; slot < static_cast<unsigned>(slot_count); ++slot) {
    if (owner_[slot] != s) continue;
    if (!out.empty() && out.back().last + 1u == slot) out.back().last = static_cast<std::uint16_t>(slot);
    else out.push_back({static_cast<std::uint16_t>(slot), static_cast<std::uint16_t>(slot)});
  }
  return out;
}

bool SlotMap::find(std::string_view host, std::uint16_t port, std::size_t& shard, std::size_t& node) const noexcept {
  for (std::size_t s = 0; s < shards_.size(); ++s)
    for (std::size_t n = 0; n < shards_[s].nodes.size(); ++n)
      if (shards_[s].nodes[n].same_address(host, port)) {
        shard = s;
        node = n;
        return true;
      }
  return false;
}

std::size_t SlotMap::add_shard(Shard s) {
  shards_.push_back(std::move(s));
  return shards_.size() - 1;
}

void SlotMap::assign(SlotRange r, std::size_t shard) noexcept {
  for (unsigned slot = r.first; slot <= r.last && slot < static_cast<unsigned>(slot_count); ++slot)
    owner_[slot] = static_cast<std::uint16_t>(shard);
}

bool SlotMap::learn_zone(std::string_view host, std::uint16_t port, std::string_view zone) {
  std::size_t s = 0, n = 0;
  if (zone.empty() || !find(host, port, s, n)) return false;
  Node& node = shards_[s].nodes[n];
  if (!node.zone.empty()) return false;
  node.zone.assign(zone);
  return true;
}

void SlotMap::promote(std::size_t shard, std::size_t node) {
  auto& nodes = shards_.at(shard).nodes;
  if (node == 0 || node >= nodes.size()) return;
  std::swap(nodes[0], nodes[node]);
  nodes[0].role = NodeRole::primary;
  nodes[node].role = NodeRole::replica;
}

SlotMap::Patch SlotMap::patch(std::uint16_t slot, std::string_view host, std::uint16_t port) {
  if (slot >= slot_count) return Patch::unchanged;
  std::size_t s = 0, n = 0;
  if (find(host, port, s, n)) {
    Patch result = Patch::moved;
    if (n != 0) {
      promote(s, n);
      result = Patch::promoted;
    } else if (owner_[slot] == s) {
      return Patch::unchanged;
    }
    owner_[slot] = static_cast<std::uint16_t>(s);
    return result;
  }
  Shard fresh;
  Node node;
  node.host = std::string(host);
  node.port = port;
  fresh.nodes.push_back(std::move(node));
  owner_[slot] = static_cast<std::uint16_t>(add_shard(std::move(fresh)));
  return Patch::new_node;
}

TopologyResult parse_cluster_shards(const Reply& reply, const Source& source, const TopologyLimits& limits) {
  return guarded([&] {
    if (reply.is_error()) reject("CLUSTER SHARDS failed: " + std::string(reply.error_message()));
    if (!reply.is_array()) reject("CLUSTER SHARDS reply is not an array");
    if (reply.size() > limits.max_nodes) reject("more shards than the node limit");
    Draft d;
    for (const Reply& shard_obj : reply) {
      Shard shard;
      std::vector<SlotRange> ranges;
      bool have_slots = false, have_nodes = false;
      for_each_field(shard_obj, "CLUSTER SHARDS shard", [&](std::string_view k, const Reply& v) {
        if (k == "slots") {
          have_slots = true;
          if (!v.is_array() || v.size() % 2 != 0) reject("shard slots are not start/end pairs");
          if (v.size() / 2 > limits.max_ranges) reject("more slot ranges than the limit");
          for (std::size_t i = 0; i < v.size(); i += 2)
            ranges.push_back(range_of(integer(v[i], "slot"), integer(v[i + 1], "slot")));
        } else if (k == "nodes") {
          have_nodes = true;
          if (!v.is_array()) reject("shard nodes are not an array");
          if (v.size() > limits.max_nodes) reject("more nodes than the limit");
          for (const Reply& n : v) shard.nodes.push_back(shard_node(n, source, limits));
        }
      });
      if (!have_slots || !have_nodes) reject("a shard without slots or nodes field");
      if (shard.nodes.empty()) {
        if (!ranges.empty()) reject("a shard owns slots but lists no node");
        continue;
      }
      order_primary_first(shard);
      d.shards.push_back(std::move(shard));
      d.ranges.push_back(std::move(ranges));
    }
    return finish(std::move(d), limits);
  });
}

TopologyResult parse_cluster_slots(const Reply& reply, const Source& source, const TopologyLimits& limits) {
  return guarded([&] {
    if (reply.is_error()) reject("CLUSTER SLOTS failed: " + std::string(reply.error_message()));
    if (!reply.is_array()) reject("CLUSTER SLOTS reply is not an array");
    if (reply.size() > limits.max_ranges) reject("more slot ranges than the limit");
    Draft d;
    std::map<std::string, std::size_t> by_primary;  // id, or host:port without ids
    for (const Reply& entry : reply) {
      if (!entry.is_array() || entry.size() < 3) reject("a CLUSTER SLOTS entry is not [start, end, primary, ...]");
      if (entry.size() - 2 > limits.max_nodes) reject("more nodes than the limit");
      const SlotRange r = range_of(integer(entry[0], "slot"), integer(entry[1], "slot"));
      Node primary = slots_node(entry[2], NodeRole::primary, source, limits);
      const std::string key = primary.id.empty() ? primary.host + ":" + std::to_string(primary.port) : primary.id;
      auto [it, fresh] = by_primary.try_emplace(key, d.shards.size());
      if (fresh) {
        Shard s;
        s.nodes.push_back(std::move(primary));
        d.shards.push_back(std::move(s));
        d.ranges.emplace_back();
      } else if (!(d.shards[it->second].nodes[0].host == primary.host &&
                   d.shards[it->second].nodes[0].port == primary.port)) {
        reject("node id " + primary.id + " listed at two addresses");
      }
      Shard& s = d.shards[it->second];
      d.ranges[it->second].push_back(r);
      for (std::size_t i = 3; i < entry.size(); ++i) {
        Node rep = slots_node(entry[i], NodeRole::replica, source, limits);
        const bool known = std::any_of(s.nodes.begin() + 1, s.nodes.end(), [&](const Node& n) {
          return rep.id.empty() ? n.host == rep.host && n.port == rep.port : n.id == rep.id;
        });
        if (!known) s.nodes.push_back(std::move(rep));
      }
    }
    return finish(std::move(d), limits);
  });
}

std::optional<std::size_t> majority_view(std::span<const std::optional<SlotMap>> views, const SlotMap* current) {
  const std::size_t sources = views.size();
  std::optional<std::size_t> best;
  std::size_t best_votes = 0, best_cov = 0;
  for (std::size_t i = 0; i < views.size(); ++i) {
    if (!views[i]) continue;
    bool seen = false;  // counted already with an earlier equal view
    for (std::size_t j = 0; j < i && !seen; ++j) seen = views[j] && *views[j] == *views[i];
    if (seen) continue;
    std::size_t votes = 0;
    for (std::size_t j = i; j < views.size(); ++j) votes += views[j] && *views[j] == *views[i];
    const std::size_t cov = views[i]->coverage();
    if (!best || votes > best_votes || (votes == best_votes && cov > best_cov)) {
      best = i;
      best_votes = votes;
      best_cov = cov;
    }
  }
  if (!best) return std::nullopt;
  if (!current) return best;
  if (*views[*best] == *current) return std::nullopt;
  if (best_cov < current->coverage() && !(best_votes >= 2 && best_votes * 2 > sources)) return std::nullopt;
  return best;
}

}  // namespace valkey::cluster
