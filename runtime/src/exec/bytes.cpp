#include <valkey/exec/bytes.hpp>

#include <vector>

namespace valkey::exec {

namespace {

// Enough buffers for the requests one thread has in flight at once in the
// common cases; a buffer grown past kMaxKept (a large value) is freed rather
// than kept for small requests.
constexpr std::size_t kMaxBuffers = 32;
constexpr std::size_t kMaxKept = 16 * 1024;

thread_local bool pool_gone = false;  // trivially destructible: readable at thread exit

struct Pool {
  std::vector<std::string> free;
  Pool() { free.reserve(kMaxBuffers); }
  ~Pool() { pool_gone = true; }
};

Pool* pool() noexcept {
  if (pool_gone) return nullptr;
  thread_local Pool p;
  return &p;
}

}  // namespace

Bytes Bytes::pooled() noexcept {
  Bytes b;
  if (Pool* p = pool(); p && !p->free.empty()) {
    b.s_ = std::move(p->free.back());
    p->free.pop_back();
  }
  return b;
}

void Bytes::recycle(std::string&& s) noexcept {
  if (s.capacity() <= std::string().capacity() || s.capacity() > kMaxKept) return;
  Pool* p = pool();
  if (!p || p->free.size() >= kMaxBuffers) return;
  s.clear();
  p->free.push_back(std::move(s));  // capacity reserved: no allocation
}

}  // namespace valkey::exec
