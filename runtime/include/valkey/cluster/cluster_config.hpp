#pragma once
/// \file
/// valkey::ClusterConfig: what the cluster clients need besides the per-node
/// connection settings; valkey::ClusterStats: what they count.
///
/// \code{.unparsed}
/// valkey://[user[:password]@]host1:port1[,host2:port2...][/db][?option=value...]
/// \endcode
///
/// The seed list is the comma-separated host list of the URL; the rest of the
/// URL (credentials, database, TLS and timeout options) is the per-node Config.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <valkey/config.hpp>
#include <valkey/export.hpp>
#include <valkey/policy/retry.hpp>

namespace valkey {

/// Which node serves read-only commands.
///
/// - `primary`: every command goes to the slot's primary.
/// - `prefer_replica`: read-only commands go to a replica of the slot's shard
///   (random, skipping replicas marked failed or whose connection is down),
///   else the primary; replicas may lag behind their primary (stale reads).
/// - `az_affinity`: read-only commands go to a replica in
///   ClusterConfig::client_az, else to any replica, else to the primary.
/// - `az_affinity_replicas_and_primary`: a replica in client_az, else the
///   primary when it is in client_az, else any replica, else the primary.
///
/// A node's zone comes from the topology (CLUSTER SHARDS / SLOTS name it on
/// Valkey 9 servers configured with `availability-zone`), else from the
/// node's HELLO reply (Valkey 8.1); with no zone known, or no client_az, the
/// `az_` modes read like prefer_replica.
enum class ReadFrom : std::uint8_t { primary, prefer_replica, az_affinity, az_affinity_replicas_and_primary };

/// A node address on its way to a connection (ClusterConfig::address_map).
struct ClusterNodeAddress {
  std::string host;             ///< as the topology, a redirect or the seed list names it
  /// The port to connect to.
  std::uint16_t port = 0;
  std::string tls_server_name;  ///< the TLS server name to send and verify, with TLS on (empty: the node Config's sni, else host)
};

/// A node asked for the topology at start (ClusterConfig::seeds).
struct ClusterSeed {
  /// The seed's host name or IP address.
  std::string host;
  /// The seed's port.
  std::uint16_t port = 6379;
};

/// What the cluster clients need besides the per-node connection settings,
/// which it holds in `node`.
struct VALKEY_CPP_EXPORT ClusterConfig {
  /// Nodes asked for the topology at start; any one alive is enough.
  std::vector<ClusterSeed> seeds;
  /// Every node connection's settings (credentials, TLS, timeouts, database);
  /// host and port are replaced by each node's address.
  Config node;
  /// Which node serves read-only commands (ReadFrom).
  ReadFrom read_from = ReadFrom::primary;
  /// The client's availability zone, for the az_affinity read_from modes.
  std::string client_az;
  /// MOVED/ASK redirections one request (one slot of a split command) follows
  /// before it fails with errc::too_many_redirects.
  unsigned max_redirects = 5;
  /// TRYAGAIN, CLUSTERDOWN, LOADING, MASTERDOWN and READONLY: attempts after
  /// the first, backing off from retry_initial_delay, doubling up to
  /// retry_max_delay (each delay with +-jitter), never past the request's deadline.
  unsigned max_retries = 10;
  /// The delay before the first of those retries.
  std::chrono::milliseconds retry_initial_delay{10};
  /// The longest delay between those retries.
  std::chrono::milliseconds retry_max_delay{500};
  /// Each retry delay (and the periodic check's interval) is scaled by a
  /// random factor between 1 - jitter and 1 + jitter.
  double jitter = 0.2;
  /// A budget those retries share across every request of the client (and
  /// every node): over its window, ratio retries per request sent plus
  /// per_second, so a cluster that answers CLUSTERDOWN or LOADING to
  /// everything gets at most that many extra requests; past it a request
  /// fails at once with the server's error (docs/cluster.md, "Redirections
  /// and retries"). Unset: each request is bounded by max_retries and its
  /// deadline only. Retries of requests a down node never received do not
  /// draw on it.
  std::optional<policy::RetryBudget> retry_budget;
  /// The periodic topology check (one node asked; a full refresh only when its
  /// view differs). 0 disables it.
  std::chrono::milliseconds topology_check_interval{30000};
  /// Refreshes triggered by MOVED, lost connections or CLUSTERDOWN are
  /// single-flight and at least this far apart.
  std::chrono::milliseconds min_refresh_interval{100};
  /// Nodes asked per refresh; the view most of them share wins.
  unsigned refresh_sources = 3;
  /// How long the first topology query may take, seeds included (0: the node
  /// Config's connect_timeout plus one second).
  std::chrono::milliseconds bootstrap_timeout{0};

  /// Rewrites where a node is reached before each node connection is made:
  /// NAT or port forwarding (the cluster announces addresses the client cannot
  /// reach), and a TLS server name per node. Called on the client's executor
  /// with the address the topology, a redirect or the seed list names (seeds
  /// included: leave addresses you do not remap as they are). The client
  /// keeps naming the node by its cluster address (MOVED, nodes(), PerNode).
  /// It must neither block nor throw.
  std::function<void(ClusterNodeAddress&)> address_map;

  /// Parses a URL with a comma-separated seed list (throws valkey::Error with
  /// errc::invalid_url).
  static ClusterConfig from_url(std::string_view url);
  /// The same, reporting an invalid URL in `ec` instead of throwing.
  static ClusterConfig from_url(std::string_view url, std::error_code& ec);
};

/// Counters of one cluster client, readable from any thread.
struct ClusterStats {
  std::uint64_t refreshes = 0;            ///< topology views adopted or confirmed by a refresh
  std::uint64_t refresh_queries = 0;      ///< CLUSTER SHARDS / SLOTS sent
  std::uint64_t moved = 0;                ///< MOVED replies followed
  std::uint64_t ask = 0;                  ///< ASK replies followed
  std::uint64_t retries = 0;              ///< TRYAGAIN / CLUSTERDOWN / LOADING / MASTERDOWN / READONLY retries
  std::uint64_t redirect_limits_hit = 0;  ///< requests failed with too_many_redirects
  std::uint64_t retry_budget_exhausted = 0;  ///< retries refused by ClusterConfig::retry_budget
  // The sync ClusterClient only (cluster::SyncDriver; 0 on AsyncClusterClient):
  std::uint64_t handed_over_calls = 0;  ///< sync ClusterClient only: calls that found another thread driving and slept while it ran theirs
  std::uint64_t internal_drives = 0;    ///< sync ClusterClient only: turns of the internal thread at the I/O (nobody called, or callers slept)
  std::uint64_t direct_waits = 0;       ///< sync ClusterClient only: waits of a calling thread on its node's socket alone, not in the reactor
  std::uint64_t lanes = 0;              ///< sync ClusterClient only: routers open, each with a connection per node (up to node.max_connections)
};

}  // namespace valkey
