#pragma once
/// \struct valkey::exec::CallOptions
/// Per-call options: what Client::with() and AsyncClient::with() hand to the
/// request path for the calls made through the handle they return.
///
/// \code
///   db.with({.timeout = 20ms, .retry = valkey::retry::standard}).get("k");
///   db.with({.retry = valkey::retry::standard, .idempotent = true}).call({"EVALSHA", sha, "0"});
///   db.database(2).get("k");             // the same as db.with({.database = 2})
/// \endcode
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <valkey/error.hpp>
#include <valkey/policy/retry.hpp>

namespace valkey {

namespace exec {

struct CallOptions {
  /// The call's deadline, from its start (retries included); 0: the client's
  /// Config::request_timeout.
  std::chrono::milliseconds timeout{0};
  /// The retry policy for this call; unset: the client's Config::retry (none:
  /// no retries). The client's retry budget applies either way.
  std::optional<policy::RetryPolicy> retry = std::nullopt;
  /// The caller says running the command twice is harmless (a script it
  /// knows): a written, unanswered attempt may be resent. Refused with
  /// errc::invalid_argument for a blocking command.
  bool idempotent = false;
  /// The numbered database the call runs in, over the client's shared
  /// connection (the connection writes SELECT when its database changes);
  /// -1: the connection's own, Config::database. See Client::database().
  std::int32_t database = -1;
};

/// `n` when it can name a database; throws valkey::Error (invalid_argument)
/// otherwise. Whether the server has that many is the server's to say.
inline std::int32_t checked_database(std::int32_t n) {
  if (n < 0)
    throw Error(make_error_code(errc::invalid_argument),
                "database(" + std::to_string(n) + "): a database number is 0 or more");
  return n;
}

}  // namespace exec

/// Ready-made policies for CallOptions::retry and Config::retry.
namespace retry {
/// The documented defaults (docs/resilience.md): 3 attempts, 10 ms to 1 s
/// full-jitter backoff, LOADING/TRYAGAIN/CLUSTERDOWN/MASTERDOWN, the budget.
inline const policy::RetryPolicy standard{};
/// No retry (one attempt): overrides a client's Config::retry for one call;
/// a failure then reports as without a policy (connection_lost, not
/// unknown_outcome).
inline const policy::RetryPolicy none{.max_attempts = 1};
}  // namespace retry

}  // namespace valkey
