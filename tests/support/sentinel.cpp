#include "sentinel.hpp"

#include <stdexcept>

#include "wait.hpp"

namespace valkey::test {

ReplicatedSet::ReplicatedSet(ReplicatedSetOptions options) : options_(std::move(options)) {
  ServerOptions base = options_.node;
  if (!base.password.empty()) base.config.push_back("masterauth " + base.password);
  base.config.insert(base.config.begin(), "repl-ping-replica-period 1");  // replica offsets move at once
  nodes_.push_back(std::make_unique<ServerProcess>(base));
  for (int i = 0; i < options_.replicas; ++i) {
    ServerOptions r = base;
    if (base.tls && !base.tls_files) r.tls_files = nodes_.front()->shared_tls_files();
    r.config.push_back("replicaof 127.0.0.1 " + std::to_string(link_port(0)));
    nodes_.push_back(std::make_unique<ServerProcess>(r));
  }
  try {
    wait_synced(options_.ready_timeout);
    wait_until("the primary to list its replicas", options_.ready_timeout, [&](std::string& state) {
      auto info = primary().command({"INFO", "replication"}).as_string();
      state = "connected_slaves:" + info_field(info, "connected_slaves");
      return info_field(info, "connected_slaves") == std::to_string(options_.replicas);
    });
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("replicated set did not come up: ") + e.what() + "\n" + logs());
  }
}

ReplicatedSet::~ReplicatedSet() = default;  // each ServerProcess stops itself

void ReplicatedSet::wait_synced(std::chrono::milliseconds limit) const {
  wait_until("replicas to sync", limit, [&](std::string& state) {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const auto& n = *nodes_[i];
      if (!n.running() || n.paused()) continue;
      auto info = n.command({"INFO", "replication"}).as_string();
      if (info_field(info, "role") == "slave" && info_field(info, "master_link_status") != "up") {
        state = "node " + std::to_string(i) + " master_link_status:" + info_field(info, "master_link_status");
        return false;
      }
    }
    return true;
  });
}

std::string ReplicatedSet::logs() const {
  std::string out;
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    out += "=== node " + std::to_string(i) + " (port " + std::to_string(nodes_[i]->port()) + ") ===\n" +
           nodes_[i]->log() + "\n";
  return out;
}

Sentinels::Sentinels(const ReplicatedSet& set, SentinelOptions options)
    : options_(std::move(options)), replicas_(set.replica_count()) {
  ServerOptions base;
  base.kind = ServerKind::sentinel;
  base.password = options_.password;
  if (options_.tls) {
    if (!set.tls()) throw std::invalid_argument("TLS sentinels need a set with tls and tls_replication");
    base.tls = true;
    base.tls_replication = true;  // sentinels connect to nodes and to each other over TLS
    base.tls_files = set.primary().shared_tls_files();
  }
  const std::string& name = options_.master_name;
  base.config = {
      "sentinel monitor " + name + " 127.0.0.1 " + std::to_string(set.link_port(0)) + " " +
          std::to_string(options_.quorum),
      "sentinel down-after-milliseconds " + name + " " + std::to_string(options_.down_after_ms),
      "sentinel failover-timeout " + name + " " + std::to_string(options_.failover_timeout_ms),
      "sentinel parallel-syncs " + name + " 1",
  };
  if (!set.password().empty()) base.config.push_back("sentinel auth-pass " + name + " " + set.password());
  // Sentinels talk to each other with their own password, when they have one.
  if (!options_.password.empty()) base.config.push_back("sentinel sentinel-pass " + options_.password);
  for (int i = 0; i < options_.count; ++i) nodes_.push_back(std::make_unique<ServerProcess>(base));

  const std::string want_port = std::to_string(set.link_port(0));
  try {
    wait_until("sentinels to see the primary, its replicas and each other", options_.ready_timeout,
               [&](std::string& state) {
                 for (std::size_t i = 0; i < nodes_.size(); ++i) {
                   auto& s = *nodes_[i];
                   auto addr = s.command({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", name});
                   auto others = s.command({"SENTINEL", "SENTINELS", name});
                   auto replicas = s.command({"SENTINEL", "REPLICAS", name});
                   if (addr.elements.size() != 2 || addr.elements[1].as_string() != want_port ||
                       others.elements.size() + 1 != nodes_.size() || replicas.elements.size() != replicas_) {
                     state = "sentinel " + std::to_string(i) + ": master " + addr.to_string() + ", " +
                             std::to_string(others.elements.size()) + " other sentinels, " +
                             std::to_string(replicas.elements.size()) + " replicas";
                     return false;
                   }
                 }
                 return true;
               },
               std::chrono::milliseconds(100));
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("sentinels did not come up: ") + e.what() + "\n" + logs());
  }
}

Sentinels::~Sentinels() = default;

std::vector<int> Sentinels::ports() const {
  std::vector<int> out;
  for (const auto& n : nodes_) out.push_back(n->port());
  return out;
}

std::string Sentinels::addresses() const {
  std::string out;
  for (const auto& n : nodes_) out += (out.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(n->port());
  return out;
}

std::string Sentinels::tls_addresses() const {
  std::string out;
  for (const auto& n : nodes_)
    out += (out.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(n->tls_port());
  return out;
}

int Sentinels::master_port(std::size_t i) const {
  auto addr = nodes_.at(i)->command({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", options_.master_name});
  if (addr.elements.size() != 2) throw std::runtime_error("GET-MASTER-ADDR-BY-NAME: " + addr.to_string());
  return std::stoi(addr.elements[1].as_string());
}

void Sentinels::wait_master(int port, std::chrono::milliseconds limit) const {
  wait_until("sentinels to name port " + std::to_string(port) + " as the primary", limit, [&](std::string& state) {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (!nodes_[i]->running() || nodes_[i]->paused()) continue;
      int p = master_port(i);
      if (p != port) {
        state = "sentinel " + std::to_string(i) + " names " + std::to_string(p);
        return false;
      }
    }
    return true;
  }, std::chrono::milliseconds(100));
}

std::string Sentinels::logs() const {
  std::string out;
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    out += "=== sentinel " + std::to_string(i) + " (port " + std::to_string(nodes_[i]->port()) + ") ===\n" +
           nodes_[i]->log() + "\n";
  return out;
}

}  // namespace valkey::test
