#pragma once
// Text helpers shared by the URL parsers and renderers (Config, SentinelConfig).
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include <valkey/error.hpp>

namespace valkey::detail {

// "host:port", with an IPv6 host in brackets ("[::1]:6379"): how endpoints
// are named in messages, URLs and node maps.
inline std::string host_port(std::string_view host, std::uint16_t port) {
  // Built in a buffer of its final size: the cluster router names the node
  // of every request this way ("127.0.0.1:7000" stays in the small-string buffer).
  char digits[5];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + port % 10);
    port = static_cast<std::uint16_t>(port / 10);
  } while (port != 0);
  const bool v6 = host.find(':') != std::string_view::npos;
  std::string out;
  out.reserve(host.size() + (v6 ? 2 : 0) + 1 + n);
  if (v6) out += '[';
  out += host;
  if (v6) out += ']';
  out += ':';
  while (n != 0) out += digits[--n];
  return out;
}

inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoding (user, password, paths, option values); false on a bad escape.
inline bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

// Appends `in` with everything but unreserved characters (and those in
// `also_plain`, "/" for a path) written as %XX.
inline void percent_encode(std::string_view in, std::string& out, std::string_view also_plain = {}) {
  static constexpr char digits[] = "0123456789ABCDEF";
  for (unsigned char c : in) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                       c == '.' || c == '_' || c == '~' || also_plain.find(static_cast<char>(c)) != std::string_view::npos;
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
}

// errc::invalid_url with what was wrong in `why`; never the URL itself (it
// may hold a password).
inline std::error_code fail_url(std::string& why, std::string message) {
  why = std::move(message);
  return make_error_code(errc::invalid_url);
}

// "250ms": the form parse_duration reads back.
inline void append_duration(std::string& out, std::chrono::milliseconds d) {
  out += std::to_string(d.count());
  out += "ms";
}

}  // namespace valkey::detail
