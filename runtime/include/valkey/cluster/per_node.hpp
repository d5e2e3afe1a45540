#pragma once
/// \class valkey::PerNode
/// One answer per cluster node, for commands whose replies
/// cannot be merged into one (response_policy `special`, such as INFO) and for
/// the per-node access of the cluster clients. Entries are in the order the
/// nodes were asked (shards in topology order), each named by "host:port".
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace valkey {

/// One node's answer in a PerNode.
template <class T>
struct NodeValue {
  std::string node;  ///< "host:port"
  /// The node's answer.
  T value;
};

template <class T>
class PerNode {
 public:
  /// An entry: the node and its answer.
  using value_type = NodeValue<T>;
  /// Iterates over the entries in order.
  using const_iterator = typename std::vector<NodeValue<T>>::const_iterator;

  /// The answers, in the order the nodes were asked.
  std::vector<NodeValue<T>> entries;

  /// The number of answers.
  std::size_t size() const noexcept { return entries.size(); }
  /// True when no node was asked.
  bool empty() const noexcept { return entries.empty(); }
  /// The first entry.
  const_iterator begin() const noexcept { return entries.begin(); }
  /// Past the last entry.
  const_iterator end() const noexcept { return entries.end(); }
  /// Entry `i` in order (throws std::out_of_range past the end).
  const NodeValue<T>& operator[](std::size_t i) const { return entries.at(i); }

  /// The answer of node "host:port"; nullptr when it was not asked.
  const T* find(std::string_view node) const noexcept {
    for (const auto& e : entries)
      if (e.node == node) return &e.value;
    return nullptr;
  }
  /// The answer of node "host:port"; throws std::out_of_range when it was not asked.
  const T& at(std::string_view node) const {
    if (const T* v = find(node)) return *v;
    throw std::out_of_range("no answer from node " + std::string(node));
  }
};

}  // namespace valkey
