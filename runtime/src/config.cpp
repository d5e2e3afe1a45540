// URL parsing and rendering for valkey::Config.
#include <valkey/config.hpp>
#include <valkey/error.hpp>

#include <charconv>

#include "detail/url_text.hpp"

namespace valkey {
namespace {

using detail::append_duration;
using detail::fail_url;
using detail::percent_decode;

// User names and paths keep their slashes.
void percent_encode(std::string_view in, std::string& out) { detail::percent_encode(in, out, "/"); }

template <class Int>
bool parse_int(std::string_view s, Int& out) noexcept {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

bool parse_bool(std::string_view s, bool& out) noexcept {
  if (s == "1" || s == "true" || s == "yes" || s == "on") return out = true, true;
  if (s == "0" || s == "false" || s == "no" || s == "off") return out = false, true;
  return false;
}

std::error_code apply_option(Config& c, std::string_view key, std::string_view raw,
                             std::string& why) {
  std::string value;
  if (!percent_decode(raw, value)) return fail_url(why, "bad percent-encoding in option " + std::string(key));
  auto duration = [&](std::chrono::milliseconds& d) -> std::error_code {
    if (!parse_duration(value, d)) return fail_url(why, "option " + std::string(key) + " wants a duration like 500ms or 5s");
    return {};
  };
  auto boolean = [&](bool& b) -> std::error_code {
    if (!parse_bool(value, b)) return fail_url(why, "option " + std::string(key) + " wants true or false");
    return {};
  };
  if (key == "db" || key == "database") {
    if (!parse_int(value, c.database) || c.database < 0) return fail_url(why, "db must be a non-negative integer");
  } else if (key == "client_name" || key == "name" || key == "clientname") {
    c.client_name = value;
  } else if (key == "protocol") {
    if (value == "resp3" || value == "3") c.protocol = Protocol::resp3;
    else if (value == "resp2" || value == "2") c.protocol = Protocol::resp2;
    else return fail_url(why, "protocol must be resp3 or resp2");
  } else if (key == "connect_timeout") {
    return duration(c.connect_timeout);
  } else if (key == "request_timeout" || key == "timeout") {
    return duration(c.request_timeout);
  } else if (key == "health_check_interval") {
    return duration(c.health_check_interval);
  } else if (key == "ca_file") {
    c.tls.ca_file = value;
  } else if (key == "ca_dir") {
    c.tls.ca_dir = value;
  } else if (key == "cert_file") {
    c.tls.cert_file = value;
  } else if (key == "key_file") {
    c.tls.key_file = value;
  } else if (key == "sni") {
    c.tls.sni = value;
  } else if (key == "verify_peer") {
    return boolean(c.tls.verify_peer);
  } else if (key == "verify_hostname") {
    return boolean(c.tls.verify_hostname);
  } else if (key == "user" || key == "username") {
    c.user = value;
  } else {
    return fail_url(why, "unknown option " + std::string(key));
  }
  return {};
}

std::error_code parse(std::string_view url, Config& c, std::string& why) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return fail_url(why, "missing scheme (valkey://, valkeys://, unix://)");
  std::string_view scheme = url.substr(0, scheme_end);
  std::string_view rest = url.substr(scheme_end + 3);
  bool is_unix = false;
  if (scheme == "valkey" || scheme == "redis") {
  } else if (scheme == "valkeys" || scheme == "rediss") {
    c.tls.enabled = true;
    c.port = 6379;
  } else if (scheme == "unix" || scheme == "valkey+unix" || scheme == "redis+unix") {
    is_unix = true;
  } else {
    return fail_url(why, "unsupported scheme " + std::string(scheme));
  }

  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (auto h = rest.find('#'); h != std::string_view::npos) rest = rest.substr(0, h);

  // userinfo: the last '@' before the path (a password may contain '@' only
  // percent-encoded, but be lenient).
  std::string_view authority = rest;
  std::string_view path;
  if (!is_unix) {
    auto slash = rest.find('/');
    if (slash != std::string_view::npos) {
      authority = rest.substr(0, slash);
      path = rest.substr(slash);
    }
  } else {
    // unix://[user:pass@]/path
    auto at = rest.rfind('@');
    auto slash = rest.find('/');
    if (at != std::string_view::npos && (slash == std::string_view::npos || at < slash)) {
      authority = rest.substr(0, at + 1);
      path = rest.substr(at + 1);
    } else {
      authority = {};
      path = rest;
    }
  }

  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    std::string_view user = userinfo, pass;
    bool has_pass = false;
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      user = userinfo.substr(0, colon);
      pass = userinfo.substr(colon + 1);
      has_pass = true;
    }
    if (!percent_decode(user, c.user)) return fail_url(why, "bad percent-encoding in user");
    if (has_pass) {
      if (!percent_decode(pass, c.password)) return fail_url(why, "bad percent-encoding in password");
    } else if (!c.user.empty()) {
      // "valkey://secret@host": a lone userinfo is a password (redis-cli, redis-py).
      c.password = std::move(c.user);
      c.user.clear();
    }
  }

  if (is_unix) {
    if (!authority.empty()) return fail_url(why, "unix URL wants unix:///path/to/socket");
    if (!percent_decode(path, c.unix_path) || c.unix_path.empty() || c.unix_path[0] != '/')
      return fail_url(why, "unix URL wants an absolute socket path");
  } else {
    std::string_view host = authority, port;
    if (!host.empty() && host.front() == '[') {
      auto close = host.find(']');
      if (close == std::string_view::npos) return fail_url(why, "unterminated IPv6 address");
      port = host.substr(close + 1);
      host = host.substr(1, close - 1);
      if (!port.empty()) {
        if (port.front() != ':') return fail_url(why, "junk after IPv6 address");
        port.remove_prefix(1);
      }
    } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
    }
    if (!host.empty()) c.host = std::string(host);
    if (!port.empty()) {
      unsigned p = 0;
      if (!parse_int(port, p) || p == 0 || p > 65535) return fail_url(why, "port must be 1-65535");
      c.port = static_cast<std::uint16_t>(p);
    }
    if (!path.empty() && path != "/") {
      std::string_view db = path.substr(1);
      if (!db.empty() && db.back() == '/') db.remove_suffix(1);
      if (!parse_int(db, c.database) || c.database < 0) return fail_url(why, "path must be /<database number>");
    }
  }

  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (auto ec = apply_option(c, key, value, why)) return ec;
  }
  if (!c.tls.enabled && (!c.tls.ca_file.empty() || !c.tls.cert_file.empty()))
    return fail_url(why, "TLS options need a valkeys:// or rediss:// URL");
  if (c.tls.cert_file.empty() != c.tls.key_file.empty())
    return fail_url(why, "cert_file and key_file go together");
  return {};
}

}  // namespace

bool parse_duration(std::string_view text, std::chrono::milliseconds& out) noexcept {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return false;
  long long n = 0;
  if (!parse_int(text.substr(0, digits), n)) return false;
  std::string_view unit = text.substr(digits);
  long long scale;
  if (unit.empty() || unit == "ms") scale = 1;
  else if (unit == "s") scale = 1000;
  else if (unit == "m" || unit == "min") scale = 60'000;
  else if (unit == "h") scale = 3'600'000;
  else return false;
  if (n > (1ll << 40) / scale) return false;
  out = std::chrono::milliseconds(n * scale);
  return true;
}

Config Config::from_url(std::string_view url, std::error_code& ec) {
  Config c;
  std::string why;
  ec = parse(url, c, why);
  if (ec) return Config{};
  return c;
}

Config Config::from_url(std::string_view url) {
  Config c;
  std::string why;
  if (auto ec = parse(url, c, why)) throw Error(ec, why);
  return c;
}

std::string Config::endpoint() const {
  if (!unix_path.empty()) return "unix:" + unix_path;
  return detail::host_port(host, port);
}

std::string Config::to_string() const {
  std::string out;
  if (!unix_path.empty()) out = "unix://";
  else out = tls.enabled ? "valkeys://" : "valkey://";
  // A lone userinfo reads back as a password, so a user without one goes in
  // the query instead.
  if (!password.empty()) {
    percent_encode(user, out);
    out += ":***@";
  }
  char sep = '?';
  auto option = [&](std::string_view k, std::string_view v) {
    out += sep;
    sep = '&';
    out += k;
    out += '=';
    percent_encode(v, out);
  };
  if (!unix_path.empty()) {
    percent_encode(unix_path, out);
    if (database != 0) option("db", std::to_string(database));
  } else {
    out += endpoint();
    if (database != 0) out += "/" + std::to_string(database);
  }
  if (password.empty() && !user.empty()) option("user", user);
  if (!client_name.empty()) option("client_name", client_name);
  if (protocol == Protocol::resp2) option("protocol", "resp2");
  Config defaults;
  auto dur = [&](std::string_view k, std::chrono::milliseconds v, std::chrono::milliseconds d) {
    if (v == d) return;
    std::string s;
    append_duration(s, v);
    option(k, s);
  };
  dur("connect_timeout", connect_timeout, defaults.connect_timeout);
  dur("request_timeout", request_timeout, defaults.request_timeout);
  dur("health_check_interval", health_check_interval, defaults.health_check_interval);
  if (tls.enabled) {
    if (!tls.ca_file.empty()) option("ca_file", tls.ca_file);
    if (!tls.ca_dir.empty()) option("ca_dir", tls.ca_dir);
    if (!tls.cert_file.empty()) option("cert_file", tls.cert_file);
    if (!tls.key_file.empty()) option("key_file", tls.key_file);
    if (!tls.sni.empty()) option("sni", tls.sni);
    if (!tls.verify_peer) option("verify_peer", "false");
    if (!tls.verify_hostname) option("verify_hostname", "false");
  }
  return out;
}

const char* to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::error: return "error";
    case LogLevel::warn: return "warn";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
  }
  return "?";
}

}  // namespace valkey
