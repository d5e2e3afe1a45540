#pragma once
// Key positions of an untyped command (`call()`), read from the command's key
// specs in the generated table: the begin search (an index, or a keyword
// searched forwards or backwards from `startfrom`) and the find step (a range
// up to `lastkey` with `keystep` and `limit`, or a count taken from the
// arguments). Typed commands have generated key walkers instead.
//
// The interpreter follows the server's reading of the specs, so the keys it
// finds are the ones COMMAND GETKEYS names, except where the specs themselves
// say they are not enough (`incomplete`, or a begin/find type without
// description, as for SORT's BY/GET/STORE): then the status says so and a
// router must not trust the positions for routing.
//
// No allocation: positions go to a callback as they are found.
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <valkey/command_info.hpp>
#include <valkey/export.hpp>

namespace valkey::cluster {

enum class KeysStatus : std::uint8_t {
  complete,         // the specs describe every key of this invocation
  incomplete,       // a spec is marked incomplete or cannot be read: the keys found may be only some
  invalid,          // the arguments do not fit a spec (numkeys not a count, keys past the end):
                    // the server refuses the invocation as well
  unknown_command,  // no command of that name (and subcommand) in the table
};

VALKEY_CPP_EXPORT std::string_view to_string(KeysStatus s) noexcept;

// A spec with no access flag (read or write) describes arguments that are
// not keys but are hashed like keys, like SPUBLISH's shard channel or
// CLUSTERSCAN's cursor; COMMAND GETKEYS leaves them out.
constexpr bool is_not_key(const KeySpec& s) noexcept { return !s.read && !s.write; }

// Whether key positions of the command depend on argument values (a keyword
// or key-count spec), what the server calls movable keys.
VALKEY_CPP_EXPORT bool has_movable_keys(const CommandInfo& info) noexcept;

struct KeyWalk {
  KeysStatus status = KeysStatus::complete;
  const CommandInfo* info = nullptr;  // null with unknown_command
  std::size_t count = 0;              // positions reported
};

// Receives one key position (argv index; 0 is the command name) and the spec
// that found it.
class KeyPositionSink {
 public:
  template <class F>
    requires std::invocable<F&, int, const KeySpec&>
  KeyPositionSink(F& f) noexcept  // NOLINT: implicit, like a function_ref
      : ctx_(&f), fn_([](void* c, int pos, const KeySpec& s) { (*static_cast<F*>(c))(pos, s); }) {}
  void operator()(int pos, const KeySpec& s) const { fn_(ctx_, pos, s); }

 private:
  void* ctx_;
  void (*fn_)(void*, int, const KeySpec&);
};

enum class NotKeys : std::uint8_t { skip, include };

// Walks `info`'s key specs over `argv` (argv[0] is the command name, argv[1]
// the subcommand of a container). Positions come in spec order, then argv
// order within a spec (COMMAND GETKEYS order); a position can repeat when two
// specs find it.
VALKEY_CPP_EXPORT KeyWalk walk_key_specs(const CommandInfo& info, std::span<const std::string_view> argv, KeyPositionSink sink,
                       NotKeys not_keys = NotKeys::skip);

// Looks the command up by argv[0] (and argv[1]) first.
VALKEY_CPP_EXPORT KeyWalk walk_key_specs(std::span<const std::string_view> argv, KeyPositionSink sink,
                       NotKeys not_keys = NotKeys::skip);

// The same, collected (allocates; for tools and tests).
struct KeyPositions {
  KeyWalk walk;
  std::vector<int> positions;
  std::vector<std::string_view> keys;  // argv[position], views into argv
};
VALKEY_CPP_EXPORT KeyPositions key_positions(std::span<const std::string_view> argv, NotKeys not_keys = NotKeys::skip);
VALKEY_CPP_EXPORT KeyPositions key_positions(const CommandInfo& info, std::span<const std::string_view> argv,
                           NotKeys not_keys = NotKeys::skip);

}  // namespace valkey::cluster
