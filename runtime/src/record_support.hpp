#pragma once
// Reading the fields of the hand-written reply records (valkey::Role,
// valkey::ClusterSlotRange, valkey::ServerCommandInfo, valkey::MemoryStats) out of a Reply: each helper
// accepts the RESP3 form and its RESP2 spelling and returns false when the
// value has another shape, which the record's from_reply() turns into
// errc::unexpected_reply_type.
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <valkey/reply.hpp>

namespace valkey::detail::records {

// An integer, or a string holding one.
inline bool integer(const Reply& r, std::int64_t& out) {
  if (r.is_integer()) {
    out = r.as_integer();
    return true;
  }
  if (!r.is_string()) return false;
  const std::string_view s = r.as_string();
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

// A double (RESP3), an integer, or a string holding a number (RESP2).
inline bool real(const Reply& r, double& out) {
  if (r.is_double()) {
    out = r.as_double();
    return true;
  }
  if (r.is_integer()) {
    out = static_cast<double>(r.as_integer());
    return true;
  }
  if (!r.is_string()) return false;
  const std::string_view s = r.as_string();
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

inline bool text(const Reply& r, std::string& out) {
  if (!r.is_string()) return false;
  out.assign(r.as_string());
  return true;
}

// An array or set of strings (flags, ACL categories: sets in RESP3).
inline bool texts(const Reply& r, std::vector<std::string>& out) {
  if (!r.is_array()) return false;
  out.clear();
  out.reserve(r.size());
  for (const Reply& e : r.elements()) {
    if (!e.is_string()) return false;
    out.emplace_back(e.as_string());
  }
  return true;
}

// The name/value pairs of a map (RESP3) or of a flat array k0, v0, k1, v1...
// (RESP2), in order: f(name, value) returns false to stop with a failure.
// Names must be strings.
template <class F>
bool for_each_field(const Reply& r, F&& f) {
  if (!r.is_map() && !(r.is_array() && r.elements().size() % 2 == 0)) return false;
  const std::vector<Reply>& e = r.elements();
  for (std::size_t i = 0; i + 1 < e.size(); i += 2) {
    if (!e[i].is_string()) return false;
    if (!f(e[i].as_string(), e[i + 1])) return false;
  }
  return true;
}

}  // namespace valkey::detail::records
