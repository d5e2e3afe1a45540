#pragma once
/// \struct valkey::Diagnostics
/// valkey::Diagnostics: what the non-throwing APIs know about a failure beyond
/// its std::error_code. Pass one before the completion token (async) or with
/// the std::error_code (sync). After a failed request it holds the same text
/// and context a thrown valkey::Error would; after a successful one it is
/// cleared.
///
/// \code
///   std::error_code ec;
///   valkey::Diagnostics diag;
///   db.get("list", ec, diag);
///   // ec == errc::server_error, diag.prefix() == "WRONGTYPE",
///   // diag.message == "GET on 127.0.0.1:6379: WRONGTYPE Operation against a key ..."
/// \endcode
#include <string>
#include <string_view>

#include <valkey/policy/outcome.hpp>

namespace valkey {

struct Diagnostics {
  /// The server's own words, without the leading '-': the error reply
  /// (errc::server_error), or the handshake's refusal (auth_failed,
  /// handshake_failed). Empty for failures the server did not explain.
  std::string server_message;
  /// The whole sentence, as valkey::Error::what() reads: command, endpoint and
  /// reason ("GET on 127.0.0.1:1: not connected: Connection refused").
  std::string message;
  /// The command ("GET"), "pipeline", "batch" or "transaction".
  std::string command;
  /// "host:port" or "unix:/path".
  std::string endpoint;
  /// What the failed request did on the server as far as the client knows:
  /// not_sent (it certainly did not run), sent_no_reply (written, no reply:
  /// it may have run; errc::unknown_outcome says so when a resend was not
  /// safe), server_error (the server answered with an error). `ok` after a
  /// success, and for decoding errors (the server answered).
  policy::Outcome outcome = policy::Outcome::ok;

  /// The first word of server_message: WRONGTYPE, NOSCRIPT, MOVED, ASK,
  /// LOADING, BUSY, NOAUTH, WRONGPASS, ERR...
  std::string_view prefix() const noexcept {
    std::string_view m = server_message;
    return m.substr(0, m.find(' '));
  }
  /// Whether it holds no failure: no server message and no message.
  bool empty() const noexcept { return server_message.empty() && message.empty(); }
  /// Empties every field; `outcome` goes back to ok.
  void clear() noexcept {
    server_message.clear();
    message.clear();
    command.clear();
    endpoint.clear();
    outcome = policy::Outcome::ok;
  }
};

}  // namespace valkey
