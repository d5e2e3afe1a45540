#include "perf/error_kind.hpp"

#include <valkey/error.hpp>

namespace perf {

std::string_view errc_name(int value) noexcept {
  using valkey::errc;
  switch (static_cast<errc>(value)) {
    case errc::protocol_error: return "protocol_error";
    case errc::protocol_depth_exceeded: return "protocol_depth_exceeded";
    case errc::protocol_bulk_too_large: return "protocol_bulk_too_large";
    case errc::protocol_line_too_long: return "protocol_line_too_long";
    case errc::protocol_aggregate_too_large: return "protocol_aggregate_too_large";
    case errc::protocol_message_too_large: return "protocol_message_too_large";
    case errc::unexpected_reply_type: return "unexpected_reply_type";
    case errc::unexpected_null: return "unexpected_null";
    case errc::invalid_number: return "invalid_number";
    case errc::server_error: return "server_error";
    case errc::exec_aborted: return "exec_aborted";
    case errc::not_connected: return "not_connected";
    case errc::connection_lost: return "connection_lost";
    case errc::connection_closed: return "connection_closed";
    case errc::timeout: return "timeout";
    case errc::cancelled: return "cancelled";
    case errc::queue_full: return "queue_full";
    case errc::handshake_failed: return "handshake_failed";
    case errc::auth_failed: return "auth_failed";
    case errc::health_check_failed: return "health_check_failed";
    case errc::invalid_url: return "invalid_url";
    case errc::invalid_argument: return "invalid_argument";
    case errc::tls_error: return "tls_error";
    case errc::cross_slot: return "cross_slot";
    case errc::too_many_redirects: return "too_many_redirects";
    case errc::cluster_down: return "cluster_down";
    case errc::sentinel_unreachable: return "sentinel_unreachable";
    case errc::sentinel_unknown_primary: return "sentinel_unknown_primary";
    case errc::no_replica: return "no_replica";
    case errc::wrong_role: return "wrong_role";
  }
  return {};
}

void error_kind(std::error_code ec, std::string_view server_prefix, std::string& out) {
  out.clear();
  if (ec.category() == valkey::category()) {
    std::string_view name = errc_name(ec.value());
    if (name.empty()) {
      out.append("valkey:").append(std::to_string(ec.value()));
      return;
    }
    out.append(name);
    if (ec == valkey::errc::server_error && !server_prefix.empty()) out.append(":").append(server_prefix);
    return;
  }
  out.append(ec.category().name()).append(":").append(ec.message());
}

}  // namespace perf
