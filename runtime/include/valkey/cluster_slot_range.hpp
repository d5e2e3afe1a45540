#pragma once
/// \struct valkey::ClusterSlotRange
/// valkey::ClusterSlotRange: one element of CLUSTER SLOTS (db.cluster_slots()
/// answers a std::vector of them), typed. The server answers positional
/// arrays: the first and last slot of a range, its primary, then its replicas,
/// each node as [endpoint, port, id, metadata]. The decoder reads RESP2 and
/// RESP3 alike (the metadata is a flat array or a map), skips metadata fields
/// and node elements past the metadata (a newer server's), and leaves what
/// an older server does not send (the id before Redis 4, the metadata before
/// Redis 7) at its default. Another shape fails with
/// errc::unexpected_reply_type.
///
/// Not the cluster client's slot map (valkey::cluster::SlotMap, which checks a
/// whole view before using it); this is the reply as the node sent it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <valkey/export.hpp>

namespace valkey {

class Reply;

struct VALKEY_CPP_EXPORT ClusterSlotRange {
  /// A node that serves the range.
  struct Node {
    /// The node's preferred endpoint (an IP, a hostname, or "?" when the
    /// server does not know it; empty when it sends nil).
    std::string endpoint;
    std::int64_t port = 0;  ///< the TLS port on a TLS connection with tls-cluster
    std::string id;         ///< the node's 40-character name
    /// From the metadata: the fields the endpoint is not (hostname when the
    /// endpoint is an IP, ip when it is a hostname) and the availability zone.
    std::string hostname;
    /// From the metadata: the IP, when the endpoint is a hostname.
    std::string ip;
    std::string availability_zone;  ///< "availability-zone", Valkey 8.1+

    /// Member-wise equality.
    friend bool operator==(const Node&, const Node&) = default;
  };

  std::int64_t start = 0;  ///< first slot of the range
  std::int64_t end = 0;    ///< last slot, inclusive
  /// The primary serving the range.
  Node primary;
  /// Its replicas.
  std::vector<Node> replicas;

  /// Member-wise equality.
  friend bool operator==(const ClusterSlotRange&, const ClusterSlotRange&) = default;

  /// For the decoder (adapt/decoder.hpp): fills `out` from one element of
  /// CLUSTER SLOTS' reply; false when it has another shape.
  static bool from_reply(const Reply& reply, ClusterSlotRange& out);
  /// The type's name in decoding error messages.
  static constexpr std::string_view record_name = "valkey::ClusterSlotRange";
};

}  // namespace valkey
