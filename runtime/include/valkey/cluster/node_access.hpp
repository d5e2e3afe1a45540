#pragma once
/// \class valkey::cluster::NodeAccess
/// Per-node access for both cluster clients, written once: a command on the
/// node "host:port", on every primary, or on every node. Derived provides
/// \code
///   template <class R, class Plan, class... Tail> decltype(auto) run(Plan&&, cluster::Target, Tail&&...);
/// \endcode
/// and the tails are its own (a completion token for AsyncClusterClient;
/// nothing, `ec` or `ec, diag` for ClusterClient).
///
/// \code
///   db.call_on("127.0.0.1:7000", {"CLIENT", "LIST"});      // valkey::Reply
///   db.call_on_primaries({"DBSIZE"});                     // PerNode<Reply>
///   db.exec_on_all_nodes(valkey::cmd::Info{});            // PerNode<std::string>
/// \endcode
#include <string_view>
#include <utility>

#include <valkey/cluster/per_node.hpp>
#include <valkey/cluster/run.hpp>
#include <valkey/command.hpp>
#include <valkey/exec/plan.hpp>
#include <valkey/reply.hpp>
#include <valkey/view.hpp>

namespace valkey::cluster {

template <class Derived>
class NodeAccess {
 public:
  // Untyped: the answer as Reply, or one per node.
  /// Runs `args` on the node "host:port"; the answer as Reply.
  template <class... Tail>
  decltype(auto) call_on(std::string_view node, Strings args, Tail&&... tail) {
    return self().template run<Reply>(exec::ArgsPlan<Reply>{args}, Target{Fanout::one_node, node},
                                      std::forward<Tail>(tail)...);
  }
  /// Runs `args` on every primary; one Reply per node (`PerNode<Reply>`).
  template <class... Tail>
  decltype(auto) call_on_primaries(Strings args, Tail&&... tail) {
    return self().template run<PerNode<Reply>>(exec::ArgsPlan<Reply>{args}, Target{Fanout::each_primary, {}},
                                               std::forward<Tail>(tail)...);
  }
  /// Runs `args` on every node, replicas included; one Reply per node (`PerNode<Reply>`).
  template <class... Tail>
  decltype(auto) call_on_all_nodes(Strings args, Tail&&... tail) {
    return self().template run<PerNode<Reply>>(exec::ArgsPlan<Reply>{args}, Target{Fanout::each_node, {}},
                                               std::forward<Tail>(tail)...);
  }

  // Typed: the command's reply type, or PerNode of it.
  /// Runs `cmd` on the node "host:port"; the answer as the command's reply type.
  template <Command Cmd, class... Tail>
  decltype(auto) exec_on(std::string_view node, const Cmd& cmd, Tail&&... tail) {
    return self().template run<typename Cmd::reply_type>(exec::CommandPlan<Cmd>{cmd}, Target{Fanout::one_node, node},
                                                         std::forward<Tail>(tail)...);
  }
  /// Runs `cmd` on every primary; a PerNode of the command's reply type.
  template <Command Cmd, class... Tail>
  decltype(auto) exec_on_primaries(const Cmd& cmd, Tail&&... tail) {
    return self().template run<PerNode<typename Cmd::reply_type>>(
        exec::CommandPlan<Cmd>{cmd}, Target{Fanout::each_primary, {}}, std::forward<Tail>(tail)...);
  }
  /// Runs `cmd` on every node, replicas included; a PerNode of the command's reply type.
  template <Command Cmd, class... Tail>
  decltype(auto) exec_on_all_nodes(const Cmd& cmd, Tail&&... tail) {
    return self().template run<PerNode<typename Cmd::reply_type>>(
        exec::CommandPlan<Cmd>{cmd}, Target{Fanout::each_node, {}}, std::forward<Tail>(tail)...);
  }

 private:
  Derived& self() noexcept { return static_cast<Derived&>(*this); }
};

}  // namespace valkey::cluster
