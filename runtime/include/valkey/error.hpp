#pragma once
/// \file
/// Error codes of valkey-cpp, in their own std::error_category, and the typed
/// server error that keeps the server's prefix and message.
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include <valkey/export.hpp>

namespace valkey {

/// The error codes of valkey-cpp, in category() (named "valkey").
enum class errc {
  // Protocol: the byte stream from the server is broken or over a limit. The
  // connection that saw it is closed.
  protocol_error = 1,          ///< malformed RESP
  protocol_depth_exceeded,     ///< nesting deeper than Limits::max_depth
  protocol_bulk_too_large,     ///< bulk length over Limits::max_bulk_length
  protocol_line_too_long,      ///< simple line over Limits::max_line_length
  protocol_aggregate_too_large,  ///< element count over Limits::max_aggregate_size
  protocol_message_too_large,  ///< one reply over Limits::max_message_bytes

  // Decoding a reply into a C++ type.
  unexpected_reply_type,       ///< the reply's shape does not fit the requested type
  unexpected_null,             ///< null where the type has no empty state
  invalid_number,              ///< an integer or double that does not parse

  // Server replies.
  server_error,                ///< an error reply; Error::server_message() has the text
  exec_aborted,                ///< EXEC returned null: a WATCHed key changed

  // Connection life.
  not_connected,               ///< fail-fast while disconnected
  connection_lost,             ///< the connection dropped with the request pending
  connection_closed,           ///< the client was closed or destroyed
  timeout,                     ///< the request's deadline passed
  cancelled,                   ///< cancelled through its cancellation slot
  queue_full,                  ///< the bounded request queue is full
  handshake_failed,            ///< HELLO/AUTH/SELECT/SETNAME was refused
  auth_failed,                 ///< wrong password or unknown user
  health_check_failed,         ///< the peer stopped answering the idle PING
  invalid_url,                 ///< a connection URL that does not parse
  invalid_argument,            ///< an argument the client refuses to send
  tls_error,                   ///< TLS handshake or verification failure

  // Cluster.
  cross_slot,                  ///< keys in several slots for a command that cannot be split
  too_many_redirects,          ///< MOVED/ASK past ClusterConfig::max_redirects for one request
  cluster_down,                ///< the cluster cannot serve the slot (CLUSTERDOWN, no owner) within the budget

  // Sentinel.
  sentinel_unreachable,        ///< no sentinel answered (the connection's last_error() names each and why)
  sentinel_unknown_primary,    ///< every sentinel that answered knows no primary by that name
  no_replica,                  ///< replicas asked for, none is up
  wrong_role,                  ///< ROLE differs from what the sentinel reported (stale or mid-failover)

  // Resilience policies (docs/resilience.md).
  unknown_outcome,             ///< written, no reply, not safe to resend: it may or may not have run
  circuit_open,                ///< the endpoint's circuit breaker is open: nothing was sent
};

/// The std::error_category of errc; its name() is "valkey".
VALKEY_CPP_EXPORT const std::error_category& category() noexcept;

/// The enumerator's name ("timeout", "connection_lost"): a stable,
/// low-cardinality label for metrics and logs. Empty for a value that is not
/// an enumerator.
VALKEY_CPP_EXPORT std::string_view name_of(errc e) noexcept;

/// Makes an errc a std::error_code in category().
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

/// What a failed request knows about itself, beyond its code: kept by
/// valkey::Error and copied into valkey::Diagnostics by the non-throwing APIs.
struct ErrorContext {
  /// The server's own words, without the leading '-': the error reply
  /// (server_error), or the refusal that failed the handshake (auth_failed,
  /// handshake_failed: "WRONGPASS invalid username-password pair ...").
  std::string server_message;
  /// The command ("GET"), "pipeline", "batch" or "transaction"; empty when none ran.
  std::string command;
  /// "host:port" or "unix:/path".
  std::string endpoint;
};

/// Thrown by the throwing APIs (and handed to use_awaitable / use_future). A
/// request's failure carries its context, and what() reads as one sentence:
/// \code
///   "GET on 127.0.0.1:6379: WRONGTYPE Operation against a key holding the wrong kind of value"
///   "GET on 127.0.0.1:1: not connected: Connection refused"
///   "GET on 127.0.0.1:6379: reply holds a number that does not parse (received bulk string \"abc\", wanted std::int64_t)"
/// \endcode
class VALKEY_CPP_EXPORT Error : public std::system_error {
 public:
  /// what(): the code's message.
  explicit Error(std::error_code ec);
  /// what(): `"<what>: <the code's message>"`, the std::system_error convention.
  Error(std::error_code ec, const std::string& what);
  /// what(): `text` as is; context() keeps the parts.
  Error(std::error_code ec, std::string text, ErrorContext context);

  /// The message, as the constructor made it.
  const char* what() const noexcept override;
  /// The failed request's context; empty fields when it has none.
  const ErrorContext& context() const noexcept;
  // Shorthands for context()'s fields.
  /// The server's own words: context().server_message.
  const std::string& server_message() const noexcept { return context().server_message; }
  /// The command: context().command.
  const std::string& command() const noexcept { return context().command; }
  /// The endpoint: context().endpoint.
  const std::string& endpoint() const noexcept { return context().endpoint; }
  /// The first word of server_message(): WRONGTYPE, NOSCRIPT, MOVED, ASK,
  /// LOADING, BUSY, NOAUTH, WRONGPASS, ERR...
  std::string_view prefix() const noexcept;

 private:
  struct Text;
  std::shared_ptr<const Text> text_;  // shared: exceptions copy without throwing
};

/// An error reply from the server: "-WRONGTYPE Operation against a key ...".
/// prefix() is the first word, message() the whole text without the leading '-'
/// (the same as server_message()).
class VALKEY_CPP_EXPORT ServerError : public Error {
 public:
  /// An error with `message` (the reply's text without the '-') as what()
  /// and as server_message().
  explicit ServerError(std::string message);
  /// what() is `text`; context() keeps the parts.
  ServerError(std::string text, ErrorContext context);
  /// The whole error text without the leading '-'.
  const std::string& message() const noexcept { return server_message(); }
  /// Whether prefix() is `p` ("WRONGTYPE", "NOSCRIPT"...).
  bool is(std::string_view p) const noexcept { return prefix() == p; }
};

}  // namespace valkey

/// Lets a valkey::errc convert to std::error_code.
template <>
struct std::is_error_code_enum<valkey::errc> : std::true_type {};
