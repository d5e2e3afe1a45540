#pragma once
/// \file
/// The one mapping from a request's outcome to what the caller sees: a value,
/// an std::error_code + valkey::Diagnostics, or an exception (valkey::Error,
/// valkey::ServerError). Every executor and every completion token goes
/// through it, so a failure reads the same everywhere:
///
/// \code{.unparsed}
///   <command> on <endpoint>: <reason>
///   "GET on 127.0.0.1:6379: WRONGTYPE Operation against a key holding the wrong kind of value"
///   "GET on 127.0.0.1:1: not connected: Connection refused"
///   "GET on 127.0.0.1:6379: authentication failed: HELLO refused: WRONGPASS invalid username-password pair ..."
///   "GET on 127.0.0.1:6379: reply holds a number that does not parse (received bulk string \"abc\", wanted std::int64_t)"
/// \endcode
#include <exception>
#include <string>
#include <string_view>
#include <system_error>

#include <valkey/diagnostics.hpp>
#include <valkey/error.hpp>
#include <valkey/export.hpp>

namespace valkey::exec {

/// Why the replies failed, as the decoders tell it.
struct Reason {
  std::string server_message;  ///< errc::server_error: the reply's text without '-'
  std::string detail;          ///< decode errors: "received ..., wanted ..."
  void clear() noexcept {
    server_message.clear();
    detail.clear();
  }
};

/// Everything known about one failed request.
struct Failure {
  std::error_code ec;              ///< the failure's code
  const Reason* reason = nullptr;  ///< may be null
  std::string_view command;        ///< "GET", "pipeline", "batch", "transaction"; may be empty
  std::string_view endpoint;       ///< "host:port"
  /// The connection's last_error() when the request failed because the
  /// connection did (refused, auth, TLS, lost): it says why.
  std::string_view connection_error;
  /// Whether the request may have run: any of its bytes were written in an
  /// attempt that got no reply (RequestBase::was_written()). Unknown counts
  /// as written: Diagnostics::outcome then never claims "not sent" wrongly.
  bool written = true;
};

/// Codes after which the connection's last_error() explains the failure.
VALKEY_CPP_EXPORT bool is_connection_failure(std::error_code ec) noexcept;

/// The sentence (Error::what(), Diagnostics::message): `"<command> on
/// <endpoint>: <reason>"`.
VALKEY_CPP_EXPORT std::string describe(const Failure& f);
/// The reason alone, without the command and the endpoint.
VALKEY_CPP_EXPORT std::string reason(const Failure& f);
/// The context (server message, command, endpoint) an Error carries.
VALKEY_CPP_EXPORT ErrorContext context_of(const Failure& f);

/// Fills `diag` with the failure; Diagnostics::outcome from f.ec and
/// f.written (policy::outcome_of).
VALKEY_CPP_EXPORT void fill(Diagnostics& diag, const Failure& f);
/// On success: clears `diag` (nothing when it is null).
inline void clear(Diagnostics* diag) noexcept {
  if (diag && !diag->empty()) diag->clear();
}
/// Throws ServerError for server_error, Error otherwise.
[[noreturn]] VALKEY_CPP_EXPORT void raise(const Failure& f);
/// The exception raise(f) throws, as an std::exception_ptr.
VALKEY_CPP_EXPORT std::exception_ptr to_exception(const Failure& f);
/// The same from a Diagnostics a failed request filled (composed operations).
[[noreturn]] VALKEY_CPP_EXPORT void raise(std::error_code ec, const Diagnostics& diag);
/// The exception raise(ec, diag) throws, as an std::exception_ptr.
VALKEY_CPP_EXPORT std::exception_ptr to_exception(std::error_code ec, const Diagnostics& diag);

}  // namespace valkey::exec
