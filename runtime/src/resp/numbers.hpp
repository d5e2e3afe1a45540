#pragma once
// Strict number syntax shared by the parser (validating lines) and the typed
// decoders (reading RESP2 numbers sent as strings). Internal to the runtime.
#include <cstdint>
#include <string_view>

namespace valkey::resp::detail {

// [+-]?[0-9]+ that fits an int64_t.
bool parse_int64(std::string_view s, std::int64_t& out) noexcept;
// [+]?[0-9]+ that fits a uint64_t.
bool parse_uint64(std::string_view s, std::uint64_t& out) noexcept;
// A RESP length: [0-9]+ (no sign), or exactly "-1" when allow_null (then out
// is set to -1). Values above INT64_MAX fail.
bool parse_length(std::string_view s, bool allow_null, std::int64_t& out) noexcept;
// A double as the server writes it: decimal or exponent forms, inf, -inf,
// +inf, nan (any case). Values beyond the double range read as +/-inf.
bool parse_double(std::string_view s, double& out) noexcept;
// [+-]?[0-9]+ of any length (RESP3 big number).
bool is_big_number(std::string_view s) noexcept;

}  // namespace valkey::resp::detail
