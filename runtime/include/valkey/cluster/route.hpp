#pragma once
// Where one command goes in a cluster, decided from the generated metadata
// alone (key specs, request_policy, flags) before anything is sent:
//
//   keys in one slot                 -> that slot's owner
//   no keys, request_policy default  -> any healthy primary
//   all_nodes / all_shards           -> every node / every primary
//   multi_shard, keys in many slots  -> split by slot (MGET, MSET, DEL, ...)
//   other commands, keys in many     -> cross_slot, naming two conflicting keys
//   request_policy special           -> only through its dedicated API (scan_all)
//   connection-state commands        -> refused, naming the API to use instead
//   keys the specs cannot name       -> unknown_keys (SORT's BY/GET/STORE, MIGRATE's
//                                       KEYS, commands not in the table): the
//                                       client asks the server (COMMAND GETKEYS),
//                                       routes by ServerCommands facts, or uses
//                                       the hint
//
// Pure: no I/O, no topology. The single-slot path allocates nothing.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <valkey/cluster/key_specs.hpp>
#include <valkey/cluster/slot.hpp>
#include <valkey/command_info.hpp>
#include <valkey/export.hpp>
#include <valkey/view.hpp>

namespace valkey::cluster {

enum class RouteKind : std::uint8_t {
  any_primary,
  slot,
  multi_slot,
  all_nodes,
  all_shards,
  cross_slot,
  special,
  refused,
  unknown_keys,
};
VALKEY_CPP_EXPORT std::string_view to_string(RouteKind k) noexcept;

// Keys of one slot in a split command: indices into the command's key list
// (the order the key specs find them, which is argv order for the
// splittable commands), ascending.
struct SlotGroup {
  std::uint16_t slot = 0;
  std::vector<std::uint32_t> keys;
};

struct Route {
  RouteKind kind = RouteKind::any_primary;
  const CommandInfo* info = nullptr;  // null for an unknown command
  bool read_only = false;             // a replica may serve it (read_from)

  std::uint16_t slot = 0;  // slot
  // multi_slot: one group per slot, ordered by each group's first key.
  std::vector<SlotGroup> groups;
  // multi_slot from argv: argv index of key i; every key owns the arguments
  // [position, position + key_step) (MSET's key and value: key_step 2).
  std::vector<int> positions;
  int key_step = 1;

  // cross_slot: the first key and the first key found in another slot.
  std::string_view key_a, key_b;
  std::uint16_t slot_a = 0, slot_b = 0;

  // unknown_keys: how far the specs got, and the one slot of the keys they
  // did find (-1: none found, or several slots). Sending there is a guess the
  // server corrects (MOVED, CROSSSLOT).
  KeysStatus keys_status = KeysStatus::complete;
  int hint_slot = -1;

  // refused / special / unknown_keys: why, and what to use instead (static text).
  std::string_view reason;
};

// An untyped command: looks it up (argv[0], argv[1]) and reads its key specs,
// including not-key arguments hashed like keys (SPUBLISH's shard channel).
VALKEY_CPP_EXPORT Route route(std::span<const std::string_view> argv);
// With the command's facts given (a module command described by COMMAND INFO).
VALKEY_CPP_EXPORT Route route(const CommandInfo& info, std::span<const std::string_view> argv);

// The same for an argument view (Client::call's Strings): copied into a
// stack buffer of string_views (a vector past 64 arguments); the route's
// views point at the caller's strings, not at the copy.
VALKEY_CPP_EXPORT Route route_call(Strings argv);

// Slot of a stream of keys, for the generated walkers (`for_each_key(cmd,
// check)`, a KeyCallback): keeps the first key's slot and the first key in
// another slot, nothing else. No allocation.
class VALKEY_CPP_EXPORT SlotCheck {
 public:
  void operator()(std::string_view key) noexcept;
  std::size_t count() const noexcept { return count_; }
  bool single_slot() const noexcept { return count_ > 0 && other_.data() == nullptr; }
  std::uint16_t slot() const noexcept { return slot_; }  // the first key's slot
  std::string_view first_key() const noexcept { return first_; }
  // The first key whose slot differs from the first key's (null data when none).
  std::string_view other_key() const noexcept { return other_; }

 private:
  std::size_t count_ = 0;
  std::uint16_t slot_ = 0;
  std::string_view first_, other_;
};

// Whether every key spec of `info` names one data key at a fixed argument
// position (GET, SET, HSET, LMOVE...: begin by index, a range of one key, read
// or write, complete): then a typed command's keys are exactly what its
// generated walker lists, and their slot routes it as the key specs would.
// Constant for a typed command: fixed_key_slot() decides it at compile time.
constexpr bool fixed_key_positions(const CommandInfo& info) noexcept {
  if (info.key_specs.empty() || (!info.is(CommandFlag::readonly) && !info.is(CommandFlag::write))) return false;
  if (info.request_policy != RequestPolicy::default_ && info.request_policy != RequestPolicy::multi_shard) return false;
  for (const KeySpec& s : info.key_specs)
    if (s.begin != KeySpec::Begin::index || s.find != KeySpec::Find::range || s.lastkey != 0 || s.incomplete ||
        is_not_key(s))
      return false;
  return true;
}

// The slot of a typed command whose keys sit at fixed positions and share
// one slot; -1 when it has none, several slots, or keys the specs find by
// searching (those are routed from the encoded arguments).
template <class Cmd>
int fixed_key_slot(const Cmd& cmd) noexcept {
  // The generated commands' metadata is constexpr; a command of the
  // caller's own may hold it in a plain const.
  if constexpr (requires { typename std::bool_constant<fixed_key_positions(Cmd::info)>; }) {
    if constexpr (!fixed_key_positions(Cmd::info)) return -1;
  } else {
    if (!fixed_key_positions(Cmd::info)) return -1;
  }
  if (Cmd::info.key_specs.size() == 1) {
    // One key (GET, SET, INCR...): its slot, with nothing to compare.
    struct One {
      std::string_view key;
      std::size_t count = 0;
      void operator()(std::string_view k) noexcept {
        key = k;
        ++count;
      }
    } one;
    for_each_key(cmd, one);
    return one.count == 1 ? hash_slot(one.key) : -1;
  }
  SlotCheck check;
  for_each_key(cmd, check);
  return check.single_slot() && check.count() == Cmd::info.key_specs.size() ? check.slot() : -1;
}

// A typed command whose keys its generated walker listed. `all_or_none`: the
// command promises to apply to every key or none (MSETEX with NX or XX), so
// it is never split across slots.
VALKEY_CPP_EXPORT Route route_keys(const CommandInfo& info, std::span<const std::string_view> keys, bool all_or_none = false);

// A typed command whose keys its caller found all in `slot`
// (fixed_key_slot()): fills `into`, a Route as default-constructed, with the
// route route_keys() gives for those keys, without walking them again. In
// place, inline and allocation-free: every such request takes it, and
// assigning a returned Route would move its two vectors.
inline void route_slot(Route& into, const CommandInfo& info, std::uint16_t slot) noexcept {
  into.kind = RouteKind::slot;
  into.info = &info;
  into.read_only = info.is(CommandFlag::readonly);
  into.slot = slot;
}

// When `info` changes connection state and a cluster client must refuse it:
// the API to use instead; empty otherwise.
VALKEY_CPP_EXPORT std::string_view refusal(const CommandInfo& info) noexcept;

// A one-line explanation for an error or a log (cross_slot, refused,
// special, unknown_keys); empty for routable kinds.
VALKEY_CPP_EXPORT std::string describe(const Route& r);

}  // namespace valkey::cluster
