#include <valkey/exec/encoded_command.hpp>

#include <charconv>

namespace valkey::exec {

namespace {

// `<type><digits>\r\n` at `at`: the number in `out`, `at` past the line.
bool read_line_number(std::string_view bytes, std::size_t& at, char type, std::size_t& out) {
  if (at >= bytes.size() || bytes[at] != type) return false;
  const std::size_t eol = bytes.find("\r\n", at);
  if (eol == std::string_view::npos) return false;
  auto [p, ec] = std::from_chars(bytes.data() + at + 1, bytes.data() + eol, out);
  if (ec != std::errc{} || p != bytes.data() + eol) return false;
  at = eol + 2;
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
    if (len > bytes.size() - at || bytes.size() - at - len < 2 || bytes.substr(at + len, 2) != "\r\n") return 0;
    argv.push_back(bytes.substr(at, len));
    at += len + 2;
  }
  return at;
}

bool parse_command(std::string_view bytes, std::vector<std::string_view>& argv) {
  const std::size_t n = parse_first_command(bytes, argv);
  return n != 0 && n == bytes.size();
}

}  // namespace valkey::exec
