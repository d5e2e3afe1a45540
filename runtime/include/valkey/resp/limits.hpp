#pragma once
#include <cstddef>

namespace valkey::resp {

/// Bounds against a broken or hostile peer. Exceeding one is a protocol error:
/// the connection that saw it drops its socket, the request being read fails
/// with that error and the others in flight as on a lost connection.
struct Limits {
  std::size_t max_depth = 64;                        ///< nesting of aggregates
  std::size_t max_bulk_length = 512u * 1024 * 1024;  ///< one bulk/verbatim/blob error (server's proto-max-bulk-len)
  std::size_t max_line_length = 64u * 1024;          ///< a simple string/error/number line
  std::size_t max_aggregate_size = 1u << 26;         ///< elements announced by one header
  std::size_t max_message_bytes = 1024u * 1024 * 1024;  ///< bytes of one top-level message
};

}  // namespace valkey::resp
