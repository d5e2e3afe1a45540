#include <valkey/error.hpp>

namespace valkey {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "valkey"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::protocol_error: return "protocol error: malformed reply from server";
      case errc::protocol_depth_exceeded: return "protocol error: reply nested deeper than the configured limit";
      case errc::protocol_bulk_too_large: return "protocol error: bulk string longer than the configured limit";
      case errc::protocol_line_too_long: return "protocol error: reply line longer than the configured limit";
      case errc::protocol_aggregate_too_large: return "protocol error: aggregate larger than the configured limit";
      case errc::protocol_message_too_large: return "protocol error: reply larger than the configured limit";
      case errc::unexpected_reply_type: return "reply type does not match the requested C++ type";
      case errc::unexpected_null: return "null reply where a value was required";
      case errc::invalid_number: return "reply holds a number that does not parse";
      case errc::server_error: return "server replied with an error";
      case errc::exec_aborted: return "transaction aborted: a watched key changed";
      case errc::not_connected: return "not connected";
      case errc::connection_lost: return "connection lost before the reply arrived";
      case errc::connection_closed: return "client closed";
      case errc::timeout: return "request timed out";
      case errc::cancelled: return "request cancelled";
      case errc::queue_full: return "request queue is full";
      case errc::handshake_failed: return "connection handshake failed";
      case errc::auth_failed: return "authentication failed";
      case errc::health_check_failed: return "health check failed: peer not answering";
      case errc::invalid_url: return "invalid connection URL";
      case errc::invalid_argument: return "invalid argument";
      case errc::tls_error: return "TLS error";
      case errc::cross_slot: return "keys in different cluster slots";
      case errc::too_many_redirects: return "too many cluster redirections";
      case errc::cluster_down: return "cluster cannot serve the slot";
      case errc::sentinel_unreachable: return "no sentinel answered";
      case errc::sentinel_unknown_primary: return "the sentinels know no primary by that name";
      case errc::no_replica: return "no replica available";
      case errc::wrong_role: return "the server's role is not the one the sentinel reported";
      case errc::unknown_outcome: return "outcome unknown: the request was sent and no reply came, it may have run";
      case errc::circuit_open: return "circuit open: the endpoint is failing, nothing was sent";
    }
    return "unknown valkey error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const Category c;
  return c;
}

std::string_view name_of(errc e) noexcept {
  switch (e) {
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
    case errc::unknown_outcome: return "unknown_outcome";
    case errc::circuit_open: return "circuit_open";
  }
  return {};
}

struct Error::Text {
  std::string what;
  ErrorContext context;
};

namespace {
const ErrorContext& no_context() {
  static const ErrorContext empty;
  return empty;
}
}  // namespace

Error::Error(std::error_code ec) : std::system_error(ec) {}

Error::Error(std::error_code ec, const std::string& what) : std::system_error(ec, what) {}

Error::Error(std::error_code ec, std::string text, ErrorContext context)
    : std::system_error(ec), text_(std::make_shared<const Text>(Text{std::move(text), std::move(context)})) {}

const char* Error::what() const noexcept { return text_ ? text_->what.c_str() : std::system_error::what(); }

const ErrorContext& Error::context() const noexcept { return text_ ? text_->context : no_context(); }

std::string_view Error::prefix() const noexcept {
  std::string_view m = server_message();
  return m.substr(0, m.find(' '));
}

ServerError::ServerError(std::string message)
    : ServerError(message, ErrorContext{message, {}, {}}) {}

ServerError::ServerError(std::string text, ErrorContext context)
    : Error(make_error_code(errc::server_error), std::move(text), std::move(context)) {}

}  // namespace valkey
