#pragma once
/// \file
/// Which commands a client-side cache may answer locally, decided from the
/// generated command metadata alone. A cached reply stays right only while the
/// server would return the same bytes for the same request, and the server's
/// tracking tells the client when that stops being so. That holds for a
/// command that:
///   - only reads (readonly, not write): the reply changes only when data does;
///   - is deterministic (no nondeterministic_output tip): SRANDMEMBER, TTL,
///     OBJECT IDLETIME answer differently with no write in between;
///   - does not block (BLPOP waits for data instead of reading it);
///   - reads exactly one key, found at a fixed argv position: tracking
///     invalidates per key, so one key per entry is what makes an
///     invalidation map to the entries it affects (MGET goes through the
///     cache key by key instead).
#include <concepts>
#include <string_view>

#include <valkey/command_info.hpp>

namespace valkey {

/// Whether `name` is one of the commands deterministic by their metadata but
/// not in fact: HTTL and HPTTL answer the time left, which shrinks with no
/// write; MEMORY USAGE samples nested values.
constexpr bool has_unmarked_varying_reply(std::string_view name) noexcept {
  return name == "HTTL" || name == "HPTTL" || name == "MEMORY USAGE";
}

/// Whether `s` is one key at a fixed argv position, read and not written, and
/// fully described (an incomplete spec means the command may touch keys it
/// does not name).
constexpr bool is_single_read_key(const KeySpec& s) noexcept {
  return s.begin == KeySpec::Begin::index && s.begin_index >= 1 && s.find == KeySpec::Find::range &&
         s.lastkey == 0 && s.read && !s.write && !s.incomplete;
}

/// Whether a client-side cache may answer command `c` locally: read-only,
/// deterministic, neither blocking nor pub/sub, one key at a fixed argv position.
constexpr bool is_cacheable(const CommandInfo& c) noexcept {
  return c.is(CommandFlag::readonly) && !c.is(CommandFlag::write) && !c.is(CommandFlag::blocking) &&
         !c.is(CommandFlag::pubsub) && !c.is(CommandFlag::touches_arbitrary_keys) &&
         !c.nondeterministic_output && !has_unmarked_varying_reply(c.name) && c.key_specs.size() == 1 && is_single_read_key(c.key_specs[0]);
}

/// A generated command struct (valkey::cmd::Get...) whose reply may be cached;
/// for `requires` clauses of the cached command surface.
template <class C>
concept CacheableCommand = requires {
  { C::info } -> std::convertible_to<const CommandInfo&>;
} && is_cacheable(C::info);

}  // namespace valkey
