#include <valkey/cluster/op_memory.hpp>

#include <array>
#include <new>
#include <cstddef>

namespace valkey::cluster::op_memory {

namespace {

// A few sizes (one per kind of operation a program uses), each with up to
// kMaxBlocks blocks: enough for the requests a thread has in flight in the
// common cases; past that a block is freed.
constexpr std::size_t kSizes = 8;
constexpr std::size_t kMaxBlocks = 128;

thread_local bool pool_gone = false;  // trivially destructible: readable at thread exit

// A bin's free blocks are a list linked through their first word: taking
// and keeping one is a few instructions, with nothing to reserve or grow.
struct Pool {
  struct Bin {
    std::size_t size = 0;  // 0: unused
    void* head = nullptr;  // the block freed last
    std::size_t count = 0;
  };
  std::array<Bin, kSizes> bins;
  ~Pool() {
    pool_gone = true;
    for (Bin& b : bins)
      while (void* p = b.head) {
        b.head = *static_cast<void**>(p);
        ::operator delete(p);
      }
  }
  Bin* find(std::size_t size) noexcept {
    for (Bin& b : bins)
      if (b.size == size) return &b;
    return nullptr;
  }
};

Pool* pool() noexcept {
  if (pool_gone) return nullptr;
  thread_local Pool p;
  return &p;
}

}  // namespace

void* allocate(std::size_t size) {
  if (Pool* p = pool())
    if (Pool::Bin* b = p->find(size); b && b->head) {
      void* block = b->head;
      b->head = *static_cast<void**>(block);
      --b->count;
      return block;
    }
  return ::operator new(size);
}

void deallocate(void* block, std::size_t size) noexcept {
  Pool* p = size >= sizeof(void*) ? pool() : nullptr;  // a kept block holds the list's link
  Pool::Bin* b = p ? p->find(size) : nullptr;
  if (p && !b) {
    for (Pool::Bin& free_bin : p->bins)
      if (free_bin.size == 0) {
        free_bin.size = size;
        b = &free_bin;
        break;
      }
  }
  if (b && b->count < kMaxBlocks) {
    *static_cast<void**>(block) = b->head;
    b->head = block;
    ++b->count;
    return;
  }
  ::operator delete(block);
}

}  // namespace valkey::cluster::op_memory
