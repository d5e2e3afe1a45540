// Outcome classification of a request's error code (see outcome.hpp).
#include <valkey/error.hpp>
#include <valkey/policy/outcome.hpp>

namespace valkey::policy {

namespace {
bool is_valkey(std::error_code ec) noexcept { return ec.category() == valkey::category(); }
}  // namespace

std::string_view to_string(Outcome o) noexcept {
  switch (o) {
    case Outcome::not_sent: return "not_sent";
    case Outcome::sent_no_reply: return "sent_no_reply";
    case Outcome::server_error: return "server_error";
    case Outcome::ok: return "ok";
  }
  return "unknown";
}

Outcome outcome_of(std::error_code ec, bool written) noexcept {
  if (!ec) return Outcome::ok;
  if (is_valkey(ec)) {
    switch (static_cast<errc>(ec.value())) {
      case errc::server_error:
      case errc::exec_aborted:
        return Outcome::server_error;
      case errc::unexpected_reply_type:
      case errc::unexpected_null:
      case errc::invalid_number:
        return Outcome::ok;
      default:
        break;
    }
  }
  return written ? Outcome::sent_no_reply : Outcome::not_sent;
}

bool transient(std::error_code ec) noexcept {
  if (!ec) return false;
  if (!is_valkey(ec)) return true;  // Asio/system: resets, refused connections, EOF
  switch (static_cast<errc>(ec.value())) {
    case errc::not_connected:
    case errc::connection_lost:
    case errc::timeout:
    case errc::health_check_failed:
      return true;
    default:
      return false;
  }
}

Failure failure_of(std::error_code ec, bool written, std::string_view server_message) noexcept {
  Failure f;
  f.outcome = outcome_of(ec, written);
  f.transient = transient(ec);
  if (f.outcome == Outcome::server_error) f.server_prefix = server_message.substr(0, server_message.find(' '));
  return f;
}

}  // namespace valkey::policy
