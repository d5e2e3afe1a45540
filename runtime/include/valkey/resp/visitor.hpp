#pragma once
/// \class valkey::resp::Visitor
/// What the parser feeds. Implementations build a valkey::Reply, decode straight
/// into a C++ type, or route a push message; the parser knows none of them.
#include <valkey/resp/node.hpp>

namespace valkey::resp {

class Visitor {
 public:
  /// Called once per node, in pre-order. A visitor that cannot use a node (a
  /// type mismatch) records that itself and keeps accepting the rest of the
  /// message: the bytes must be consumed either way to keep the stream in sync.
  virtual void on_node(const Node& node) = 0;
  /// Called after the last node of a complete top-level message.
  virtual void on_message_end() {}

 protected:
  ~Visitor() = default;
};

}  // namespace valkey::resp
