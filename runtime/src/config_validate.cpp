// Config::validate: one place that knows which field values make sense, so a
// mistake is reported at construction with the field's name instead of
// showing up later as a hang, a silent no-op or a confusing server error.
#include <valkey/config.hpp>
#include <valkey/error.hpp>

#include <string>

namespace valkey {
namespace {

// The sync Client's connection bound (Client::kMaxLanes).
constexpr std::size_t kMaxConnections = 64;

std::error_code invalid(std::string& why, std::string message) {
  why = std::move(message);
  return make_error_code(errc::invalid_argument);
}

std::error_code check_tls(const Config& c, std::string& why) {
  const TlsOptions& t = c.tls;
  if (!t.enabled) {
    // Set but ignored: the connection would go out in plaintext although the
    // caller clearly meant TLS.
    const char* field = !t.ca_file.empty()     ? "ca_file"
                        : !t.ca_dir.empty()    ? "ca_dir"
                        : !t.cert_file.empty() ? "cert_file"
                        : !t.key_file.empty()  ? "key_file"
                        : !t.sni.empty()       ? "sni"
                                               : nullptr;
    if (field)
      return invalid(why, std::string("Config::tls.") + field +
                              " is set but TLS is off (use a valkeys:// URL or set tls.enabled)");
    return {};
  }
  if (!c.unix_path.empty()) return invalid(why, "Config::tls.enabled has no effect on a Unix socket (unix_path is set)");
  if (t.cert_file.empty() != t.key_file.empty())
    return invalid(why, "Config::tls.cert_file and tls.key_file go together (a client certificate needs its key)");
  if (t.handshake_timeout.count() <= 0) return invalid(why, "Config::tls.handshake_timeout must be positive");
  return {};
}

std::error_code check_reconnect(const ReconnectPolicy& r, std::string& why) {
  if (!r.enabled) return {};
  if (r.initial_delay.count() < 0) return invalid(why, "Config::reconnect.initial_delay must not be negative");
  if (r.max_delay < r.initial_delay)
    return invalid(why, "Config::reconnect.max_delay must be at least reconnect.initial_delay");
  if (!(r.multiplier >= 1.0)) return invalid(why, "Config::reconnect.multiplier must be 1 or more");
  if (!(r.jitter >= 0.0 && r.jitter <= 1.0)) return invalid(why, "Config::reconnect.jitter must be between 0 and 1");
  return {};
}

}  // namespace

std::error_code Config::validate(std::string& why) const {
  why.clear();
  if (unix_path.empty()) {
    if (host.empty()) return invalid(why, "Config::host is empty (set host, or unix_path for a Unix socket)");
    if (port == 0) return invalid(why, "Config::port must be between 1 and 65535");
  }
  if (database < 0) return invalid(why, "Config::database must be 0 or more");
  if (!user.empty() && password.empty())
    return invalid(why, "Config::user is set without a password: no AUTH would be sent (a user without a password still authenticates with one)");
  if (connect_timeout.count() <= 0)
    return invalid(why, "Config::connect_timeout must be positive (it bounds each connect and handshake attempt)");
  if (request_timeout.count() < 0) return invalid(why, "Config::request_timeout must be 0 (none) or positive");
  if (health_check_interval.count() < 0)
    return invalid(why, "Config::health_check_interval must be 0 (off) or positive");
  if (max_connections == 0 || max_connections > kMaxConnections)
    return invalid(why, "Config::max_connections must be between 1 and " + std::to_string(kMaxConnections));
  if (on_queue_full == QueueFullPolicy::fail && max_pending == 0)
    return invalid(why, "Config::on_queue_full = fail needs a bound: set max_pending");
  if (cache) {
    if (protocol == Protocol::resp2)
      return invalid(why, "Config::cache needs protocol resp3: the server's invalidations are push messages");
    try {
      valkey::validate(*cache);
    } catch (const Error& e) {
      return invalid(why, std::string("Config::cache: ") + e.what());
    }
  }
  if (queue_timeout.count() < 0) return invalid(why, "Config::queue_timeout must be 0 (none) or positive");
  if (queue_timeout.count() > 0 && max_pending == 0)
    return invalid(why, "Config::queue_timeout needs a bound to wait for: set max_pending");
  if (retry)
    if (std::string p = retry->problem(); !p.empty()) return invalid(why, "Config::retry: " + p);
  if (circuit_breaker)
    if (std::string p = circuit_breaker->problem(); !p.empty()) return invalid(why, "Config::circuit_breaker: " + p);
  if (auto ec = check_tls(*this, why)) return ec;
  return check_reconnect(reconnect, why);
}

void Config::validate() const {
  std::string why;
  if (auto ec = validate(why)) throw Error(ec, why);
}

}  // namespace valkey
