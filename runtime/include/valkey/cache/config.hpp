#pragma once
/// \file
/// Settings of the client-side cache (server-assisted, RESP3 CLIENT TRACKING).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <valkey/export.hpp>

namespace valkey {

/// How the server tracks the keys the cache holds (CLIENT TRACKING).
enum class CacheMode : std::uint8_t {
  /// CLIENT TRACKING ON OPTIN: the server tracks only the reads sent right after
  /// CLIENT CACHING YES, so only reads made through the cache are tracked.
  optin,
  /// CLIENT TRACKING ON BCAST: the server announces every change to keys under
  /// the prefixes (every key when there are none); nothing is tracked per read.
  bcast,
};

/// Settings of the client-side cache (Config::cache).
struct CacheConfig {
  /// Upper bound of the store's memory, counted as the keys, the requests, the
  /// reply bytes and a fixed overhead per entry and per key (CacheStore). Must be > 0.
  std::size_t max_bytes = 16u * 1024 * 1024;
  /// How the server tracks the cached keys (CacheMode).
  CacheMode mode = CacheMode::optin;
  /// BCAST only: keys are cached (and tracked) only when they start with one of
  /// these. None of them may be empty or a prefix of another: the server refuses
  /// overlapping prefixes.
  std::vector<std::string> prefixes = {};
  /// Longest time an entry is served, a bound for what invalidations could
  /// miss. 0: no bound beyond invalidations and the server's TTL. Not negative.
  std::chrono::milliseconds max_ttl{0};
  /// Read the key's PTTL in the same round trip as each cached read, so that
  /// an entry never outlives the key's TTL on the server (the server announces
  /// an expired key only once it deletes it, which may come later).
  bool server_ttl = true;
};

/// Throws valkey::Error(errc::invalid_argument) naming the offending field
/// ("CacheConfig.max_bytes: ...") when the settings cannot work.
VALKEY_CPP_EXPORT void validate(const CacheConfig& config);

}  // namespace valkey
