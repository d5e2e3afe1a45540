// Routing decisions from the generated metadata. The order of the checks is
// the order of precedence: refusal (connection state) first, then the
// request_policy tips that ignore keys, then the keys.
#include <valkey/cluster/route.hpp>

#include <algorithm>
#include <array>
#include <numeric>
#include <utility>

#include <valkey/cluster/slot.hpp>
#include <valkey/command_table.hpp>

#include "detail/ascii.hpp"

namespace valkey::cluster {
namespace {

using valkey::detail::iequals;

constexpr std::string_view kTransaction =
    "runs on one node's connection between MULTI and EXEC: use the cluster client's transaction() (and watch() for "
    "WATCH), which pins the slot's owner";
constexpr std::string_view kSubscribe =
    "puts a connection into subscriber mode: use the cluster client's subscriber (sharded channels follow their "
    "slot's owner)";

struct Refusal {
  std::string_view name;
  std::string_view use_instead;
};
constexpr std::array<Refusal, 24> kRefusals{{
    {"AUTH", "sets the identity of one shared node connection: set user and password in the per-node Config of "
             "ClusterConfig"},
    {"HELLO", "renegotiates one shared node connection: set protocol, user, password and client_name in the "
              "per-node Config of ClusterConfig"},
    {"SELECT", "changes the database of one shared node connection: set Config::database in ClusterConfig (it "
               "applies to every node)"},
    {"RESET", "drops one shared node connection's authentication and state: close() the client and create a new "
              "one"},
    {"READONLY", "switches one node connection to replica reads: choose ClusterConfig::read_from instead"},
    {"READWRITE", "switches one node connection's replica reads: choose ClusterConfig::read_from instead"},
    {"ASKING", "is sent by the client itself when it follows an ASK redirection"},
    {"CLIENT SETNAME", "names one shared node connection: set Config::client_name in ClusterConfig"},
    {"CLIENT TRACKING", "changes how a shared node connection is answered; client-side caching is not offered "
                        "through call()"},
    {"CLIENT CACHING", "only applies to a connection with CLIENT TRACKING, which the cluster client refuses"},
    {"CLIENT REPLY", "would leave requests without replies: every request gets its reply; use a pipeline to "
                     "save round trips"},
    {"MONITOR", "turns a connection into a monitor stream: open a single-node Client on that node (per-node "
                "access lists the nodes)"},
    {"QUIT", "would close a shared node connection: close() the client instead"},
    {"MULTI", kTransaction},
    {"EXEC", kTransaction},
    {"DISCARD", kTransaction},
    {"WATCH", kTransaction},
    {"UNWATCH", kTransaction},
    {"SUBSCRIBE", kSubscribe},
    {"PSUBSCRIBE", kSubscribe},
    {"SSUBSCRIBE", kSubscribe},
    {"UNSUBSCRIBE", kSubscribe},
    {"PUNSUBSCRIBE", kSubscribe},
    {"SUNSUBSCRIBE", kSubscribe},
}};

constexpr std::string_view kScan =
    "iterates one node's keyspace with a cursor only that node understands: use scan_all(), which covers every "
    "slot (CLUSTERSCAN where the server has it, else SCAN on every primary)";
constexpr std::string_view kSpecial = "has request_policy special: only its dedicated API can route it";
constexpr std::string_view kUnknownCommand =
    "is not in the generated command table: describe it with COMMAND INFO (module commands) or send it to a "
    "chosen node";
constexpr std::string_view kIncomplete =
    "has keys its key specs do not fully describe (SORT's BY/GET/STORE, MIGRATE's KEYS): ask the server (COMMAND "
    "GETKEYS) or send it to the owner of its first key";
constexpr std::string_view kInvalid =
    "has arguments that do not fit its key specs (a key count that is not a number or runs past the end): the "
    "server will refuse it";
constexpr std::string_view kEmpty = "is empty: no command name";

// MSETEX NX|XX sets every key or none; the tokens follow the key/value pairs.
bool conditional_multi_set(const CommandInfo& info, std::span<const std::string_view> argv, int last_key_pos) {
  if (info.name != "MSETEX") return false;
  for (std::size_t i = static_cast<std::size_t>(last_key_pos) + 2; i < argv.size(); ++i)
    if (iequals(argv[i], "NX") || iequals(argv[i], "XX")) return true;
  return false;
}

// Policy decisions that do not depend on keys; true when decided.
bool decide_by_policy(const CommandInfo& info, Route& r) {
  if (auto why = refusal(info); !why.empty()) {
    r.kind = RouteKind::refused;
    r.reason = why;
    return true;
  }
  switch (info.request_policy) {
    case RequestPolicy::all_nodes: r.kind = RouteKind::all_nodes; return true;
    case RequestPolicy::all_shards: r.kind = RouteKind::all_shards; return true;
    case RequestPolicy::special:
      r.kind = RouteKind::special;
      r.reason = (info.name == "SCAN" || info.name == "CLUSTERSCAN") ? kScan : kSpecial;
      return true;
    case RequestPolicy::default_:
    case RequestPolicy::multi_shard: break;
  }
  return false;
}

// Groups key indices by slot; groups ordered by their first key.
void split(Route& r, std::span<const std::uint16_t> slots) {
  std::vector<std::uint32_t> order(slots.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return slots[a] < slots[b]; });
  for (std::size_t i = 0; i < order.size();) {
    SlotGroup g;
    g.slot = slots[order[i]];
    while (i < order.size() && slots[order[i]] == g.slot) g.keys.push_back(order[i++]);
    r.groups.push_back(std::move(g));
  }
  std::sort(r.groups.begin(), r.groups.end(),
            [](const SlotGroup& a, const SlotGroup& b) { return a.keys.front() < b.keys.front(); });
}

}  // namespace

std::string_view to_string(RouteKind k) noexcept {
  switch (k) {
    case RouteKind::any_primary: return "any_primary";
    case RouteKind::slot: return "slot";
    case RouteKind::multi_slot: return "multi_slot";
    case RouteKind::all_nodes: return "all_nodes";
    case RouteKind::all_shards: return "all_shards";
    case RouteKind::cross_slot: return "cross_slot";
    case RouteKind::special: return "special";
    case RouteKind::refused: return "refused";
    case RouteKind::unknown_keys: return "unknown_keys";
  }
  return "?";
}

std::string_view refusal(const CommandInfo& info) noexcept {
  // Every refused command changes connection state: none reads or writes
  // data, so data commands (the request path's) skip the scan.
  // tests/unit/cluster_route.cpp checks this over the generated table.
  if (info.is(CommandFlag::readonly) || info.is(CommandFlag::write)) return {};
  for (const auto& r : kRefusals)
    if (r.name == info.name) return r.use_instead;
  return {};
}

Route route(const CommandInfo& info, std::span<const std::string_view> argv) {
  Route r;
  r.info = &info;
  r.read_only = info.is(CommandFlag::readonly);
  if (decide_by_policy(info, r)) return r;

  // First pass, allocation-free: the first key, and whether another slot appears.
  int first_pos = -1, other_pos = -1, last_pos = -1, step = 1;
  std::uint16_t first_slot = 0;
  auto first_pass = [&](int pos, const KeySpec& spec) {
    const std::string_view key = argv[static_cast<std::size_t>(pos)];
    last_pos = pos;
    if (first_pos < 0) {
      first_pos = pos;
      first_slot = hash_slot(key);
      step = spec.find == KeySpec::Find::range ? spec.keystep : spec.keynum_step;
    } else if (other_pos < 0 && hash_slot(key) != first_slot) {
      other_pos = pos;
    }
  };
  KeyWalk walk = walk_key_specs(info, argv, first_pass, NotKeys::include);
  r.keys_status = walk.status;
  if (walk.status != KeysStatus::complete) {
    r.kind = RouteKind::unknown_keys;
    r.reason = walk.status == KeysStatus::invalid ? kInvalid : kIncomplete;
    if (first_pos >= 0 && other_pos < 0) r.hint_slot = first_slot;
    return r;
  }
  if (first_pos < 0) {
    r.kind = RouteKind::any_primary;
    return r;
  }
  if (other_pos < 0) {
    r.kind = RouteKind::slot;
    r.slot = first_slot;
    return r;
  }
  if (info.request_policy == RequestPolicy::multi_shard && !conditional_multi_set(info, argv, last_pos)) {
    r.kind = RouteKind::multi_slot;
    r.key_step = step < 1 ? 1 : step;
    std::vector<std::uint16_t> slots;
    slots.reserve(walk.count);
    auto collect = [&](int pos, const KeySpec&) {
      r.positions.push_back(pos);
      slots.push_back(hash_slot(argv[static_cast<std::size_t>(pos)]));
    };
    walk_key_specs(info, argv, collect, NotKeys::include);
    split(r, slots);
    return r;
  }
  r.kind = RouteKind::cross_slot;
  r.key_a = argv[static_cast<std::size_t>(first_pos)];
  r.key_b = argv[static_cast<std::size_t>(other_pos)];
  r.slot_a = first_slot;
  r.slot_b = hash_slot(r.key_b);
  return r;
}

Route route(std::span<const std::string_view> argv) {
  if (argv.empty()) {
    Route r;
    r.kind = RouteKind::unknown_keys;
    r.keys_status = KeysStatus::unknown_command;
    r.reason = kEmpty;
    return r;
  }
  const CommandInfo* info = argv.size() >= 2 ? find_command(argv[0], argv[1]) : find_command(argv[0]);
  if (!info) {
    Route r;
    r.kind = RouteKind::unknown_keys;
    r.keys_status = KeysStatus::unknown_command;
    r.reason = kUnknownCommand;
    return r;
  }
  return route(*info, argv);
}

Route route_call(Strings argv) {
  constexpr std::size_t kInline = 64;
  std::array<std::string_view, kInline> inline_args;
  std::vector<std::string_view> heap_args;
  std::span<std::string_view> args;
  if (argv.size() <= kInline) {
    std::size_t i = 0;
    argv.for_each([&](std::string_view a) { inline_args[i++] = a; });
    args = std::span<std::string_view>(inline_args.data(), i);
  } else {
    heap_args.reserve(argv.size());
    argv.for_each([&](std::string_view a) { heap_args.push_back(a); });
    args = heap_args;
  }
  return route(std::span<const std::string_view>(args.data(), args.size()));
}

void SlotCheck::operator()(std::string_view key) noexcept {
  if (count_++ == 0) {
    first_ = key;
    slot_ = hash_slot(key);
  } else if (other_.data() == nullptr && hash_slot(key) != slot_) {
    // A key of length 0 still has a non-null data pointer when it comes from
    // a string; an empty literal view may not, so keep a marker instead.
    other_ = key.data() ? key : std::string_view("", 0);
  }
}

Route route_keys(const CommandInfo& info, std::span<const std::string_view> keys, bool all_or_none) {
  Route r;
  r.info = &info;
  r.read_only = info.is(CommandFlag::readonly);
  if (decide_by_policy(info, r)) return r;
  if (keys.empty()) {
    r.kind = RouteKind::any_primary;
    return r;
  }
  const std::uint16_t first = hash_slot(keys[0]);
  std::size_t other = 0;
  for (std::size_t i = 1; i < keys.size() && other == 0; ++i)
    if (hash_slot(keys[i]) != first) other = i;
  if (other == 0) {
    r.kind = RouteKind::slot;
    r.slot = first;
    return r;
  }
  if (info.request_policy == RequestPolicy::multi_shard && !all_or_none) {
    r.kind = RouteKind::multi_slot;
    std::vector<std::uint16_t> slots;
    slots.reserve(keys.size());
    for (auto k : keys) slots.push_back(hash_slot(k));
    split(r, slots);
    return r;
  }
  r.kind = RouteKind::cross_slot;
  r.key_a = keys[0];
  r.key_b = keys[other];
  r.slot_a = first;
  r.slot_b = hash_slot(keys[other]);
  return r;
}

std::string describe(const Route& r) {
  const std::string name = r.info ? std::string(r.info->name) : std::string("the command");
  switch (r.kind) {
    case RouteKind::cross_slot:
      return name + ": keys '" + std::string(r.key_a) + "' (slot " + std::to_string(r.slot_a) + ") and '" +
             std::string(r.key_b) + "' (slot " + std::to_string(r.slot_b) +
             ") are in different slots and this command cannot be split; give related keys a common hash tag "
             "such as {user1}";
    case RouteKind::refused:
    case RouteKind::special:
    case RouteKind::unknown_keys: return name + " " + std::string(r.reason);
    default: return {};
  }
}

}  // namespace valkey::cluster
