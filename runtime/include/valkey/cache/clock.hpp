#pragma once
// The time source of the client-side cache, injectable so expiry is tested
// without sleeping.
#include <chrono>

namespace valkey {

class CacheClock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~CacheClock() = default;
  virtual time_point now() const noexcept = 0;
};

// std::chrono::steady_clock; the default of CacheStore.
const CacheClock& steady_cache_clock() noexcept;

}  // namespace valkey
