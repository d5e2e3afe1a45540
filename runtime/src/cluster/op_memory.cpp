#include <valkey/cluster/op_memory.hpp>

#include <array>
#include <new>
#include <vector>

namespace valkey::cluster::op_memory {

namespace {

// A few sizes (one per kind of operation a program uses), each with up to
// kMaxBlocks blocks: enough for the requests a thread has in flight in the
// common cases; past that a block is freed.
constexpr std::size_t kSizes = 8;
constexpr std::size_t kMaxBlocks = 128;

thread_local bool pool_gone = false;  // trivially destructible: readable at thread exit

struct Pool {
  struct Bin {
    std::size_t size = 0;  // 0: unused
    std::vector<void*> blocks;
  };
  std::array<Bin, kSizes> bins;
  ~Pool() {
    pool_gone = true;
    for (Bin& b : bins)
      for (void* p : b.blocks) ::operator delete(p);
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
    if (Pool::Bin* b = p->find(size); b && !b->blocks.empty()) {
      void* block = b->blocks.back();
      b->blocks.pop_back();
      return block;
    }
  return ::operator new(size);
}

void deallocate(void* block, std::size_t size) noexcept {
  Pool* p = pool();
  Pool::Bin* b = p ? p->find(size) : nullptr;
  if (p && !b) {
    for (Pool::Bin& free_bin : p->bins)
      if (free_bin.size == 0) {
        try {
          free_bin.blocks.reserve(kMaxBlocks);  // once: keeping a block never allocates
        } catch (...) {
          break;
        }
        free_bin.size = size;
        b = &free_bin;
        break;
      }
  }
  if (b && b->blocks.size() < kMaxBlocks) {
    b->blocks.push_back(block);
    return;
  }
  ::operator delete(block);
}

}  // namespace valkey::cluster::op_memory
