// Redirect and retry conditions from error reply texts. Strict: a redirect
// that does not parse is never followed (the caller refreshes instead).
#include <valkey/cluster/redirect.hpp>

#include <valkey/cluster/slot.hpp>

namespace valkey::cluster {
namespace {

constexpr std::size_t kMaxHost = 255;

// Decimal digits only, at most `max`; false when empty, not digits or larger.
bool parse_uint(std::string_view s, unsigned max, unsigned& out) noexcept {
  if (s.empty() || s.size() > 6) return false;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > max) return false;
  out = v;
  return true;
}

bool fail(std::string_view* why, std::string_view reason) noexcept {
  if (why) *why = reason;
  return false;
}

bool valid_host_chars(std::string_view h) noexcept {
  for (unsigned char c : h)
    if (c <= 0x20 || c == 0x7F || c == '[' || c == ']' || c == '/' || c == '@') return false;
  return true;
}

}  // namespace

std::string_view to_string(ClusterError e) noexcept {
  switch (e) {
    case ClusterError::none: return "none";
    case ClusterError::moved: return "MOVED";
    case ClusterError::ask: return "ASK";
    case ClusterError::tryagain: return "TRYAGAIN";
    case ClusterError::clusterdown: return "CLUSTERDOWN";
    case ClusterError::loading: return "LOADING";
    case ClusterError::masterdown: return "MASTERDOWN";
    case ClusterError::readonly: return "READONLY";
  }
  return "?";
}

ClusterError classify_error(std::string_view message) noexcept {
  const std::string_view word = message.substr(0, message.find(' '));
  if (word == "MOVED") return ClusterError::moved;
  if (word == "ASK") return ClusterError::ask;
  if (word == "TRYAGAIN") return ClusterError::tryagain;
  if (word == "CLUSTERDOWN") return ClusterError::clusterdown;
  if (word == "LOADING") return ClusterError::loading;
  if (word == "MASTERDOWN") return ClusterError::masterdown;
  if (word == "READONLY") return ClusterError::readonly;
  return ClusterError::none;
}

bool parse_host_port(std::string_view text, std::string_view& host, std::uint16_t& port,
                     std::string_view* why) noexcept {
  std::string_view h, p;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return fail(why, "unclosed '[' in the address");
    h = text.substr(1, close - 1);
    if (h.empty()) return fail(why, "empty IPv6 address in brackets");
    if (close + 1 >= text.size() || text[close + 1] != ':') return fail(why, "no port after the bracketed address");
    p = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail(why, "no port in the address");
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
  }
  if (h.size() > kMaxHost) return fail(why, "host name too long");
  if (!valid_host_chars(h)) return fail(why, "invalid character in the host");
  unsigned v = 0;
  if (p.empty()) return fail(why, "no port in the address");
  if (!parse_uint(p, 65535, v) || v == 0) return fail(why, "port out of range (1-65535) or not a number");
  host = h;
  port = static_cast<std::uint16_t>(v);
  return true;
}

bool parse_redirect(std::string_view message, Redirect& out, std::string_view* why) noexcept {
  const auto sp1 = message.find(' ');
  if (sp1 == std::string_view::npos) return fail(why, "no slot in the redirect");
  const std::string_view word = message.substr(0, sp1);
  Redirect r;
  if (word == "MOVED") r.kind = Redirect::Kind::moved;
  else if (word == "ASK") r.kind = Redirect::Kind::ask;
  else return fail(why, "not a MOVED or ASK reply");
  const auto sp2 = message.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return fail(why, "no address in the redirect");
  unsigned slot = 0;
  if (!parse_uint(message.substr(sp1 + 1, sp2 - sp1 - 1), slot_count - 1, slot))
    return fail(why, "slot out of range (0-16383) or not a number");
  const std::string_view addr = message.substr(sp2 + 1);
  if (addr.find(' ') != std::string_view::npos) return fail(why, "unexpected words after the address");
  if (!parse_host_port(addr, r.host, r.port, why)) return false;
  // "?:port": the node announces host names but has none set.
  if (r.host == "?") r.host = {};
  r.slot = static_cast<std::uint16_t>(slot);
  out = r;
  return true;
}

}  // namespace valkey::cluster
