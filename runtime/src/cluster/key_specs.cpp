// The key-spec interpreter. Mirrors how the server reads its own specs
// (begin search, then find keys, bounds checked against argc) so that its
// answers can be checked against COMMAND GETKEYS example by example.
#include <valkey/cluster/key_specs.hpp>

#include <charconv>
#include <limits>

#include <valkey/command_table.hpp>

#include "detail/ascii.hpp"

namespace valkey::cluster {
namespace {

using valkey::detail::iequals;

// A key count as the server accepts it: an optional '-', digits, no leading
// zeros, no sign '+', no spaces. Returns -1 for anything else (or negative).
long long parse_count(std::string_view s) noexcept {
  if (s.empty() || s.size() > 19) return -1;
  if (s.size() > 1 && s[0] == '0') return -1;
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return -1;
  return v < 0 ? -1 : v;
}

KeysStatus worse(KeysStatus a, KeysStatus b) noexcept { return static_cast<int>(b) > static_cast<int>(a) ? b : a; }

}  // namespace

std::string_view to_string(KeysStatus s) noexcept {
  switch (s) {
    case KeysStatus::complete: return "complete";
    case KeysStatus::incomplete: return "incomplete";
    case KeysStatus::invalid: return "invalid";
    case KeysStatus::unknown_command: return "unknown_command";
  }
  return "?";
}

bool has_movable_keys(const CommandInfo& info) noexcept {
  for (const KeySpec& s : info.key_specs)
    if (s.begin != KeySpec::Begin::index || s.find != KeySpec::Find::range) return true;
  return false;
}

KeyWalk walk_key_specs(const CommandInfo& info, std::span<const std::string_view> argv, KeyPositionSink sink,
                       NotKeys not_keys) {
  KeyWalk walk;
  walk.info = &info;
  // argc beyond int range cannot come from a real command line; clamp so the
  // arithmetic below stays in int.
  const int argc = argv.size() > static_cast<std::size_t>(std::numeric_limits<int>::max() / 4)
                       ? std::numeric_limits<int>::max() / 4
                       : static_cast<int>(argv.size());
  for (const KeySpec& spec : info.key_specs) {
    if (is_not_key(spec) && not_keys == NotKeys::skip) continue;

    int first = 0;
    if (spec.begin == KeySpec::Begin::index) {
      first = spec.begin_index;
    } else if (spec.begin == KeySpec::Begin::keyword) {
      // Forwards from startfrom to the second-to-last argument, or (negative
      // startfrom) backwards from argc + startfrom down to argument 2.
      const int from = spec.keyword_startfrom > 0 ? spec.keyword_startfrom : argc + spec.keyword_startfrom;
      const int end = spec.keyword_startfrom > 0 ? argc - 1 : 1;
      for (int i = from; i != end; i = from <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (iequals(argv[static_cast<std::size_t>(i)], spec.keyword)) {
          first = i + 1;
          break;
        }
      }
      if (first == 0) continue;  // keyword absent: this spec has no keys here
    } else {
      walk.status = worse(walk.status, KeysStatus::incomplete);
      continue;
    }

    int last = 0, step = 1;
    if (spec.find == KeySpec::Find::range) {
      step = spec.keystep;
      if (spec.lastkey >= 0) {
        last = first + spec.lastkey;
      } else if (spec.limit == 0) {
        last = argc + spec.lastkey;
      } else {
        // lastkey -1 with a limit: the keys are the first 1/limit of what
        // follows (XREAD's STREAMS k1 k2 id1 id2).
        last = first + ((argc - first) / spec.limit + spec.lastkey);
      }
    } else if (spec.find == KeySpec::Find::keynum) {
      step = spec.keynum_step;
      const int at = first + spec.keynumidx;
      if (at >= argc || at < 0) {
        walk.status = worse(walk.status, KeysStatus::invalid);
        continue;
      }
      const long long n = parse_count(argv[static_cast<std::size_t>(at)]);
      if (n < 0 || n > argc) {
        walk.status = worse(walk.status, KeysStatus::invalid);
        continue;
      }
      first += spec.firstkey;
      if (n == 0) continue;  // numkeys 0: no keys (EVAL without keys)
      // n keys, `step` apart (MSETEX's key value pairs have step 2). In 64
      // bits: a step from a server's COMMAND INFO may be large.
      const long long end = first + (n - 1) * static_cast<long long>(step < 1 ? 1 : step);
      if (end >= argc) {
        walk.status = worse(walk.status, KeysStatus::invalid);
        continue;
      }
      last = static_cast<int>(end);
    } else {
      walk.status = worse(walk.status, KeysStatus::incomplete);
      continue;
    }

    if (step < 1 || first < 1 || last >= argc || last < first || first >= argc) {
      walk.status = worse(walk.status, KeysStatus::invalid);
      continue;
    }
    for (int i = first; i <= last; i += step) {
      sink(i, spec);
      ++walk.count;
    }
    if (spec.incomplete) walk.status = worse(walk.status, KeysStatus::incomplete);
  }
  return walk;
}

KeyWalk walk_key_specs(std::span<const std::string_view> argv, KeyPositionSink sink, NotKeys not_keys) {
  const CommandInfo* info = nullptr;
  if (argv.size() >= 2) info = find_command(argv[0], argv[1]);
  else if (argv.size() == 1) info = find_command(argv[0]);
  if (!info) return KeyWalk{KeysStatus::unknown_command, nullptr, 0};
  return walk_key_specs(*info, argv, sink, not_keys);
}

namespace {
KeyPositions collect(std::span<const std::string_view> argv, const CommandInfo* info, NotKeys not_keys) {
  KeyPositions out;
  auto add = [&](int pos, const KeySpec&) {
    out.positions.push_back(pos);
    out.keys.push_back(argv[static_cast<std::size_t>(pos)]);
  };
  out.walk = info ? walk_key_specs(*info, argv, add, not_keys) : walk_key_specs(argv, add, not_keys);
  return out;
}
}  // namespace

KeyPositions key_positions(std::span<const std::string_view> argv, NotKeys not_keys) {
  return collect(argv, nullptr, not_keys);
}
KeyPositions key_positions(const CommandInfo& info, std::span<const std::string_view> argv, NotKeys not_keys) {
  return collect(argv, &info, not_keys);
}

}  // namespace valkey::cluster
