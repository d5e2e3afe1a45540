#include "error_type.hpp"

#include <valkey/error.hpp>

namespace valkey::otel {

std::string_view error_type_name(std::error_code ec) noexcept {
  if (ec.category() != valkey::category()) return "_OTHER";
  const std::string_view name = valkey::name_of(static_cast<errc>(ec.value()));
  return name.empty() ? std::string_view("_OTHER") : name;
}

}  // namespace valkey::otel
