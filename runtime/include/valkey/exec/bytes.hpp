#pragma once
// valkey::exec::Bytes: the encoded commands a request owns. An asynchronous
// request is encoded before it is initiated, so a token that launches later
// (asio::deferred) or a resend (a read-only retry, a redirected cluster
// request) never reads the caller's arguments again.
//
// The buffers come from a small per-thread pool and go back to the pool of
// whichever thread drops them: in steady state a request reuses a buffer and
// allocates nothing.
#include <string>
#include <string_view>
#include <utility>

namespace valkey::exec {

class Bytes {
 public:
  Bytes() noexcept = default;
  // Takes `s` over (a batch's buffer); it returns to the pool when dropped.
  explicit Bytes(std::string s) noexcept : s_(std::move(s)) {}
  // An empty buffer from this thread's pool.
  static Bytes pooled() noexcept;

  Bytes(Bytes&& o) noexcept : s_(std::move(o.s_)) { o.s_.clear(); }
  Bytes& operator=(Bytes&& o) noexcept {
    if (this != &o) {
      recycle(std::move(s_));
      s_ = std::move(o.s_);
      o.s_.clear();
    }
    return *this;
  }
  Bytes(const Bytes&) = delete;
  Bytes& operator=(const Bytes&) = delete;
  ~Bytes() { recycle(std::move(s_)); }

  std::string& buffer() noexcept { return s_; }
  std::string_view view() const noexcept { return s_; }
  std::size_t size() const noexcept { return s_.size(); }
  bool empty() const noexcept { return s_.empty(); }

 private:
  static void recycle(std::string&& s) noexcept;
  std::string s_;
};

}  // namespace valkey::exec
