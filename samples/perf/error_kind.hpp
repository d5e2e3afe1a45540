#pragma once
// How a failed request is named in the counts: the valkey::errc name
// ("timeout", "connection_lost"), "server_error:PREFIX" with the first word of
// the server's reply ("server_error:WRONGTYPE"), or "<category>:<message>"
// for a code from another category (a socket error).
#include <string>
#include <string_view>
#include <system_error>

namespace perf {

// Writes the kind of `ec` into `out` (replacing its contents; a reused
// string keeps its capacity, so steady-state errors do not allocate).
// `server_prefix` is the first word of the server's message for
// errc::server_error (Diagnostics::prefix()), possibly empty.
void error_kind(std::error_code ec, std::string_view server_prefix, std::string& out);

inline std::string error_kind(std::error_code ec, std::string_view server_prefix = {}) {
  std::string out;
  error_kind(ec, server_prefix, out);
  return out;
}

}  // namespace perf
