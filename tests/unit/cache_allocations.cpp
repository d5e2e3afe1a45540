// A cache hit allocates nothing when the caller's buffer has the capacity,
// and neither do a miss, a visit or an invalidation of keys the store does not
// hold. Counted with the sanitizer runtime's malloc hook (the unit test binary
// already replaces operator new elsewhere, so it cannot be replaced here);
// without a sanitizer the test is skipped and bench/micro/cache_bench.cpp
// reports allocs/iter.
#include <catch2/catch_test_macros.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "cache_support.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CACHE_TEST_COUNTS_MALLOC 1
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*, std::size_t),
                                                         void (*free_hook)(const volatile void*));
namespace {
thread_local bool counting = false;
thread_local long mallocs = 0;
void on_malloc(const volatile void*, std::size_t) {
  if (counting) ++mallocs;
}
void on_free(const volatile void*) {}

// Mallocs made by this thread while f runs.
template <class F>
long mallocs_in(F&& f) {
  static const int installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
  (void)installed;
  mallocs = 0;
  counting = true;
  f();
  counting = false;
  return mallocs;
}
}  // namespace
#endif

TEST_CASE("cache allocations: hits, misses and absent invalidations allocate nothing", "[cache]") {
#ifndef CACHE_TEST_COUNTS_MALLOC
  SKIP("malloc counting needs a sanitizer runtime; micro_bench reports cache allocs/iter");
#else
  valkey::CacheStore store(valkey::CacheConfig{.max_ttl = std::chrono::hours(1)});
  const std::string value(100, 'v');
  std::vector<std::string> requests;
  for (int i = 0; i < 100; ++i) {
    const std::string key = "key:" + std::to_string(i);
    REQUIRE(cache_test::fill(store, key, value) == valkey::CacheInsert::stored);
    requests.push_back(cache_test::get(key));
  }
  const std::string absent = cache_test::get("absent");
  std::string out;
  out.reserve(256);
  long hits = 0;
  std::size_t seen = 0;
  const long n = mallocs_in([&] {
    for (int round = 0; round < 10; ++round) {
      for (const auto& r : requests) hits += store.lookup(r, out) ? 1 : 0;
      for (const auto& r : requests) hits += store.visit(r, [&](std::string_view b) { seen += b.size(); }) ? 1 : 0;
      hits -= store.lookup(absent, out) ? 1000 : 0;
      store.invalidate("absent");
      store.evict_written({"absent", "also-absent"});
    }
    (void)store.stats();
  });
  CHECK(hits == 2000);
  CHECK(seen == 1000 * cache_test::bulk(value).size());
  CHECK(n == 0);
  // The counter does count: a fill allocates.
  CHECK(mallocs_in([&] { (void)cache_test::fill(store, "new-key", value); }) > 0);
#endif
}
