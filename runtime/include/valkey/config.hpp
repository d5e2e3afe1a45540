#pragma once
/// \struct valkey::Config
/// valkey::Config: everything a client needs to open, authenticate and keep a
/// connection. Build one field by field, or parse a URL:
///
/// \code{.unparsed}
///   valkey://[user[:password]@]host[:port][/db][?option=value&...]
///   valkeys://...        TLS (also rediss://); redis:// is valkey://
///   unix:///path/to/socket[?db=N&...]
/// \endcode
///
/// Query options: db, client_name (or name), protocol=resp3|resp2,
/// connect_timeout, request_timeout, health_check_interval (durations: 250ms,
/// 5s, 1m, or a bare number of milliseconds), and for TLS: ca_file, ca_dir,
/// cert_file, key_file, sni, verify_peer=false, verify_hostname=false.
///
/// to_string() and every error message show the password as `"***"`.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <valkey/cache/config.hpp>
#include <valkey/export.hpp>
#include <valkey/policy/circuit_breaker.hpp>
#include <valkey/policy/retry.hpp>
#include <valkey/resp/limits.hpp>

namespace valkey {

class Observer;       // valkey/observe/observer.hpp
class AddressSource;  // valkey/sentinel/address_source.hpp

/// The RESP version a connection asks for in its handshake (HELLO 3 for resp3).
enum class Protocol : std::uint8_t { resp3, resp2 };

namespace detail {
// Holds the OpenSSL context built from a TlsOptions (tls_context.hpp).
class TlsContextCache;
VALKEY_CPP_EXPORT std::shared_ptr<TlsContextCache> make_tls_context_cache();
}  // namespace detail

/// TLS settings of a connection (Config::tls).
struct TlsOptions {
  /// Whether the connection uses TLS (a valkeys:// or rediss:// URL turns it on).
  bool enabled = false;
  std::string ca_file;    ///< PEM bundle of trusted CAs; empty with ca_dir empty: the system store
  std::string ca_dir;     ///< a c_rehash'ed directory of CAs
  std::string cert_file;  ///< client certificate (mTLS), PEM
  std::string key_file;   ///< its private key, PEM
  std::string sni;        ///< server name to send and verify; empty: the host
  // Both on by default; turning them off is an explicit, visible choice.
  /// Verifies the server's certificate against the trusted CAs.
  bool verify_peer = true;
  /// Verifies that the certificate names the host (or `sni`); needs verify_peer.
  bool verify_hostname = true;
  /// How long the TLS handshake may take once TCP is connected (capped by
  /// Config::connect_timeout). A plaintext server never answers a TLS hello,
  /// so this is what turns a TLS URL aimed at one into a prompt, named error
  /// instead of a wait for the whole connect timeout.
  std::chrono::milliseconds handshake_timeout{2000};
  /// The OpenSSL context built from these options on first use, shared by
  /// every connection made from this configuration and its copies
  /// (reconnects, leased connections, WATCH connections): the CA store and
  /// the client certificate are read once. A Config built anew (say, after
  /// the certificate files were rotated) reads them again.
  std::shared_ptr<detail::TlsContextCache> context_cache = detail::make_tls_context_cache();
};

/// What to do with a request when max_pending requests are already queued or
/// in flight.
enum class QueueFullPolicy : std::uint8_t { wait, fail };

/// What to do with a request issued while the connection is down.
enum class DisconnectedPolicy : std::uint8_t { wait, fail };

/// How a dropped connection reconnects: delays that grow by `multiplier`,
/// with jitter.
struct ReconnectPolicy {
  /// Whether a dropped connection reconnects at all.
  bool enabled = true;
  /// The delay before the first attempt.
  std::chrono::milliseconds initial_delay{50};
  /// The longest delay between attempts.
  std::chrono::milliseconds max_delay{5000};
  /// Each delay is the previous one times this, up to max_delay.
  double multiplier = 2.0;
  double jitter = 0.2;  ///< each delay is scaled by a random factor in [1 - jitter, 1 + jitter]
  /// Stop after this many failed attempts in a row (0: never stop).
  unsigned max_attempts = 0;
};

/// Severity of a log line.
enum class LogLevel : std::uint8_t { error, warn, info, debug };
/// Receives the runtime's log lines: connects, disconnects and their reason,
/// reconnect attempts, health-check failures, handshake fallbacks, and errors
/// that would otherwise be swallowed. Never the password or command arguments.
/// Called on the connection's executor; it must not call back into the
/// connection.
using Logger = std::function<void(LogLevel, std::string_view)>;
/// The level's name: "error", "warn", "info" or "debug".
VALKEY_CPP_EXPORT const char* to_string(LogLevel level) noexcept;

struct VALKEY_CPP_EXPORT Config {
  /// Where to connect: unix_path when set, else host:port.
  std::string host = "127.0.0.1";
  /// The TCP port.
  std::uint16_t port = 6379;
  /// A Unix domain socket path; when set, host and port are not used.
  std::string unix_path;

  /// ACL credentials; user empty means "default". An empty password sends no AUTH.
  std::string user;
  /// The password; empty: no AUTH is sent.
  std::string password;
  /// The numbered database the handshake selects.
  int database = 0;
  /// The connection name the handshake sets (CLIENT SETNAME); empty: none.
  std::string client_name;
  /// The protocol asked for; with a server that refuses HELLO 3 the
  /// handshake falls back to RESP2.
  Protocol protocol = Protocol::resp3;
  /// TLS settings; off unless `tls.enabled` (a valkeys:// URL).
  TlsOptions tls;

  /// Connect + handshake deadline per attempt.
  std::chrono::milliseconds connect_timeout{5000};
  /// Per-request deadline, counted from submission; 0: none (the health check
  /// still catches a dead peer).
  std::chrono::milliseconds request_timeout{0};
  /// Idle PING interval; the connection is closed (health_check_failed) when
  /// a PING stays unanswered, or when requests are pending and no byte arrived,
  /// for this long. 0 disables both.
  std::chrono::milliseconds health_check_interval{15000};

  /// Requests queued or in flight at once (0: unbounded), and what a request
  /// beyond that does.
  std::size_t max_pending = 0;
  /// What a request beyond max_pending does: wait for room, or fail with
  /// errc::queue_full.
  QueueFullPolicy on_queue_full = QueueFullPolicy::wait;

  /// The sync Client: connections it opens, on demand, for threads that call
  /// at the same time (1 to 64). With 1 every thread shares one auto-pipelined
  /// connection. Per connection: max_pending. AsyncClient has one connection.
  /// In ClusterConfig::node: the connections the sync ClusterClient opens to
  /// each node the same way (one router per set, cluster/sync_lanes.hpp; 1
  /// with a client-side cache); AsyncClusterClient has one per node.
  std::size_t max_connections = 4;

  /// What a request issued while the connection is down does: wait for the
  /// reconnect, or fail with errc::not_connected.
  DisconnectedPolicy when_disconnected = DisconnectedPolicy::wait;
  /// How the connection reconnects after it drops.
  ReconnectPolicy reconnect;
  /// Retry a read-only command once when the connection drops with it in
  /// flight. Off by default: see docs/runtime.md.
  bool retry_readonly = false;

  /// The retry policy for failed requests.
  /// Resilience policies (docs/resilience.md). Unset (the default): nothing is
  /// resent beyond retry_readonly, no breaker; the request path pays one branch.
  /// retry: failed requests are sent again when that is safe (not sent, or
  /// idempotent, or refused with LOADING/TRYAGAIN/...), within the request's
  /// deadline and a retry budget; a written, unanswered request that is not
  /// idempotent fails with errc::unknown_outcome. Per call: Client::with().
  std::optional<policy::RetryPolicy> retry = std::nullopt;
  /// circuit_breaker: after repeated transport failures or timeouts, calls
  /// fail at once with errc::circuit_open (nothing queued) until a probe
  /// succeeds after the cool-down.
  std::optional<policy::CircuitBreakerConfig> circuit_breaker = std::nullopt;
  /// Bulkhead: how long a request may wait for room while max_pending
  /// requests are in flight (on_queue_full = wait) before it fails with
  /// queue_full, unsent. 0: as long as it takes (its deadline still applies).
  std::chrono::milliseconds queue_timeout{0};
  /// Bulkhead for blocking commands (BLPOP, XREAD BLOCK, WAIT...): how many
  /// may hold a leased connection at once, per client (per node on the
  /// cluster clients). A blocking call beyond it fails at once with
  /// errc::queue_full, nothing sent. 0 (the default): no bound, each waiting
  /// call holds a connection of its own, as many as the server accepts
  /// (maxclients); a bound decides which waiters an application turns away,
  /// which the library cannot know. See docs/resilience.md.
  std::size_t max_leases = 0;

  /// Bounds on the replies the parser accepts (errc::protocol_* beyond them).
  resp::Limits limits;

  /// Where log lines go; empty (the default): nowhere, at the cost of one
  /// check per event (nothing on the per-request path).
  Logger logger;

  /// Request, connection and topology hooks (valkey/observe/observer.hpp);
  /// null (the default): one branch per request, nothing else. Shared by the
  /// copies of this Config (every connection, lease and cluster node). The
  /// first hook that throws is logged through `logger`, from the thread the
  /// hook ran on (for a request hook, possibly the caller's).
  std::shared_ptr<Observer> observer;

  /// Where each connection attempt goes instead of host:port, asked before
  /// every attempt (valkey/sentinel/address_source.hpp). Set by the sentinel
  /// clients; null (the default): host:port.
  std::shared_ptr<AddressSource> address_source;

  /// Client-side caching (RESP3 CLIENT TRACKING; docs/caching.md): empty (the
  /// default) for none. Set, each client (a cluster client: in its node Config)
  /// keeps one cache shared by its connections, whose handshakes turn tracking
  /// on, and db.cached(ttl).get(k) answers from it. Needs protocol resp3.
  std::optional<CacheConfig> cache;

  /// Parses a URL (throws valkey::Error with errc::invalid_url).
  static Config from_url(std::string_view url);
  /// The same; a failure fills `ec` instead of throwing.
  static Config from_url(std::string_view url, std::error_code& ec);

  /// Reads the configuration from the environment, the way twelve-factor
  /// deployments hand it over: `<prefix>URL` (default valkey://127.0.0.1:6379),
  /// then `<prefix>USER`, PASSWORD, DB, CLIENT_NAME, CONNECT_TIMEOUT,
  /// REQUEST_TIMEOUT, TLS_CA_FILE, TLS_CERT_FILE, TLS_KEY_FILE and TLS_SNI
  /// override its parts (so the password need not sit in the URL). Unset or
  /// empty variables are ignored. Throws valkey::Error(errc::invalid_url)
  /// naming the variable, never its value.
  static Config from_env(std::string_view prefix = "VALKEY_");
  /// The same; a failure fills `ec` instead of throwing.
  static Config from_env(std::string_view prefix, std::error_code& ec);

  /// Checks each field's range and the fields against each other. The clients
  /// call it at construction (throwing valkey::Error with
  /// errc::invalid_argument); the message names the field:
  /// "Config::connect_timeout must be positive". Returns the error and fills
  /// `why`, or an empty error code.
  std::error_code validate(std::string& why) const;
  /// The same, throwing valkey::Error (errc::invalid_argument) on a failure.
  void validate() const;

  /// `"valkeys://user:***@host:6380/2?client_name=x"`: never the password.
  std::string to_string() const;
  /// "host:port" or "unix:/path", for error messages and logs.
  std::string endpoint() const;
};

/// Parses "250ms", "5s", "2m", "1h" or a bare millisecond count.
VALKEY_CPP_EXPORT bool parse_duration(std::string_view text, std::chrono::milliseconds& out) noexcept;

}  // namespace valkey
