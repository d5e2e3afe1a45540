#pragma once
/// \struct valkey::CommandInfo
/// Compile-time facts about a command, generated from the server's command
/// specs (generated/include/valkey/cmd/*.hpp define one per command as
/// `static constexpr CommandInfo info`). The runtime reads them to route and
/// retry: `readonly` may be retried, `blocking` runs on a leased connection,
/// key specs and tips drive cluster routing and fan-out.
#include <cstdint>
#include <span>
#include <string_view>

namespace valkey {

/// A command's flags, as its spec lists them: a bit set.
enum class CommandFlag : std::uint32_t {
  none = 0,
  readonly = 1u << 0,
  write = 1u << 1,
  denyoom = 1u << 2,
  admin = 1u << 3,
  pubsub = 1u << 4,
  noscript = 1u << 5,
  blocking = 1u << 6,
  loading = 1u << 7,
  stale = 1u << 8,
  skip_monitor = 1u << 9,
  skip_slowlog = 1u << 10,
  fast = 1u << 11,
  no_auth = 1u << 12,
  may_replicate = 1u << 13,
  no_mandatory_keys = 1u << 14,
  no_multi = 1u << 15,
  allow_busy = 1u << 16,
  sentinel = 1u << 17,
  only_sentinel = 1u << 18,
  no_async_loading = 1u << 19,
  touches_arbitrary_keys = 1u << 20,
  protected_ = 1u << 21,
  module = 1u << 22,
};
/// The union of two flag sets.
constexpr CommandFlag operator|(CommandFlag a, CommandFlag b) noexcept {
  return static_cast<CommandFlag>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}
/// Whether `set` contains `f`.
constexpr bool has(CommandFlag set, CommandFlag f) noexcept {
  return (static_cast<std::uint32_t>(set) & static_cast<std::uint32_t>(f)) != 0;
}

/// From the `request_policy` command tip: how a cluster client sends it.
enum class RequestPolicy : std::uint8_t {
  default_,       ///< to the node owning the keys (or any node when keyless)
  all_nodes,
  all_shards,     ///< one node per shard (the primaries)
  multi_shard,    ///< split by slot, keys sent to their shards
  special,
};
/// From the `response_policy` tip: how fanned-out replies combine.
enum class ResponsePolicy : std::uint8_t {
  default_,
  one_succeeded,
  all_succeeded,
  agg_logical_and,
  agg_logical_or,
  agg_min,
  agg_max,
  agg_sum,
  special,
};

/// One key spec, as in the spec's `key_specs` (begin_search + find_keys).
struct KeySpec {
  /// How the search for keys begins.
  enum class Begin : std::uint8_t { index, keyword, unknown };
  /// How the keys are found from there.
  enum class Find : std::uint8_t { range, keynum, unknown };
  /// How the search for keys begins.
  Begin begin = Begin::unknown;
  int begin_index = 0;            ///< Begin::index: argv position (0 = command name)
  std::string_view keyword = {};  ///< Begin::keyword
  /// Begin::keyword: the argv position the search starts from (negative:
  /// from the end).
  int keyword_startfrom = 0;
  /// How the keys are found.
  Find find = Find::unknown;
  /// \name Find::range
  /// @{
  int lastkey = 0, keystep = 1, limit = 0;              // Find::range
  /// @}
  /// \name Find::keynum
  /// @{
  int keynumidx = 0, firstkey = 0, keynum_step = 1;     // Find::keynum
  /// @}
  /// \name Flags
  /// Whether the keys are read or written, and whether the spec may miss some
  /// (incomplete).
  /// @{
  bool read = false, write = false, incomplete = false;
  /// @}
};

struct CommandInfo {
  std::string_view name;        ///< "SET", "CLIENT KILL"
  int arity;                    ///< as COMMAND INFO reports it (negative: at least)
  /// The command's flags.
  CommandFlag flags;
  std::uint64_t acl_categories; ///< bit i: acl_category_names[i]
  std::string_view since;       ///< "1.0.0"
  std::string_view group;       ///< "string", "sorted_set", ...
  /// From the `request_policy` tip.
  RequestPolicy request_policy;
  /// From the `response_policy` tip.
  ResponsePolicy response_policy;
  /// Whether the spec has the `nondeterministic_output` tip.
  bool nondeterministic_output;
  /// The command's key specs.
  std::span<const KeySpec> key_specs;

  /// Whether `flags` has `f`.
  constexpr bool is(CommandFlag f) const noexcept { return has(flags, f); }
};

}  // namespace valkey
