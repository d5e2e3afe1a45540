#pragma once
/// \struct valkey::Role
/// valkey::Role: the reply of ROLE (db.role()), typed. The server answers an
/// array whose shape depends on what it is (https://valkey.io/commands/role/):
/// a primary its replication offset and replicas, a replica its primary and
/// the state of its link, a sentinel the primaries it monitors. The decoder
/// reads all three (RESP2 and RESP3 alike); another shape fails with
/// errc::unexpected_reply_type.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <valkey/export.hpp>

namespace valkey {

class Reply;

/// A replica as a primary's ROLE reply lists it.
struct RoleReplica {
  /// The replica's address, as the primary reports it.
  std::string host;
  /// The replica's port.
  std::int64_t port = 0;
  std::int64_t offset = 0;  ///< the replication offset it acknowledged
  /// Member-wise equality.
  friend bool operator==(const RoleReplica&, const RoleReplica&) = default;
};

struct VALKEY_CPP_EXPORT Role {
  /// What the server is.
  enum class Kind : std::uint8_t { primary, replica, sentinel };
  /// What the server is.
  Kind kind = Kind::primary;
  /// A primary: its replication offset. A replica: the offset it processed
  /// from its primary (-1 before the first sync).
  std::int64_t offset = 0;
  std::vector<RoleReplica> replicas;  ///< a primary's connected replicas
  std::string primary_host;           ///< a replica's primary
  /// A replica's primary's port.
  std::int64_t primary_port = 0;
  /// A replica's link to its primary: "connect", "connecting", "handshake",
  /// "sync" or "connected".
  std::string link_state;
  std::vector<std::string> monitored;  ///< a sentinel: the names of the primaries it monitors

  /// Member-wise equality.
  friend bool operator==(const Role&, const Role&) = default;

  /// For the decoder (adapt/decoder.hpp): fills `out` from ROLE's reply;
  /// false when the reply has none of the three shapes.
  static bool from_reply(const Reply& reply, Role& out);
  /// The type's name in decoding error messages.
  static constexpr std::string_view record_name = "valkey::Role";
};

}  // namespace valkey
