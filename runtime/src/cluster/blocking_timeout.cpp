#include "cluster/blocking_timeout.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <vector>

#include <valkey/exec/encoded_command.hpp>
#include <valkey/resp/writer.hpp>

#include "detail/ascii.hpp"

namespace valkey::cluster {

namespace {

enum class Unit : std::uint8_t { seconds, milliseconds };

// Where the timeout is: its index in argv and its unit; false for a command
// without one.
bool locate(const std::vector<std::string_view>& argv, std::size_t& at, Unit& unit) {
  using valkey::detail::iequals;
  const std::string_view name = argv.front();
  for (std::string_view last : {"BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BZPOPMIN", "BZPOPMAX"}) {
    if (iequals(name, last) && argv.size() >= 3) {
      at = argv.size() - 1;
      unit = Unit::seconds;
      return true;
    }
  }
  if ((iequals(name, "BLMPOP") || iequals(name, "BZMPOP")) && argv.size() >= 3) {
    at = 1;
    unit = Unit::seconds;
    return true;
  }
  if (iequals(name, "XREAD") || iequals(name, "XREADGROUP")) {
    // BLOCK comes before STREAMS; a key named "BLOCK" comes after it.
    for (std::size_t i = 1; i + 1 < argv.size(); ++i) {
      if (iequals(argv[i], "STREAMS")) return false;
      if (iequals(argv[i], "BLOCK")) {
        at = i + 1;
        unit = Unit::milliseconds;
        return true;
      }
    }
  }
  return false;
}

}  // namespace

bool remaining_timeout(std::string_view bytes, std::chrono::steady_clock::duration elapsed, std::string& out) {
  std::vector<std::string_view> argv;
  if (!exec::parse_command(bytes, argv) || argv.empty()) return false;
  std::size_t at = 0;
  Unit unit = Unit::seconds;
  if (!locate(argv, at, unit)) return false;
  const std::string_view text = argv[at];
  const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  char buf[32];
  std::string_view rewritten;
  if (unit == Unit::seconds) {
    double seconds = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc{} || p != text.data() + text.size() || !(seconds > 0)) return false;  // 0: forever
    const double left = std::max(seconds - static_cast<double>(elapsed_ms) / 1000.0, 0.001);
    const int n = std::snprintf(buf, sizeof buf, "%.3f", left);
    if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buf) return false;
    rewritten = std::string_view(buf, static_cast<std::size_t>(n));
  } else {
    std::int64_t ms = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec != std::errc{} || p != text.data() + text.size() || ms <= 0) return false;  // 0: forever
    const std::int64_t left = std::max<std::int64_t>(ms - elapsed_ms, 1);
    auto [end, ec2] = std::to_chars(buf, buf + sizeof buf, left);
    if (ec2 != std::errc{}) return false;
    rewritten = std::string_view(buf, static_cast<std::size_t>(end - buf));
  }
  std::string encoded;
  resp::Writer w(encoded);
  w.begin_command(argv.size());
  for (std::size_t i = 0; i < argv.size(); ++i) w.arg(i == at ? rewritten : argv[i]);
  out = std::move(encoded);
  return true;
}

}  // namespace valkey::cluster
