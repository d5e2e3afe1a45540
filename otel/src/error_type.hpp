#pragma once
// error.type for a failed request: a low-cardinality name per valkey::errc
// ("timeout", "connection_lost", ...), "_OTHER" for codes of other categories.
#include <string_view>
#include <system_error>

namespace valkey::otel {

std::string_view error_type_name(std::error_code ec) noexcept;

}  // namespace valkey::otel
