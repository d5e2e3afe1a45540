#pragma once
/// \class valkey::CacheClock
/// The time source of the client-side cache, injectable so expiry is tested
/// without sleeping.
#include <chrono>

#include <valkey/export.hpp>

namespace valkey {

class CacheClock {
 public:
  /// A point on std::chrono::steady_clock.
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~CacheClock() = default;
  /// The current time.
  virtual time_point now() const noexcept = 0;
};

/// std::chrono::steady_clock; the default of CacheStore.
VALKEY_CPP_EXPORT const CacheClock& steady_cache_clock() noexcept;

}  // namespace valkey
