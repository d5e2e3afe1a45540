#pragma once
// A primary with replicas (ReplicatedSet) and sentinels watching it.
//
//   valkey::test::ReplicatedSet set;                      // primary + 2 replicas, in sync
//   valkey::test::Sentinels sentinels{set};               // 3 sentinels, quorum 2, name "mymaster"
//   sentinels.addresses();                                // "127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3"
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "server_process.hpp"

namespace valkey::test {

struct ReplicatedSetOptions {
  int replicas = 2;
  // Base options of every node (password -> masterauth too). With tls and
  // tls_replication, the replicas replicate over TLS and announce their TLS
  // port, so that sentinels name TLS ports.
  ServerOptions node;
  std::chrono::milliseconds ready_timeout = std::chrono::seconds(30);
};

class ReplicatedSet {
 public:
  explicit ReplicatedSet(ReplicatedSetOptions options = {});
  ~ReplicatedSet();
  ReplicatedSet(const ReplicatedSet&) = delete;
  ReplicatedSet& operator=(const ReplicatedSet&) = delete;

  ServerProcess& primary() { return *nodes_.at(0); }  // the initial primary
  const ServerProcess& primary() const { return *nodes_.at(0); }
  ServerProcess& replica(std::size_t i) { return *nodes_.at(i + 1); }
  std::size_t replica_count() const { return nodes_.size() - 1; }
  ServerProcess& node(std::size_t i) { return *nodes_.at(i); }  // 0 = initial primary
  std::size_t size() const { return nodes_.size(); }
  const std::string& password() const { return options_.node.password; }
  bool tls() const { return options_.node.tls && options_.node.tls_replication; }
  // The port replicas and sentinels use: the TLS port with tls().
  int link_port(std::size_t i) const { return tls() ? nodes_.at(i)->tls_port() : nodes_.at(i)->port(); }
  // Every running replica (by ROLE) has master_link_status:up.
  void wait_synced(std::chrono::milliseconds limit = std::chrono::seconds(30)) const;
  std::string logs() const;

 private:
  ReplicatedSetOptions options_;
  std::vector<std::unique_ptr<ServerProcess>> nodes_;
};

struct SentinelOptions {
  int count = 3;
  std::string master_name = "mymaster";
  int quorum = 2;
  int down_after_ms = 1000;
  int failover_timeout_ms = 5000;
  std::string password;  // requirepass of the sentinels themselves
  std::chrono::milliseconds ready_timeout = std::chrono::seconds(30);
  // The sentinels listen on a TLS port too (the set's CA and certificate)
  // and talk TLS to the nodes and to each other; the set must be tls().
  bool tls = false;
};

class Sentinels {
 public:
  // Starts the sentinels on `set` and waits until each reports the primary,
  // every replica, and the other sentinels.
  explicit Sentinels(const ReplicatedSet& set, SentinelOptions options = {});
  ~Sentinels();
  Sentinels(const Sentinels&) = delete;
  Sentinels& operator=(const Sentinels&) = delete;

  std::size_t size() const { return nodes_.size(); }
  ServerProcess& sentinel(std::size_t i) { return *nodes_.at(i); }
  const std::string& master_name() const { return options_.master_name; }
  std::vector<int> ports() const;
  std::string addresses() const;  // "127.0.0.1:P1,127.0.0.1:P2,..."
  std::string tls_addresses() const;  // the TLS ports, with SentinelOptions::tls
  // SENTINEL GET-MASTER-ADDR-BY-NAME on sentinel i: the primary's port now
  // (its TLS port when the set is tls()).
  int master_port(std::size_t i = 0) const;
  // Waits until every running sentinel names `port` as the primary (after a failover).
  void wait_master(int port, std::chrono::milliseconds limit = std::chrono::seconds(60)) const;
  std::string logs() const;

 private:
  SentinelOptions options_;
  std::size_t replicas_;
  std::vector<std::unique_ptr<ServerProcess>> nodes_;
};

}  // namespace valkey::test
