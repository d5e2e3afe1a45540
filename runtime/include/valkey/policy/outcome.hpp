#pragma once
/// \file
/// What a failed (or finished) request did on the server, as far as the client
/// can know, and whether sending it again could change the result. The retry
/// policy decides on these two facts, never on the error code alone.
#include <string_view>
#include <system_error>

#include <valkey/export.hpp>

namespace valkey::policy {

/// What a request did on the server, as far as the client can know.
enum class Outcome {
  not_sent,       ///< the server certainly did not run it: never fully written
  sent_no_reply,  ///< written, no reply: it may or may not have run
  server_error,   ///< the server answered with an error reply: it handled it
  ok,             ///< the server answered with a non-error reply
};

/// The enumerator's name ("sent_no_reply").
VALKEY_CPP_EXPORT std::string_view to_string(Outcome o) noexcept;

/// The outcome of a request that ended with `ec`; `written` says whether any of
/// its bytes reached the socket (a partial write counts as written: the server
/// may run a command from a prefix of a pipeline).
///
/// \code{.unparsed}
///   no error                                   -> ok
///   errc::server_error, errc::exec_aborted      -> server_error (the server replied;
///                                                  EXEC's null reply means it ran nothing)
///   errc::unexpected_reply_type, unexpected_null,
///   invalid_number                              -> ok (the server replied; only the
///                                                  decoding into the caller's type failed)
///   every other code, any category (not_connected, queue_full, connection_closed,
///   connection_lost, timeout, cancelled, health_check_failed, protocol_*, handshake,
///   TLS, Asio/system errors)                    -> written ? sent_no_reply : not_sent
/// \endcode
///
/// The "written" bit decides for the transport codes because the same code
/// arrives on both sides of the write: a timeout or a cancellation of a queued
/// request ran nothing, of a written one may have run. Codes the runtime only
/// produces before writing (not_connected, queue_full) still follow the bit, so
/// a caller that reports `written` is never contradicted in the unsafe direction.
VALKEY_CPP_EXPORT Outcome outcome_of(std::error_code ec, bool written) noexcept;

/// Whether sending again may succeed where this attempt failed: transport
/// failures (not_connected, connection_lost, timeout, health_check_failed,
/// Asio/system errors) are transient. Not transient: `protocol_*` (the request
/// that gets it is the one whose reply was broken or over a limit; sent again it
/// gets the same reply), decisions of the caller (cancelled, connection_closed: the
/// client was closed), back-pressure (queue_full: retrying adds load exactly
/// when the queue is full), configuration and input errors (invalid_url,
/// invalid_argument, auth_failed, handshake_failed, tls_error), decoding errors,
/// and server errors (their prefix decides, see RetryPolicy).
VALKEY_CPP_EXPORT bool transient(std::error_code ec) noexcept;

/// The facts of one failed attempt a retry decision needs.
struct Failure {
  /// What the attempt did on the server.
  Outcome outcome = Outcome::not_sent;
  /// Whether sending again may succeed (transient()).
  bool transient = false;
  std::string_view server_prefix = {};  ///< first word of the error reply (server_error)
};

/// outcome_of() and transient() together; `server_message` is the error reply
/// without its '-' (Diagnostics::server_message), its first word the prefix.
VALKEY_CPP_EXPORT Failure failure_of(std::error_code ec, bool written, std::string_view server_message = {}) noexcept;

}  // namespace valkey::policy
