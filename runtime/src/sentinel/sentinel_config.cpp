// Sentinel URLs: parsing, validation and a redacted rendering. The options a
// plain URL knows are handed to Config::from_url, so both kinds of URL accept
// the same spellings.
#include <valkey/sentinel/sentinel_config.hpp>

#include <charconv>
#include <optional>

#include <valkey/error.hpp>

#include "detail/url_text.hpp"

namespace valkey {
namespace {

using detail::append_duration;
using detail::fail_url;
using detail::percent_decode;
using detail::percent_encode;

struct Scheme {
  std::string_view name;
  bool tls;
};
constexpr Scheme kSchemes[] = {
    {"valkey+sentinel", false}, {"redis+sentinel", false}, {"valkeys+sentinel", true}, {"rediss+sentinel", true}};

const Scheme* scheme_of(std::string_view url) noexcept {
  const auto end = url.find("://");
  if (end == std::string_view::npos) return nullptr;
  for (const Scheme& s : kSchemes)
    if (url.substr(0, end) == s.name) return &s;
  return nullptr;
}

// "host", "host:port", "[v6]", "[v6]:port"
std::error_code parse_sentinel(std::string_view entry, SentinelAddress& out, std::string& why) {
  std::string_view host = entry, port;
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return fail_url(why, "unterminated IPv6 address in the sentinel list");
    port = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!port.empty()) {
      if (port.front() != ':') return fail_url(why, "junk after an IPv6 address in the sentinel list");
      port.remove_prefix(1);
    }
  } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (host.empty()) return fail_url(why, "a sentinel without a host");
  out.host = std::string(host);
  if (!port.empty()) {
    unsigned p = 0;
    const auto r = std::from_chars(port.data(), port.data() + port.size(), p);
    if (r.ec != std::errc{} || r.ptr != port.data() + port.size() || p == 0 || p > 65535)
      return fail_url(why, "a sentinel's port must be 1-65535");
    out.port = static_cast<std::uint16_t>(p);
  }
  return {};
}

// Options a plain URL does not know about, or that must not reach one side.
struct Split {
  std::string node_query;      // handed to Config::from_url for the nodes
  std::string sentinel_query;  // the same without db and client_name
  std::optional<std::string> sentinel_user, sentinel_password, node_user, node_password;
};

std::error_code apply_sentinel_option(SentinelConfig& c, std::string_view key, const std::string& value,
                                      Split& s, bool& handled, std::string& why) {
  handled = true;
  if (key == "role") {
    if (value == "primary" || value == "master") c.role = SentinelRole::primary;
    else if (value == "replica" || value == "slave") c.role = SentinelRole::replica;
    else return fail_url(why, "role must be primary or replica");
  } else if (key == "read_from") {
    if (value == "primary") c.read_from = SentinelReadFrom::primary;
    else if (value == "replica_preferred") c.read_from = SentinelReadFrom::replica_preferred;
    else if (value == "replica") c.read_from = SentinelReadFrom::replica;
    else return fail_url(why, "read_from must be primary, replica_preferred or replica");
  } else if (key == "recheck_interval") {
    if (!parse_duration(value, c.recheck_interval))
      return fail_url(why, "option recheck_interval wants a duration like 500ms or 5s");
  } else if (key == "follow_events") {
    if (value == "true" || value == "1" || value == "yes" || value == "on") c.follow_events = true;
    else if (value == "false" || value == "0" || value == "no" || value == "off") c.follow_events = false;
    else return fail_url(why, "option follow_events wants true or false");
  } else if (key == "sentinel_user") {
    s.sentinel_user = value;
  } else if (key == "sentinel_password") {
    s.sentinel_password = value;
  } else if (key == "node_user") {
    s.node_user = value;
  } else if (key == "node_password") {
    s.node_password = value;
  } else {
    handled = false;
  }
  return {};
}

std::error_code parse(std::string_view url, SentinelConfig& c, std::string& why) {
  const Scheme* scheme = scheme_of(url);
  if (!scheme) return fail_url(why, "a sentinel URL starts with valkey+sentinel://, valkeys+sentinel:// or redis+sentinel://");
  std::string_view rest = url.substr(scheme->name.size() + 3);
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (const auto h = rest.find('#'); h != std::string_view::npos) rest = rest.substr(0, h);

  std::string_view authority = rest, path;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    path = rest.substr(slash + 1);
  }

  std::string user, password;
  bool has_password = false;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    std::string_view u = userinfo, p;
    if (const auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      u = userinfo.substr(0, colon);
      p = userinfo.substr(colon + 1);
      has_password = true;
    }
    if (!percent_decode(u, user)) return fail_url(why, "bad percent-encoding in user");
    if (has_password && !percent_decode(p, password)) return fail_url(why, "bad percent-encoding in password");
    if (!has_password && !user.empty()) {  // a lone userinfo is a password, as in plain URLs
      password = std::move(user);
      user.clear();
    }
  }

  c.sentinels.clear();
  while (!authority.empty()) {
    const auto comma = authority.find(',');
    SentinelAddress a;
    if (auto ec = parse_sentinel(authority.substr(0, comma), a, why)) return ec;
    c.sentinels.push_back(std::move(a));
    if (comma == std::string_view::npos) break;
    authority.remove_prefix(comma + 1);
    if (authority.empty()) return fail_url(why, "a trailing comma in the sentinel list");
  }
  if (c.sentinels.empty()) return fail_url(why, "no sentinel in the URL");

  std::string_view name = path, db;
  if (const auto slash = path.find('/'); slash != std::string_view::npos) {
    name = path.substr(0, slash);
    db = path.substr(slash + 1);
    if (!db.empty() && db.back() == '/') db.remove_suffix(1);
  }
  if (!percent_decode(name, c.primary_name)) return fail_url(why, "bad percent-encoding in the primary name");
  if (c.primary_name.empty()) return fail_url(why, "the URL names no primary (.../primary_name)");

  Split s;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    const std::string_view raw = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    std::string value;
    if (!percent_decode(raw, value)) return fail_url(why, "bad percent-encoding in option " + std::string(key));
    bool handled = false;
    if (auto ec = apply_sentinel_option(c, key, value, s, handled, why)) return ec;
    if (handled) continue;
    auto add = [&](std::string& q) {
      if (!q.empty()) q += '&';
      q.append(pair);
    };
    add(s.node_query);
    if (key != "db" && key != "database" && key != "client_name" && key != "name" && key != "clientname" &&
        key != "user" && key != "username")
      add(s.sentinel_query);
  }

  // The rest is a plain URL's business. These carry no password (the
  // credentials are set below), so their errors may be shown as they are.
  const std::string base = std::string(scheme->tls ? "valkeys://" : "valkey://") + "127.0.0.1";
  std::error_code ec;
  std::string node_url = base;
  if (!db.empty()) node_url += "/" + std::string(db);
  if (!s.node_query.empty()) node_url += "?" + s.node_query;
  try {
    c.node = Config::from_url(node_url);
    c.sentinel = Config::from_url(s.sentinel_query.empty() ? base : base + "?" + s.sentinel_query);
  } catch (const Error& e) {
    return fail_url(why, e.what());
  }
  // A user given as ?user= reaches the node only; the userinfo reaches both.
  if (!user.empty() || c.node.user.empty()) c.node.user = user;
  c.node.password = password;
  c.sentinel.user = user;
  c.sentinel.password = password;
  if (s.node_user) c.node.user = *s.node_user;
  if (s.node_password) c.node.password = *s.node_password;
  if (s.sentinel_user) c.sentinel.user = *s.sentinel_user;
  if (s.sentinel_password) c.sentinel.password = *s.sentinel_password;
  return {};
}


}  // namespace

std::string SentinelAddress::to_string() const { return detail::host_port(host, port); }

std::error_code SentinelConfig::validate(std::string& why) const {
  if (sentinels.empty()) {
    why = "SentinelConfig lists no sentinel";
    return make_error_code(errc::invalid_argument);
  }
  if (primary_name.empty()) {
    why = "SentinelConfig names no primary";
    return make_error_code(errc::invalid_argument);
  }
  for (const SentinelAddress& a : sentinels) {
    if (a.host.empty() || a.port == 0) {
      why = "SentinelConfig lists a sentinel without a host or a port";
      return make_error_code(errc::invalid_argument);
    }
  }
  return {};
}

void SentinelConfig::validate() const {
  std::string why;
  if (auto ec = validate(why)) throw Error(ec, why);
}

bool SentinelConfig::is_sentinel_url(std::string_view url) noexcept { return scheme_of(url) != nullptr; }

SentinelConfig SentinelConfig::from_url(std::string_view url, std::error_code& ec, std::string* why) {
  SentinelConfig c;
  std::string text;
  ec = parse(url, c, text);
  if (why) *why = std::move(text);
  if (ec) return SentinelConfig{};
  return c;
}

SentinelConfig SentinelConfig::from_url(std::string_view url) {
  SentinelConfig c;
  std::string why;
  if (auto ec = parse(url, c, why)) throw Error(ec, "invalid sentinel URL: " + why);
  return c;
}

std::string SentinelConfig::to_string() const {
  std::string out = node.tls.enabled ? "valkeys+sentinel://" : "valkey+sentinel://";
  // The userinfo stands for both sides when they agree; otherwise each side
  // goes in its own options.
  const bool same = sentinel.user == node.user && sentinel.password == node.password;
  if (same && !node.password.empty()) {
    percent_encode(node.user, out);
    out += ":***@";
  }
  for (std::size_t i = 0; i < sentinels.size(); ++i) {
    if (i) out += ',';
    out += sentinels[i].to_string();
  }
  out += '/';
  percent_encode(primary_name, out);
  if (node.database != 0) out += "/" + std::to_string(node.database);
  char sep = '?';
  auto option = [&](std::string_view k, std::string_view v) {
    out += sep;
    sep = '&';
    out += k;
    out += '=';
    percent_encode(v, out);
  };
  if (role == SentinelRole::replica) option("role", "replica");
  if (read_from == SentinelReadFrom::replica) option("read_from", "replica");
  if (read_from == SentinelReadFrom::replica_preferred) option("read_from", "replica_preferred");
  if (recheck_interval != SentinelConfig{}.recheck_interval) {
    std::string d;
    append_duration(d, recheck_interval);
    option("recheck_interval", d);
  }
  if (!follow_events) option("follow_events", "false");
  if (same) {
    if (node.password.empty() && !node.user.empty()) option("user", node.user);
  } else {
    if (!sentinel.user.empty()) option("sentinel_user", sentinel.user);
    option("sentinel_password", sentinel.password.empty() ? "" : "***");
    if (!node.user.empty()) option("node_user", node.user);
    option("node_password", node.password.empty() ? "" : "***");
  }
  if (!node.client_name.empty()) option("client_name", node.client_name);
  if (node.protocol == Protocol::resp2) option("protocol", "resp2");
  const Config defaults;
  auto dur = [&](std::string_view k, std::chrono::milliseconds v, std::chrono::milliseconds d) {
    if (v == d) return;
    std::string s;
    append_duration(s, v);
    option(k, s);
  };
  dur("connect_timeout", node.connect_timeout, defaults.connect_timeout);
  dur("request_timeout", node.request_timeout, defaults.request_timeout);
  dur("health_check_interval", node.health_check_interval, defaults.health_check_interval);
  return out;
}

}  // namespace valkey
