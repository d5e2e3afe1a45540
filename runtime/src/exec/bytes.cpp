#include <valkey/exec/bytes.hpp>

#include <cstdint>

namespace valkey::exec {

namespace {

// Enough buffers for the requests one thread has in flight at once in the
// common cases; a buffer grown past kMaxKept (a large value) is freed rather
// than kept for small requests.
constexpr std::size_t kMaxBuffers = 32;
constexpr std::size_t kMaxKept = 16 * 1024;

// This thread's free buffers. Plain data, constant-initialized: reaching it
// is one thread-pointer offset, with none of the initialization check a
// thread_local object with a constructor or destructor costs on every
// access. What it keeps is freed at the thread's exit by a Reaper, which
// the first buffer kept on the thread registers (arm()).
enum class PoolState : std::uint8_t { unarmed, armed, gone };
struct Slots {
  std::string* free[kMaxBuffers];
  std::uint32_t size;
  PoolState state;
};
thread_local Slots slots{};

struct Reaper {
  ~Reaper() {
    slots.state = PoolState::gone;  // a Bytes dropped later at exit frees its buffer
    while (slots.size > 0) delete slots.free[--slots.size];
  }
};

void arm() noexcept {
  thread_local Reaper reaper;
  static_cast<void>(reaper);
  slots.state = PoolState::armed;
}

std::string* take() {
  if (slots.size > 0) return slots.free[--slots.size];
  return new std::string;
}

// What recycle() leaves out of its common path: the first buffer of a
// thread, a full pool, a grown buffer, a thread at exit.
[[gnu::noinline]] void recycle_rare(std::string* s) noexcept {
  if (slots.state == PoolState::gone || slots.size >= kMaxBuffers) {
    delete s;
    return;
  }
  if (slots.state == PoolState::unarmed) arm();
  if (s->capacity() > kMaxKept) std::string().swap(*s);
  else s->clear();
  slots.free[slots.size++] = s;
}

}  // namespace

Bytes::Bytes(std::string s) : s_(take()) { *s_ = std::move(s); }

Bytes Bytes::pooled() {
  Bytes b;
  b.s_ = take();
  return b;
}

void Bytes::recycle(std::string* s) noexcept {
  if (slots.state == PoolState::armed && slots.size < kMaxBuffers && s->capacity() <= kMaxKept) [[likely]] {
    s->clear();
    slots.free[slots.size++] = s;
    return;
  }
  recycle_rare(s);
}

}  // namespace valkey::exec
