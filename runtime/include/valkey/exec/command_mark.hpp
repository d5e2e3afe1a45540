#pragma once
// What a batch builder notes about each command as it encodes it, for a
// target that asks (a cluster client: Target::batch_mark()): where the
// command ends in the batch's bytes and, for a typed command whose keys sit at
// fixed positions in one slot, that slot and the command's metadata. The
// cluster router then takes each command's bytes and slot from the marks
// instead of parsing the batch back and hashing its keys again
// (docs/performance.md, "Where a routed batch's GET goes").
#include <cstddef>
#include <cstdint>

#include <valkey/command_info.hpp>

namespace valkey::exec {

struct CommandMark {
  std::size_t end = 0;                // one past the command's last byte in the batch
  std::int32_t slot = -1;             // -1: the router finds the route from the bytes
  const CommandInfo* info = nullptr;  // set with `slot`
};

}  // namespace valkey::exec
