#pragma once
// A real Valkey cluster for one test: N primaries with R replicas each
// (default 3+3), slots split evenly, every node on free loopback ports.
//
//   valkey::test::Cluster cluster;                        // cluster_state:ok, replicas in sync
//   valkey::ClusterClient c{cluster.seed_url()};          // "valkey://127.0.0.1:P1,127.0.0.1:P2,..."
//   cluster.node(0).kill();                               // fault tests; wait_ready() after a failover
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server_process.hpp"

namespace valkey::test {

struct ClusterOptions {
  int primaries = 3;
  int replicas_per_primary = 1;
  ServerOptions node;  // base options of every node (password, tls, config); cluster is forced on
  std::chrono::milliseconds ready_timeout = std::chrono::seconds(60);
};

class Cluster {
 public:
  // Starts the nodes, assigns slots (CLUSTER ADDSLOTSRANGE), joins them
  // (CLUSTER MEET), attaches replicas (CLUSTER REPLICATE) and waits until
  // wait_ready() holds. Throws with the nodes' logs when it does not.
  explicit Cluster(ClusterOptions options = {});
  ~Cluster();  // stops every node
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  std::size_t size() const { return nodes_.size(); }
  ServerProcess& node(std::size_t i) { return *nodes_.at(i); }
  const ServerProcess& node(std::size_t i) const { return *nodes_.at(i); }
  // Nodes 0..primaries-1 started as primaries; replica r of primary p is node
  // primaries + p*R + r. Roles can change after a failover: role() asks.
  std::size_t initial_primary_count() const { return static_cast<std::size_t>(options_.primaries); }
  std::vector<int> ports() const;
  std::string seed_url() const;  // every node, comma separated, valkey:// scheme
  const std::string& node_id(std::size_t i) const { return ids_.at(i); }
  std::string role(std::size_t i) const;  // "master" or "slave" from ROLE, live
  // The port of the node that serves `slot` now, from CLUSTER SLOTS on a live node.
  int port_for_slot(int slot) const;
  // The index of the node listening on `port`; throws when there is none.
  std::size_t node_on_port(int port) const;
  // The index of the node that serves `key`'s slot now (port_for_slot).
  std::size_t owner_of(std::string_view key) const { return node_on_port(port_for_slot(key_slot(key))); }
  std::string address(std::size_t i) const;  // "127.0.0.1:<port>" of node i
  static int key_slot(std::string_view key);  // CRC16 with {hash tags}
  // Moves an empty `slot` to the primary `target` the way a resharding tool
  // does (IMPORTING on the target, MIGRATING on the owner, then SETSLOT NODE
  // on the target first, the old owner next and the other primaries last),
  // and waits until every live node reports `target` as the owner. Importing
  // makes the target bump its config epoch, so the old owner's gossip cannot
  // hand the slot back while the other nodes are still being told (a bare
  // SETSLOT NODE on each node in turn can leave two nodes pointing at each
  // other). Throws when a node refuses or the nodes do not agree in time.
  void give_slot(int slot, std::size_t target, std::chrono::milliseconds limit = std::chrono::seconds(10));

  // Every live node: cluster_state:ok, all 16384 slots ok, knows every live
  // node, and every replica's link to its primary is up. Call after faults.
  void wait_ready(std::chrono::milliseconds limit = std::chrono::seconds(60)) const;
  std::string logs() const;  // all nodes' logs, for failure messages
  void stop();

 private:
  ClusterOptions options_;
  std::vector<std::unique_ptr<ServerProcess>> nodes_;
  std::vector<std::string> ids_;
};

}  // namespace valkey::test
