#pragma once
// Shared pieces of the cache store tests: a clock moved by hand and the RESP
// bytes of requests and replies.
#include <chrono>
#include <string>
#include <string_view>

#include <valkey/cache/store.hpp>

namespace cache_test {

class ManualClock final : public valkey::CacheClock {
 public:
  time_point now() const noexcept override { return now_; }
  void advance(std::chrono::milliseconds d) { now_ += d; }

 private:
  time_point now_ = time_point(std::chrono::hours(1));
};

inline std::string bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

// The request as the client writes it: *N then each argument as a bulk string.
inline std::string request(std::initializer_list<std::string_view> argv) {
  std::string r = "*" + std::to_string(argv.size()) + "\r\n";
  for (std::string_view a : argv) r += bulk(a);
  return r;
}
inline std::string get(std::string_view key) { return request({"GET", key}); }

// A whole read through the cache: ticket, reply, insert.
inline valkey::CacheInsert fill(valkey::CacheStore& store, std::string_view key, std::string_view value,
                                const valkey::CacheEntryLimits& limits = {}) {
  return store.complete_read(store.begin_read(key), get(key), bulk(value), limits);
}

inline std::string cached(valkey::CacheStore& store, std::string_view key) {
  std::string out;
  return store.lookup(get(key), out) ? out : std::string("<miss>");
}

}  // namespace cache_test
