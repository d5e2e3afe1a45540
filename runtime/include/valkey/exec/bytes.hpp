#pragma once
// valkey::exec::Bytes: the encoded commands a request owns. An asynchronous
// request is encoded before it is initiated, so a token that launches later
// (asio::experimental::deferred) or a resend (a read-only retry, a redirected cluster
// request) never reads the caller's arguments again.
//
// A Bytes is one pointer to a string that comes from a small per-thread pool
// and goes back to the pool of whichever thread drops it: in steady state a
// request reuses a buffer and allocates nothing. It is a pointer because a
// request's bytes are moved through every layer of an initiation (the
// token's async_result, the initiation, launch, the operation): a move is a
// pointer copy, and dropping a moved-from Bytes is one compare.
#include <string>
#include <string_view>
#include <utility>

#include <valkey/export.hpp>

namespace valkey::exec {

class VALKEY_CPP_EXPORT Bytes {
 public:
  Bytes() noexcept = default;
  // Takes `s` over (a batch's buffer); it returns to the pool when dropped.
  explicit Bytes(std::string s);
  // An empty buffer from this thread's pool (allocated when the pool is empty).
  static Bytes pooled();

  Bytes(Bytes&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Bytes& operator=(Bytes&& o) noexcept {
    if (this != &o) {
      if (s_) recycle(s_);
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  Bytes(const Bytes&) = delete;
  Bytes& operator=(const Bytes&) = delete;
  ~Bytes() {
    if (s_) recycle(s_);
  }

  // The buffer to encode into; only a Bytes from pooled() or the string
  // constructor has one.
  std::string& buffer() noexcept { return *s_; }
  std::string_view view() const noexcept { return s_ ? std::string_view(*s_) : std::string_view{}; }
  std::size_t size() const noexcept { return s_ ? s_->size() : 0; }
  bool empty() const noexcept { return size() == 0; }

 private:
  static void recycle(std::string* s) noexcept;
  std::string* s_ = nullptr;
};

}  // namespace valkey::exec
