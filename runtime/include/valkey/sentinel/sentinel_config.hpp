#pragma once
/// \struct valkey::SentinelConfig
/// Where the sentinels are, which primary they watch, and how to talk to the
/// sentinels and to the data nodes (separately: credentials, TLS, timeouts).
/// Build it field by field, or parse a URL:
///
/// \code{.unparsed}
/// valkey+sentinel://[user[:password]@]host[:port][,host[:port]...]/primary_name[/db][?option=value&...]
/// valkeys+sentinel://...   TLS to sentinels and nodes (also rediss+sentinel://)
/// redis+sentinel://...     the same as valkey+sentinel://
/// \endcode
///
/// A sentinel without a port is on 26379. The userinfo is the credentials of
/// both the sentinels and the nodes; the options sentinel_user,
/// sentinel_password, node_user and node_password replace them for one side
/// (present but empty: no password on that side).
///
/// Sentinel options: `role=primary|replica`,
/// `read_from=primary|replica_preferred|replica`, recheck_interval (a
/// duration), `follow_events=true|false`. Every option of Config::from_url
/// applies to the nodes; connect_timeout, request_timeout,
/// health_check_interval, protocol and the TLS options apply to the sentinels
/// too (db and client_name do not).
///
/// to_string() and every error message show passwords as `***`.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <valkey/config.hpp>
#include <valkey/export.hpp>

namespace valkey {

/// Which server a connection made through the sentinels goes to.
enum class SentinelRole : std::uint8_t { primary, replica };
/// Which servers connections made through the sentinels go to: the
/// primary, a replica else the primary, or a replica (SentinelConfig::read_from).
enum class SentinelReadFrom : std::uint8_t { primary, replica_preferred, replica };

/// Where a sentinel listens.
struct VALKEY_CPP_EXPORT SentinelAddress {
  /// The sentinel's host name or IP address.
  std::string host;
  /// The sentinel's port.
  std::uint16_t port = 26379;
  friend bool operator==(const SentinelAddress&, const SentinelAddress&) = default;
  std::string to_string() const;  ///< "host:port", "[::1]:port"
};

struct VALKEY_CPP_EXPORT SentinelConfig {
  /// The sentinels to ask; at least one.
  std::vector<SentinelAddress> sentinels;
  /// The name the sentinels watch the primary under.
  std::string primary_name;
  /// How to talk to the sentinels: credentials, TLS, timeouts (host and port
  /// are ignored: `sentinels` says where they are). Reconnecting is the
  /// resolver's business: each question opens a short-lived connection.
  Config sentinel;
  /// How to talk to the data nodes: everything but host and port, which the
  /// sentinels supply before every connection attempt.
  Config node;
  /// role=replica is read_from=replica: connections go to a replica (no_replica
  /// when none is up). read_from=replica_preferred: to a replica, else the
  /// primary. Otherwise: the primary.
  SentinelRole role = SentinelRole::primary;
  /// Which server connections go to (see role).
  SentinelReadFrom read_from = SentinelReadFrom::primary;
  /// Asks the sentinels again this often even when no event said the primary
  /// moved (an event connection that missed a +switch-master); 0: never.
  std::chrono::milliseconds recheck_interval{5000};
  /// Subscribes to +switch-master on one sentinel to follow failovers at once.
  bool follow_events = true;

  /// What the connections should reach, from role and read_from.
  SentinelReadFrom target() const noexcept {
    if (role == SentinelRole::replica) return read_from == SentinelReadFrom::replica_preferred ? read_from : SentinelReadFrom::replica;
    return read_from;
  }

  /// Throws valkey::Error (invalid_argument) for an empty sentinel list or
  /// primary name, or a sentinel without a host or port.
  void validate() const;
  /// The same check, returning the error (invalid_argument) and its reason
  /// in `why` instead of throwing; empty when valid.
  std::error_code validate(std::string& why) const;

  /// Parses a URL (throws valkey::Error with errc::invalid_url; the message
  /// never holds a password).
  static SentinelConfig from_url(std::string_view url);
  /// The same, reporting an invalid URL in `ec` (and its reason in `*why`,
  /// when given) instead of throwing.
  static SentinelConfig from_url(std::string_view url, std::error_code& ec, std::string* why = nullptr);
  /// True for the valkey+sentinel://, valkeys+sentinel://, redis+sentinel://
  /// and rediss+sentinel:// schemes.
  static bool is_sentinel_url(std::string_view url) noexcept;

  /// The configuration as a URL, passwords shown as `***`:
  /// `valkey+sentinel://:***@127.0.0.1:26379,127.0.0.1:26380/mymaster?role=replica`.
  std::string to_string() const;
};

}  // namespace valkey
