#include <valkey/cache/config.hpp>

#include <valkey/error.hpp>

namespace valkey {

namespace {
[[noreturn]] void refuse(const std::string& field, const std::string& why) {
  throw Error(make_error_code(errc::invalid_argument), "CacheConfig." + field + ": " + why);
}
}  // namespace

void validate(const CacheConfig& config) {
  if (config.max_bytes == 0) refuse("max_bytes", "must be greater than 0");
  if (config.max_ttl.count() < 0) refuse("max_ttl", "must not be negative (0 means no bound)");
  if (config.mode == CacheMode::optin && !config.prefixes.empty())
    refuse("prefixes", "only BCAST mode takes prefixes (mode is OPTIN)");
  const auto& p = config.prefixes;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i].empty()) refuse("prefixes", "an empty prefix; leave the list empty to cache every key");
    for (std::size_t j = 0; j < p.size(); ++j) {
      if (i == j) continue;
      if (p[j].starts_with(p[i]))
        refuse("prefixes", "'" + p[i] + "' overlaps '" + p[j] + "'; the server refuses overlapping prefixes");
    }
  }
}

}  // namespace valkey
