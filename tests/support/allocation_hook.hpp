#pragma once
// Counts every operator new of a test binary, for the tests that check a path
// allocates nothing. It REPLACES the global operator new/delete: include it in
// exactly one source file per test binary, and read the count with
// valkey::test::allocations().
#include <atomic>
#include <cstdlib>
#include <new>

namespace valkey::test {
inline std::atomic<long> allocation_count{0};
inline long allocations() noexcept { return allocation_count.load(std::memory_order_relaxed); }
}  // namespace valkey::test

// g++ flags malloc/free inside a replaced operator new/delete as mismatched
// once inlined into asio's code; the pairing is correct here.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  valkey::test::allocation_count.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// The nothrow forms too (std::stable_sort's temporary buffer uses them):
// left to the sanitizer's own allocator they would be freed by our delete.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  valkey::test::allocation_count.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
