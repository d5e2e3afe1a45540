#pragma once
// Memory for the cluster clients' operations (cluster::ClusterOp, run.hpp):
// blocks are kept per thread, by size, and reused, so in steady state a
// request allocates nothing, also with many requests in flight. (Asio's
// recycling allocator keeps two blocks per thread, which the connections'
// socket operations keep taking.) A block goes back to the pool of the
// thread that frees it: the router's thread, where its operations end.
#include <cstddef>
#include <memory>

#include <valkey/export.hpp>

namespace valkey::cluster {

namespace op_memory {
VALKEY_CPP_EXPORT void* allocate(std::size_t size);
VALKEY_CPP_EXPORT void deallocate(void* p, std::size_t size) noexcept;
}  // namespace op_memory

// The allocator ClusterOp uses when its handler has none of its own.
template <class T>
struct OpAllocator {
  using value_type = T;
  OpAllocator() noexcept = default;
  template <class U>
  OpAllocator(const OpAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    if constexpr (alignof(T) > __STDCPP_DEFAULT_NEW_ALIGNMENT__)
      return std::allocator<T>().allocate(n);
    else
      return static_cast<T*>(op_memory::allocate(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if constexpr (alignof(T) > __STDCPP_DEFAULT_NEW_ALIGNMENT__)
      std::allocator<T>().deallocate(p, n);
    else
      op_memory::deallocate(p, n * sizeof(T));
  }
  template <class U>
  bool operator==(const OpAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace valkey::cluster
