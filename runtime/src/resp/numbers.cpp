#include "resp/numbers.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

namespace valkey::resp::detail {

namespace {

bool all_digits(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Accumulates decimal digits into an unsigned value, refusing overflow past `max`.
// Up to 19 digits cannot overflow 64 bits, so the common case has no checks
// beyond the digit test; longer inputs compare against max once per digit.
bool accumulate(std::string_view digits, std::uint64_t max, std::uint64_t& out) noexcept {
  if (digits.empty()) return false;
  std::uint64_t v = 0;
  const std::size_t fast = digits.size() < 19 ? digits.size() : 19;
  for (std::size_t i = 0; i < fast; ++i) {
    const auto d = static_cast<unsigned>(digits[i] - '0');
    if (d > 9) return false;
    v = v * 10 + d;
  }
  if (fast == digits.size()) {
    if (v > max) return false;
    out = v;
    return true;
  }
  const std::uint64_t limit = max / 10;
  const std::uint64_t last = max % 10;
  for (std::size_t i = fast; i < digits.size(); ++i) {
    const auto d = static_cast<unsigned>(digits[i] - '0');
    if (d > 9) return false;
    if (v > limit || (v == limit && d > last)) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

}  // namespace

bool parse_int64(std::string_view s, std::int64_t& out) noexcept {
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t v = 0;
  if (!accumulate(s, negative ? max + 1 : max, v)) return false;
  out = negative ? static_cast<std::int64_t>(0 - v) : static_cast<std::int64_t>(v);
  return true;
}

bool parse_uint64(std::string_view s, std::uint64_t& out) noexcept {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  return accumulate(s, std::numeric_limits<std::uint64_t>::max(), out);
}

bool parse_length(std::string_view s, bool allow_null, std::int64_t& out) noexcept {
  if (allow_null && s.size() == 2 && s[0] == '-' && s[1] == '1') {
    out = -1;
    return true;
  }
  constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t v = 0;
  if (!accumulate(s, max, v)) return false;
  out = static_cast<std::int64_t>(v);
  return true;
}

bool parse_double(std::string_view s, double& out) noexcept {
  if (s.empty()) return false;
  std::string_view body = s;
  bool negative = false;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (iequals(body, "inf") || iequals(body, "infinity")) {
    out = negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  if (iequals(body, "nan")) {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  // Only digits, one dot, and an exponent from here: from_chars alone would
  // also take "nan(...)" and hex-like forms we do not want on the wire.
  if (body.empty() || !(body[0] == '.' || (body[0] >= '0' && body[0] <= '9'))) return false;
  double v = 0;
  auto r = std::from_chars(body.data(), body.data() + body.size(), v, std::chars_format::general);
  if (r.ptr != body.data() + body.size()) return false;
  if (r.ec == std::errc::result_out_of_range) {
    // Overflow reads as infinity, underflow as zero: the text was well formed.
    // A negative exponent is the only way to get below the double range.
    const std::size_t e = body.find_first_of("eE");
    const bool small = e != std::string_view::npos && e + 1 < body.size() && body[e + 1] == '-';
    v = small ? 0.0 : std::numeric_limits<double>::infinity();
  } else if (r.ec != std::errc{}) {
    return false;
  }
  out = negative ? -v : v;
  return true;
}

bool is_big_number(std::string_view s) noexcept {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return all_digits(s);
}

}  // namespace valkey::resp::detail
