#pragma once
// The cluster's slot map, built from a node's CLUSTER SHARDS (preferred) or
// CLUSTER SLOTS reply, and the operations a router needs on it.
//
// Every reply is treated as untrusted: a view with overlapping or
// out-of-range slots, unusable ports, duplicate node ids or addresses, a
// shard without exactly one primary, or more entries than the limits allow is
// rejected as a whole with a reason. The caller keeps its current map and asks
// another node; nothing of a rejected view is used.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <valkey/cluster/slot.hpp>
#include <valkey/export.hpp>
#include <valkey/reply.hpp>

namespace valkey::cluster {

/// A node's role in its shard.
enum class NodeRole : std::uint8_t { primary, replica };
/// A node's health as CLUSTER SHARDS reports it ("online", "loading",
/// "failed"); unknown when the topology does not say (CLUSTER SLOTS).
enum class NodeHealth : std::uint8_t { online, loading, failed, unknown };
/// The role's name: "primary" or "replica".
VALKEY_CPP_EXPORT std::string_view to_string(NodeRole r) noexcept;
/// The health's name: "online", "loading", "failed" or "unknown".
VALKEY_CPP_EXPORT std::string_view to_string(NodeHealth h) noexcept;

struct Node {
  std::string id;             // 40 hex digits; empty when the source does not say (old CLUSTER SLOTS)
  std::string host;           // where to connect: the preferred endpoint, or the replying node's host
  std::uint16_t port = 0;     // plain-text port; 0 when the node only listens with TLS
  std::uint16_t tls_port = 0; // 0 when not given
  NodeRole role = NodeRole::primary;
  NodeHealth health = NodeHealth::unknown;
  std::string zone;           // availability zone, empty when not given

  bool same_address(std::string_view h, std::uint16_t p) const noexcept {
    return host == h && (port == p || (tls_port != 0 && tls_port == p));
  }
  friend bool operator==(const Node&, const Node&) = default;
};

// One primary and its replicas; nodes[0] is the primary.
struct Shard {
  std::vector<Node> nodes;
  const Node& primary() const { return nodes.front(); }
  friend bool operator==(const Shard&, const Shard&) = default;
};

/// A range of hash slots, both ends included.
struct SlotRange {
  std::uint16_t first = 0, last = 0;  ///< inclusive
  friend bool operator==(const SlotRange&, const SlotRange&) = default;
};

// The node whose reply is parsed: its host stands in for endpoints the reply
// leaves unknown (null, "" or "?").
struct Source {
  std::string host;
  std::uint16_t port = 0;
};

// Bounds on what a reply may describe; a reply past them is rejected.
struct TopologyLimits {
  std::size_t max_nodes = 1000;
  std::size_t max_ranges = 16384;  // slot ranges over all shards
  std::size_t max_host_length = 255;
  std::size_t max_id_length = 64;
  std::size_t max_zone_length = 128;
};

class VALKEY_CPP_EXPORT SlotMap {
 public:
  static constexpr std::uint16_t no_shard = 0xFFFF;

  SlotMap() { owner_.fill(no_shard); }

  const std::vector<Shard>& shards() const noexcept { return shards_; }
  // Shard index owning `slot`, or -1 when the slot is not covered.
  int shard_of(std::uint16_t slot) const noexcept {
    return slot < slot_count && owner_[slot] != no_shard ? owner_[slot] : -1;
  }
  // The primary serving `slot`; nullptr when not covered.
  const Node* owner(std::uint16_t slot) const noexcept;
  // Covered slots, 0..16384.
  std::size_t coverage() const noexcept;
  bool full_coverage() const noexcept { return coverage() == static_cast<std::size_t>(slot_count); }
  // The slot ranges of shard `s`, ascending.
  std::vector<SlotRange> ranges(std::size_t s) const;
  // The shard and node index of the node at host:port; false when unknown.
  bool find(std::string_view host, std::uint16_t port, std::size_t& shard, std::size_t& node) const noexcept;

  enum class Patch : std::uint8_t {
    unchanged,  // the address already serves the slot
    moved,      // the slot now belongs to another known primary's shard
    promoted,   // the address was a replica: it became its shard's primary (a failover), and the slot is its shard's
    new_node,   // an unknown address: a new shard with that node as primary (id unknown until a refresh)
  };
  // Applies a MOVED: `slot` is served by host:port from now on.
  Patch patch(std::uint16_t slot, std::string_view host, std::uint16_t port);
  // Makes nodes[node] of shard `shard` its primary; the old primary becomes a replica.
  void promote(std::size_t shard, std::size_t node);
  // The zone of the node at host:port, when the source named none (a
  // server that reports its zone in HELLO only). True when it changed.
  bool learn_zone(std::string_view host, std::uint16_t port, std::string_view zone);

  // Same shards (nodes, roles, addresses, ids) and the same slot owners.
  friend bool operator==(const SlotMap& a, const SlotMap& b) noexcept {
    return a.owner_ == b.owner_ && a.shards_ == b.shards_;
  }

  // Builders used by the parsers; validate() checks the result.
  std::size_t add_shard(Shard s);
  void assign(SlotRange r, std::size_t shard) noexcept;

 private:
  std::vector<Shard> shards_;
  std::array<std::uint16_t, slot_count> owner_;
};

struct TopologyResult {
  std::optional<SlotMap> map;  // empty when the reply was rejected
  std::string error;           // why it was rejected
  explicit operator bool() const noexcept { return map.has_value(); }
};

// CLUSTER SHARDS (Valkey 7+): an array of shards, each a map (RESP3) or a flat
// key/value array (RESP2) with "slots" (start, end, start, end, ...) and
// "nodes" (maps with id, port, tls-port, ip, endpoint, hostname, role,
// health, availability-zone). Shards without slots are kept (their nodes are
// known) but own nothing.
VALKEY_CPP_EXPORT TopologyResult parse_cluster_shards(const Reply& reply, const Source& source, const TopologyLimits& limits = {});

// CLUSTER SLOTS: an array of [start, end, primary, replica...], each node
// [endpoint, port, id?, metadata?]. Ranges of the same primary form one shard.
VALKEY_CPP_EXPORT TopologyResult parse_cluster_slots(const Reply& reply, const Source& source, const TopologyLimits& limits = {});

// Several nodes' views: the index of the view most of them share, or nullopt
// to keep `current`. Rejected views (empty optionals) count as sources that
// agreed with nobody. A view with less coverage than `current` wins only with
// a strict majority of all sources, and never on one source's word.
VALKEY_CPP_EXPORT std::optional<std::size_t> majority_view(std::span<const std::optional<SlotMap>> views, const SlotMap* current);

}  // namespace valkey::cluster
