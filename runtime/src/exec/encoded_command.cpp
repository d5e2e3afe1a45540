#include <valkey/exec/encoded_command.hpp>

namespace valkey::exec {

namespace {

// `<type><digits>\r\n` at `at`: the number in `out`, `at` past the line.
// A digit loop rather than find("\r\n") + from_chars: the cluster router
// reads every command it routes back from its bytes, so this runs per
// argument. At most 18 digits: no overflow, and no real length needs more.
bool read_line_number(std::string_view bytes, std::size_t& at, char type, std::size_t& out) {
  if (at >= bytes.size() || bytes[at] != type) return false;
  const char* p = bytes.data() + at + 1;
  const char* const end = bytes.data() + bytes.size();
  const char* const digits = p;
  std::size_t n = 0;
  while (p != end && static_cast<unsigned char>(*p - '0') < 10) {
    if (p - digits == 18) return false;
    n = n * 10 + static_cast<std::size_t>(*p - '0');
    ++p;
  }
  if (p == digits || end - p < 2 || p[0] != '\r' || p[1] != '\n') return false;
  out = n;
  at = static_cast<std::size_t>(p + 2 - bytes.data());
  return true;
}

}  // namespace

std::string_view first_command(std::string_view b) noexcept {
  // *<n>\r\n$<len>\r\n<name>\r\n
  std::size_t at = 0, count = 0, len = 0;
  if (!read_line_number(b, at, '*', count) || count == 0) return {};
  if (!read_line_number(b, at, '$', len) || len > b.size() - at) return {};
  return b.substr(at, len);
}

std::size_t parse_first_command(std::string_view bytes, std::vector<std::string_view>& argv) {
  argv.clear();
  std::size_t at = 0, count = 0;
  if (!read_line_number(bytes, at, '*', count)) return 0;
  // An argument takes at least 6 bytes ("$0\r\n\r\n"): a count the rest of
  // the bytes cannot hold is refused before it sizes a reservation.
  if (count > (bytes.size() - at) / 6) return 0;
  argv.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t len = 0;
    if (!read_line_number(bytes, at, '$', len)) return 0;
    if (bytes.size() - at < len + 2 || bytes[at + len] != '\r' || bytes[at + len + 1] != '\n') return 0;
    argv.emplace_back(bytes.data() + at, len);
    at += len + 2;
  }
  return at;
}

bool parse_command(std::string_view bytes, std::vector<std::string_view>& argv) {
  const std::size_t n = parse_first_command(bytes, argv);
  return n != 0 && n == bytes.size();
}

}  // namespace valkey::exec
