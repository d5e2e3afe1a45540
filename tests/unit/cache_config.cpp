// CacheConfig validation: each refusal names the field and the reason.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <valkey/cache/config.hpp>
#include <valkey/cache/store.hpp>
#include <valkey/error.hpp>

using Catch::Matchers::ContainsSubstring;
using valkey::CacheConfig;
using valkey::CacheMode;

TEST_CASE("cache config: the defaults and a BCAST setup are valid", "[cache]") {
  CHECK_NOTHROW(valkey::validate(CacheConfig{}));
  CHECK_NOTHROW(valkey::validate(CacheConfig{.mode = CacheMode::bcast}));
  CHECK_NOTHROW(valkey::validate(CacheConfig{.mode = CacheMode::bcast, .prefixes = {"user:", "item:"}}));
  CHECK_NOTHROW(valkey::validate(CacheConfig{.max_bytes = 1, .max_ttl = std::chrono::seconds(5)}));
}

TEST_CASE("cache config: refusals name the field", "[cache]") {
  auto refused = [](const CacheConfig& c, const std::string& field) {
    try {
      valkey::validate(c);
      FAIL("accepted: " << field);
    } catch (const valkey::Error& e) {
      CHECK(e.code() == valkey::errc::invalid_argument);
      CHECK_THAT(e.what(), ContainsSubstring("CacheConfig." + field + ":"));
      return std::string(e.what());
    }
    return std::string();
  };
  refused(CacheConfig{.max_bytes = 0}, "max_bytes");
  refused(CacheConfig{.max_ttl = std::chrono::milliseconds(-1)}, "max_ttl");
  CHECK_THAT(refused(CacheConfig{.prefixes = {"user:"}}, "prefixes"), ContainsSubstring("BCAST"));
  refused(CacheConfig{.mode = CacheMode::bcast, .prefixes = {"user:", ""}}, "prefixes");
  CHECK_THAT(refused(CacheConfig{.mode = CacheMode::bcast, .prefixes = {"user:1", "user:"}}, "prefixes"),
             ContainsSubstring("'user:' overlaps 'user:1'"));
  refused(CacheConfig{.mode = CacheMode::bcast, .prefixes = {"a", "a"}}, "prefixes");
}

TEST_CASE("cache config: the store refuses what validate refuses", "[cache]") {
  CHECK_THROWS_AS(valkey::CacheStore(CacheConfig{.max_bytes = 0}), valkey::Error);
}
