#pragma once
/// \class valkey::resp::Writer
/// Encodes commands as RESP arrays of bulk strings, appending to a caller-owned
/// buffer that is reused across requests: binary-safe, no allocation per
/// argument, numbers formatted with std::to_chars. ArgCounter takes the same arg()
/// calls and only counts, so an encoder can run once to count and once to
/// write (the array header needs the count first).
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace valkey::resp {

class Writer {
 public:
  /// A writer that appends to `out`, which must outlive it.
  explicit Writer(std::string& out) noexcept : out_(&out) {}

  /// "*<argc>\r\n": starts a command of argc arguments (the name included).
  void begin_command(std::size_t argc) { header('*', argc); }

  /// Appends one argument as a bulk string.
  void arg(std::string_view s) {
    if (s.size() <= kSmallArg) {
      // Keys, short values, command names: framed on the stack and appended
      // once (one capacity check instead of three).
      char buf[kSmallArg + 26];
      char* p = buf;
      *p++ = '$';
      // At most kSmallArg (< 100) bytes: one or two digits, written here
      // (std::to_chars is a call that costs as much as the rest of this).
      static_assert(kSmallArg < 100);
      if (s.size() >= 10) *p++ = static_cast<char>('0' + s.size() / 10);
      *p++ = static_cast<char>('0' + s.size() % 10);
      *p++ = '\r';
      *p++ = '\n';
      if (!s.empty()) std::memcpy(p, s.data(), s.size());  // data() may be null when empty
      p += s.size();
      *p++ = '\r';
      *p++ = '\n';
      out_->append(buf, static_cast<std::size_t>(p - buf));
      return;
    }
    header('$', s.size());
    out_->append(s.data(), s.size());
    out_->append("\r\n", 2);
  }
  /// The same for a C string.
  void arg(const char* s) { arg(std::string_view{s}); }
  /// The same for a std::string.
  void arg(const std::string& s) { arg(std::string_view{s}); }
  /// An integer argument, in decimal.
  void arg(std::signed_integral auto v) { number(static_cast<long long>(v)); }
  /// An unsigned integer argument, in decimal.
  void arg(std::unsigned_integral auto v) { number(static_cast<unsigned long long>(v)); }
  void arg(bool) = delete;  ///< pure tokens are written by name, never as 0/1
  /// Shortest form that reads back to the same double; inf and -inf as the
  /// server spells them.
  void arg(double v) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    std::string_view text{buf, static_cast<std::size_t>(r.ptr - buf)};
    if (text == "inf") text = "+inf";
    arg(text);
  }

  /// The buffer it appends to.
  std::string& buffer() noexcept { return *out_; }

 private:
  template <class N>
  void number(N v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    arg(std::string_view{buf, static_cast<std::size_t>(r.ptr - buf)});
  }
  void header(char kind, std::size_t n) {
    char buf[24];
    buf[0] = kind;
    char* p = buf + 1;
    if (n < 10) *p++ = static_cast<char>('0' + n);  // "*2", "*3": most commands
    else p = std::to_chars(p, buf + sizeof buf - 2, n).ptr;
    p[0] = '\r';
    p[1] = '\n';
    out_->append(buf, static_cast<std::size_t>(p + 2 - buf));
  }

  static constexpr std::size_t kSmallArg = 64;
  std::string* out_;
};

/// Takes the same arg() calls as Writer; counts arguments instead of writing them.
class ArgCounter {
 public:
  template <class T>
  /// Counts one argument.
  void arg(const T&) noexcept { ++count_; }
  /// The arguments counted so far.
  std::size_t count() const noexcept { return count_; }

 private:
  std::size_t count_ = 0;
};

}  // namespace valkey::resp
