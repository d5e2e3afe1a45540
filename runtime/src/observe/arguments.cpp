// observe::Arguments: a request's commands as argument lists, read from
// their RESP encoding (the bytes the connection sends).
#include <charconv>
#include <cstddef>
#include <string_view>

#include <valkey/observe/observer.hpp>

namespace valkey::observe {

namespace {

// Reads "<c><number>\r\n" at `pos`; false when the bytes are not that.
bool read_header(std::string_view b, std::size_t& pos, char c, std::size_t& n) {
  if (pos >= b.size() || b[pos] != c) return false;
  const std::size_t eol = b.find("\r\n", pos + 1);
  if (eol == std::string_view::npos) return false;
  const auto r = std::from_chars(b.data() + pos + 1, b.data() + eol, n);
  if (r.ec != std::errc{} || r.ptr != b.data() + eol) return false;
  pos = eol + 2;
  return true;
}

}  // namespace

std::string_view Arguments::encoded() const {
  if (!ready_) {
    ready_ = true;
    if (write_) {
      resp::Writer w(scratch_);
      write_(ctx_, w);
      bytes_ = scratch_;
    }
  }
  return bytes_;
}

void Arguments::visit(Visit v, void* ctx) const {
  const std::string_view b = encoded();
  std::size_t pos = 0;
  for (std::size_t command = 0; pos < b.size(); ++command) {
    std::size_t argc = 0;
    if (!read_header(b, pos, '*', argc)) return;
    for (std::size_t i = 0; i < argc; ++i) {
      std::size_t len = 0;
      if (!read_header(b, pos, '$', len) || b.size() - pos < len + 2) return;
      v(ctx, command, i, b.substr(pos, len));
      pos += len + 2;
    }
  }
}

}  // namespace valkey::observe
