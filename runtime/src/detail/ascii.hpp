#pragma once
// ASCII case folding for protocol words (command names, tokens, policies):
// the server compares them without regard to case, and so do we. Locale-free
// on purpose. Internal to the runtime.
#include <cstddef>
#include <string>
#include <string_view>

namespace valkey::detail {

constexpr char ascii_upper(char c) noexcept { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// `s` in upper case (command names as the server's tables spell them).
inline std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_upper(c);
  return out;
}

// Orders a name from an upper-case table against `input` in any case, as
// if `input` were upper case: the comparison of a table's binary search.
constexpr int compare_upper(std::string_view table_name, std::string_view input) noexcept {
  const std::size_t n = table_name.size() < input.size() ? table_name.size() : input.size();
  for (std::size_t i = 0; i < n; ++i) {
    const char a = table_name[i], b = ascii_upper(input[i]);
    if (a != b) return a < b ? -1 : 1;
  }
  if (table_name.size() == input.size()) return 0;
  return table_name.size() < input.size() ? -1 : 1;
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_upper(a[i]) != ascii_upper(b[i])) return false;
  return true;
}

}  // namespace valkey::detail
