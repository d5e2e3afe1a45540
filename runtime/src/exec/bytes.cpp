#include <valkey/exec/bytes.hpp>

#include <memory>
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
  std::vector<std::string*> free;
  Pool() { free.reserve(kMaxBuffers); }
  ~Pool() {
    pool_gone = true;
    for (std::string* s : free) delete s;
  }
};

Pool* pool() noexcept {
  if (pool_gone) return nullptr;
  thread_local Pool p;
  return &p;
}

std::string* take() {
  if (Pool* p = pool(); p && !p->free.empty()) {
    std::string* s = p->free.back();
    p->free.pop_back();
    return s;
  }
  return new std::string;
}

}  // namespace

Bytes::Bytes(std::string s) : s_(take()) { *s_ = std::move(s); }

Bytes Bytes::pooled() {
  Bytes b;
  b.s_ = take();
  return b;
}

void Bytes::recycle(std::string* s) noexcept {
  std::unique_ptr<std::string> owned(s);
  Pool* p = pool();
  if (!p || p->free.size() >= kMaxBuffers) return;
  if (s->capacity() > kMaxKept) std::string().swap(*s);
  else s->clear();
  p->free.push_back(owned.release());  // capacity reserved: no allocation
}

}  // namespace valkey::exec
