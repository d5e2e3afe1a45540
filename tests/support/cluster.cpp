#include "cluster.hpp"

#include <map>
#include <sstream>
#include <stdexcept>

#include "wait.hpp"

namespace valkey::test {
namespace {

using namespace std::chrono_literals;

struct NodeLine {
  std::string id, flags, master;
};

std::vector<NodeLine> parse_nodes(const std::string& text) {
  std::vector<NodeLine> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    NodeLine n;
    std::string addr;
    if (f >> n.id >> addr >> n.flags >> n.master) out.push_back(n);
  }
  return out;
}

void expect_ok(const RespValue& r, const std::string& what) {
  if (r.is_error()) throw std::runtime_error(what + " failed: " + r.str);
}

}  // namespace

Cluster::Cluster(ClusterOptions options) : options_(std::move(options)) {
  if (options_.primaries < 1 || options_.replicas_per_primary < 0)
    throw std::invalid_argument("Cluster needs at least one primary");
  ServerOptions base = options_.node;
  base.cluster = true;
  if (!base.password.empty()) base.config.push_back("masterauth " + base.password);
  // CLUSTER SLOTS lists a replica only once its replication offset is non-zero,
  // which on an idle primary happens at its first replication PING (10 s by
  // default); 1 s keeps startup short.
  base.config.insert(base.config.begin(), "repl-ping-replica-period 1");
  const int total = options_.primaries * (1 + options_.replicas_per_primary);
  // One CA for the whole cluster, so nodes can verify each other.
  if (base.tls && !base.tls_files) {
    nodes_.push_back(std::make_unique<ServerProcess>(base));
    base.tls_files = nodes_.front()->shared_tls_files();
  }
  while (static_cast<int>(nodes_.size()) < total) nodes_.push_back(std::make_unique<ServerProcess>(base));

  try {
    for (auto& n : nodes_) ids_.push_back(n->command({"CLUSTER", "MYID"}).as_string());
    // Distinct epochs before the nodes meet, as valkey-cli does, so no epoch
    // collision has to be resolved while the test waits.
    for (int p = 0; p < options_.primaries; ++p) {
      expect_ok(node(p).command({"CLUSTER", "SET-CONFIG-EPOCH", std::to_string(p + 1)}), "CLUSTER SET-CONFIG-EPOCH");
      int first = 16384 * p / options_.primaries;
      int last = 16384 * (p + 1) / options_.primaries - 1;
      expect_ok(node(p).command({"CLUSTER", "ADDSLOTSRANGE", std::to_string(first), std::to_string(last)}),
                "CLUSTER ADDSLOTSRANGE");
    }
    for (std::size_t i = 1; i < nodes_.size(); ++i)
      expect_ok(node(i).command({"CLUSTER", "MEET", "127.0.0.1", std::to_string(node(0).port()),
                                 std::to_string(node(0).cluster_bus_port())}),
                "CLUSTER MEET");

    const auto every_node_knows = [&](std::string& state) {
      for (std::size_t i = 0; i < nodes_.size(); ++i) {
        auto lines = parse_nodes(node(i).command({"CLUSTER", "NODES"}).as_string());
        std::size_t settled = 0;
        for (const auto& l : lines)
          if (l.flags.find("handshake") == std::string::npos && l.flags.find("noaddr") == std::string::npos) ++settled;
        if (settled != nodes_.size()) {
          state = "node " + std::to_string(i) + " knows " + std::to_string(settled) + " of " +
                  std::to_string(nodes_.size()) + " nodes";
          return false;
        }
      }
      return true;
    };
    wait_until("all cluster nodes to meet", options_.ready_timeout, every_node_knows);

    for (int p = 0; p < options_.primaries; ++p)
      for (int r = 0; r < options_.replicas_per_primary; ++r) {
        std::size_t i = static_cast<std::size_t>(options_.primaries + p * options_.replicas_per_primary + r);
        expect_ok(node(i).command({"CLUSTER", "REPLICATE", ids_.at(static_cast<std::size_t>(p))}), "CLUSTER REPLICATE");
      }

    // Every node must see every replica under its primary, so that CLUSTER
    // SLOTS/SHARDS from any seed lists the replicas.
    std::map<std::string, std::string> want_master;
    for (int p = 0; p < options_.primaries; ++p)
      for (int r = 0; r < options_.replicas_per_primary; ++r)
        want_master[ids_.at(static_cast<std::size_t>(options_.primaries + p * options_.replicas_per_primary + r))] =
            ids_.at(static_cast<std::size_t>(p));
    wait_until("every node to see the replicas", options_.ready_timeout, [&](std::string& state) {
      for (std::size_t i = 0; i < nodes_.size(); ++i)
        for (const auto& l : parse_nodes(node(i).command({"CLUSTER", "NODES"}).as_string())) {
          auto it = want_master.find(l.id);
          if (it != want_master.end() && (l.flags.find("slave") == std::string::npos || l.master != it->second)) {
            state = "node " + std::to_string(i) + " sees " + l.id + " as " + l.flags;
            return false;
          }
        }
      return true;
    });
    wait_ready(options_.ready_timeout);
    const std::size_t per_range = 3 + static_cast<std::size_t>(options_.replicas_per_primary);
    wait_until("CLUSTER SLOTS to list every replica on every node", options_.ready_timeout, [&](std::string& state) {
      for (std::size_t i = 0; i < nodes_.size(); ++i) {
        auto slots = node(i).command({"CLUSTER", "SLOTS"});
        for (const auto& range : slots.elements)
          if (range.elements.size() != per_range) {
            state = "node " + std::to_string(i) + ": " + range.to_string();
            return false;
          }
      }
      return true;
    });
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("cluster did not come up: ") + e.what() + "\n" + logs());
  }
}

Cluster::~Cluster() { stop(); }

void Cluster::stop() {
  for (auto& n : nodes_) {
    try {
      n->stop();
    } catch (...) {
    }
  }
}

std::vector<int> Cluster::ports() const {
  std::vector<int> out;
  for (const auto& n : nodes_) out.push_back(n->port());
  return out;
}

std::string Cluster::seed_url() const {
  std::string out = "valkey://";
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (i) out += ",";
    out += "127.0.0.1:" + std::to_string(nodes_[i]->port());
  }
  return out;
}

std::string Cluster::role(std::size_t i) const {
  auto r = node(i).command({"ROLE"});
  if (r.elements.empty()) throw std::runtime_error("ROLE: unexpected reply " + r.to_string());
  return r.elements.front().as_string();
}

int Cluster::port_for_slot(int slot) const {
  for (const auto& n : nodes_) {
    if (!n->running() || n->paused()) continue;
    auto slots = n->command({"CLUSTER", "SLOTS"});
    for (const auto& range : slots.elements) {
      if (range.elements.size() < 3) continue;
      if (slot >= range.elements[0].integer && slot <= range.elements[1].integer)
        return static_cast<int>(range.elements[2].elements.at(1).integer);
    }
    throw std::runtime_error("slot " + std::to_string(slot) + " is not served: " + slots.to_string());
  }
  throw std::runtime_error("no live cluster node to ask");
}

std::size_t Cluster::node_on_port(int port) const {
  for (std::size_t i = 0; i < size(); ++i)
    if (node(i).port() == port) return i;
  throw std::runtime_error("no cluster node listens on port " + std::to_string(port));
}

std::string Cluster::address(std::size_t i) const { return "127.0.0.1:" + std::to_string(node(i).port()); }

void Cluster::give_slot(int slot, std::size_t target, std::chrono::milliseconds limit) {
  const std::size_t source = node_on_port(port_for_slot(slot));
  if (source == target) return;
  const int target_port = node(target).port();
  const std::string s = std::to_string(slot);
  auto setslot = [&](std::size_t i, const std::string& state, const std::string& id) {
    auto r = node(i).command({"CLUSTER", "SETSLOT", s, state, id});
    if (r.as_string() != "OK")
      throw std::runtime_error("CLUSTER SETSLOT " + s + " " + state + " on node " + std::to_string(i) + ": " +
                               r.to_string());
  };
  setslot(target, "IMPORTING", node_id(source));
  setslot(source, "MIGRATING", node_id(target));
  setslot(target, "NODE", node_id(target));
  setslot(source, "NODE", node_id(target));
  for (std::size_t i = 0; i < size(); ++i)
    if (i != target && i != source && node(i).running() && !node(i).paused() && role(i) == "master")
      setslot(i, "NODE", node_id(target));
  wait_until("every node to name port " + std::to_string(target_port) + " as the owner of slot " + s, limit,
             [&](std::string& state) {
               for (const auto& n : nodes_) {
                 if (!n->running() || n->paused()) continue;
                 auto slots = n->command({"CLUSTER", "SLOTS"});
                 int owner = -1;
                 for (const auto& range : slots.elements)
                   if (range.elements.size() >= 3 && slot >= range.elements[0].integer &&
                       slot <= range.elements[1].integer)
                     owner = static_cast<int>(range.elements[2].elements.at(1).integer);
                 if (owner != target_port) {
                   state = "port " + std::to_string(n->port()) + " names " + std::to_string(owner);
                   return false;
                 }
               }
               return true;
             });
}

int Cluster::key_slot(std::string_view key) {
  auto open = key.find('{');
  if (open != std::string_view::npos) {
    auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
  }
  std::uint16_t crc = 0;  // CRC16-CCITT (XModem), as the cluster spec uses
  for (unsigned char c : key) {
    crc ^= static_cast<std::uint16_t>(c << 8);
    for (int b = 0; b < 8; ++b) crc = static_cast<std::uint16_t>(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  return crc % 16384;
}

void Cluster::wait_ready(std::chrono::milliseconds limit) const {
  wait_until("cluster_state:ok on every live node", limit, [&](std::string& state) {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const auto& n = *nodes_[i];
      if (!n.running() || n.paused()) continue;
      auto info = n.command({"CLUSTER", "INFO"}).as_string();
      if (info_field(info, "cluster_state") != "ok" || info_field(info, "cluster_slots_ok") != "16384") {
        state = "node " + std::to_string(i) + ": cluster_state:" + info_field(info, "cluster_state") +
                " cluster_slots_ok:" + info_field(info, "cluster_slots_ok");
        return false;
      }
      auto repl = n.command({"INFO", "replication"}).as_string();
      if (info_field(repl, "role") == "slave" && info_field(repl, "master_link_status") != "up") {
        state = "replica " + std::to_string(i) + " master_link_status:" + info_field(repl, "master_link_status");
        return false;
      }
    }
    return true;
  });
}

std::string Cluster::logs() const {
  std::string out;
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    out += "=== node " + std::to_string(i) + " (port " + std::to_string(nodes_[i]->port()) + ") ===\n" +
           nodes_[i]->log() + "\n";
  return out;
}

}  // namespace valkey::test
