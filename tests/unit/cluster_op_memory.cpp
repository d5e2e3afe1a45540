// The memory of the cluster clients' operations: blocks come back for the
// next operation of the same size on the same thread, sizes do not mix, and
// the sync client's hand-off memory serves one handler from the caller's
// frame and anything more from the heap.
#include <catch2/catch_test_macros.hpp>

#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include <valkey/cluster/op_memory.hpp>
#include <valkey/cluster/run.hpp>

namespace op_memory = valkey::cluster::op_memory;

TEST_CASE("cluster op memory: a freed block serves the next operation of its size on the thread",
          "[unit][cluster]") {
  void* a = op_memory::allocate(1704);
  op_memory::deallocate(a, 1704);
  void* b = op_memory::allocate(1704);
  CHECK(b == a);
  // Another size never gets it.
  void* c = op_memory::allocate(1600);
  CHECK(c != b);
  op_memory::deallocate(c, 1600);
  op_memory::deallocate(b, 1704);
  // Many in flight at once: each freed block is reused, most recent first.
  std::vector<void*> blocks;
  for (int i = 0; i < 64; ++i) blocks.push_back(op_memory::allocate(512));
  for (void* p : blocks) op_memory::deallocate(p, 512);
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) CHECK(op_memory::allocate(512) == *it);
  for (void* p : blocks) op_memory::deallocate(p, 512);
}

TEST_CASE("cluster op memory: another thread's pool does not hand out this thread's blocks", "[unit][cluster]") {
  void* a = op_memory::allocate(800);
  op_memory::deallocate(a, 800);
  void* other = nullptr;
  std::thread t([&] {
    other = op_memory::allocate(800);
    op_memory::deallocate(other, 800);  // into that thread's pool, freed when it ends
  });
  t.join();
  CHECK(other != a);
  void* b = op_memory::allocate(800);
  CHECK(b == a);
  op_memory::deallocate(b, 800);
}

TEST_CASE("cluster hand-off memory: one block from the caller's frame, the rest from the heap", "[unit][cluster]") {
  valkey::cluster::HandOffMemory memory;
  valkey::cluster::HandOffAllocator<std::uint64_t> alloc(memory);
  std::uint64_t* first = alloc.allocate(4);
  std::uint64_t* second = alloc.allocate(4);  // the frame's block is taken: from the heap
  CHECK(first != second);
  const auto* frame = reinterpret_cast<const unsigned char*>(&memory);
  const auto* p = reinterpret_cast<const unsigned char*>(first);
  CHECK((p >= frame && p < frame + sizeof(memory)));
  alloc.deallocate(second, 4);
  alloc.deallocate(first, 4);
  CHECK(alloc.allocate(4) == first);  // free again: the next handler gets it
  alloc.deallocate(first, 4);
  // Too large for the frame: from the heap.
  std::uint64_t* big = alloc.allocate(64);
  const auto* q = reinterpret_cast<const unsigned char*>(big);
  CHECK_FALSE((q >= frame && q < frame + sizeof(memory)));
  alloc.deallocate(big, 64);
}
