#include "perf/error_kind.hpp"

#include <valkey/error.hpp>

namespace perf {

void error_kind(std::error_code ec, std::string_view server_prefix, std::string& out) {
  out.clear();
  if (ec.category() == valkey::category()) {
    std::string_view name = valkey::name_of(static_cast<valkey::errc>(ec.value()));
    if (name.empty()) {
      out.append("valkey:").append(std::to_string(ec.value()));
      return;
    }
    out.append(name);
    if (ec == valkey::errc::server_error && !server_prefix.empty()) out.append(":").append(server_prefix);
    return;
  }
  out.append(ec.category().name()).append(":").append(ec.message());
}

}  // namespace perf
