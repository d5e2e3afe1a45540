#pragma once
// Error codes of valkey-cpp, in their own std::error_category, and the typed
// server error that keeps the server's prefix and message.
#include <string>
#include <string_view>
#include <system_error>

namespace valkey {

enum class errc {
  // Protocol: the byte stream from the server is broken or over a limit. The
  // connection that saw it is closed.
  protocol_error = 1,          // malformed RESP
  protocol_depth_exceeded,     // nesting deeper than Limits::max_depth
  protocol_bulk_too_large,     // bulk length over Limits::max_bulk_length
  protocol_line_too_long,      // simple line over Limits::max_line_length
  protocol_aggregate_too_large,  // element count over Limits::max_aggregate_size
  protocol_message_too_large,  // one reply over Limits::max_message_bytes

  // Decoding a reply into a C++ type.
  unexpected_reply_type,       // the reply's shape does not fit the requested type
  unexpected_null,             // null where the type has no empty state
  invalid_number,              // an integer or double that does not parse

  // Server replies.
  server_error,                // an error reply; Error::server_message() has the text
  exec_aborted,                // EXEC returned null: a WATCHed key changed

  // Connection life.
  not_connected,               // fail-fast while disconnected
  connection_lost,             // the connection dropped with the request pending
  connection_closed,           // the client was closed or destroyed
  timeout,                     // the request's deadline passed
  cancelled,                   // cancelled through its cancellation slot
  queue_full,                  // the bounded request queue is full
  handshake_failed,            // HELLO/AUTH/SELECT/SETNAME was refused
  auth_failed,                 // wrong password or unknown user
  health_check_failed,         // the peer stopped answering the idle PING
  invalid_url,                 // a connection URL that does not parse
  invalid_argument,            // an argument the client refuses to send
  tls_error,                   // TLS handshake or verification failure
};

const std::error_category& category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

// Thrown by the throwing APIs; the error_code overloads hand out the code and,
// for server errors, fill a ServerError.
class Error : public std::system_error {
 public:
  explicit Error(std::error_code ec) : std::system_error(ec) {}
  Error(std::error_code ec, const std::string& what) : std::system_error(ec, what) {}
};

// An error reply from the server: "-WRONGTYPE Operation against a key ..."
// prefix() is the first word (WRONGTYPE, NOSCRIPT, MOVED, ASK, LOADING, BUSY,
// NOAUTH, ERR...), message() the whole text without the leading '-'.
class ServerError : public Error {
 public:
  explicit ServerError(std::string message);
  const std::string& message() const noexcept { return message_; }
  std::string_view prefix() const noexcept;
  bool is(std::string_view p) const noexcept { return prefix() == p; }

 private:
  std::string message_;
};

}  // namespace valkey

template <>
struct std::is_error_code_enum<valkey::errc> : std::true_type {};
