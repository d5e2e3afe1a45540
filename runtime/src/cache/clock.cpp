#include <valkey/cache/clock.hpp>

namespace valkey {

namespace {
class SteadyCacheClock final : public CacheClock {
 public:
  time_point now() const noexcept override { return std::chrono::steady_clock::now(); }
};
}  // namespace

const CacheClock& steady_cache_clock() noexcept {
  static const SteadyCacheClock clock;
  return clock;
}

}  // namespace valkey
