#pragma once
/// \file
/// May a request whose outcome is unknown (written, no reply) be sent again?
/// Only when running it twice leaves the same data as running it once:
///
///   1. blocking commands: never (they pop or wait; a resend can take a second
///      element or wait again for an unbounded time), and a caller may not mark
///      them idempotent either;
///   2. commands flagged `readonly` in the generated metadata: always;
///   3. write commands listed in commands/idempotent.json, when their arguments
///      meet the entry's conditions (SET without GET/NX/XX/IFEQ/EX/PX, ZADD
///      without INCR/NX/XX/GT/LT, ...); the JSON gives the reason per entry;
///   4. everything else: never (INCR family, pushes and pops, APPEND, XADD,
///      EVAL/EVALSHA/FCALL, EXEC, relative expiries, PUBLISH, admin commands).
///
/// The table is compiled in from runtime/src/policy/idempotent_table.cpp, which
/// generator/idempotent_table.py renders from the JSON (a test keeps them in
/// sync). All functions here are allocation-free and safe to call concurrently.
#include <span>
#include <string_view>

#include <valkey/command_info.hpp>
#include <valkey/export.hpp>
#include <valkey/view.hpp>

namespace valkey::policy {

/// One entry of commands/idempotent.json. The command is idempotent only if
/// no argument from argv index `options_from` on equals (case-insensitively)
/// one of `unless_any`, and, when `only_with` is not empty, one of those is
/// present. The scan does not know which arguments are values: a value that
/// spells a token counts as the token, which can only make a command
/// non-idempotent, never the reverse.
struct IdempotentRule {
  std::string_view command;  ///< as CommandInfo::name: "SET", "SCRIPT LOAD"
  int options_from;          ///< argv index (0 = the command name); 0: no conditions
  /// Tokens whose presence makes the command non-idempotent.
  std::span<const std::string_view> unless_any;
  /// When not empty: tokens one of which must be present.
  std::span<const std::string_view> only_with;
  /// The entry's reason, from the JSON.
  std::string_view why;
};

/// Every entry, sorted by command name.
VALKEY_CPP_EXPORT std::span<const IdempotentRule> idempotent_rules() noexcept;

/// The entry for a command name as CommandInfo spells it; nullptr when none.
VALKEY_CPP_EXPORT const IdempotentRule* idempotent_rule(std::string_view command) noexcept;

/// The decision as far as the command alone settles it: a client can skip the
/// argument scan for `always` (readonly) and `never` (blocking, not listed).
enum class Idempotency : unsigned char { never, always, depends_on_arguments };
/// The decision for the command of `info` alone (Idempotency).
VALKEY_CPP_EXPORT Idempotency idempotency_of(const CommandInfo& info) noexcept;

/// Whether the command may be sent again when its outcome is unknown.
/// `argv` is the whole command as sent: name, subcommand if any, arguments.
VALKEY_CPP_EXPORT bool idempotent(const CommandInfo& info, Strings argv) noexcept;

/// The same decision for encoded requests (RESP arrays of bulk strings, as
/// resp::Writer produces them; a request that owns its bytes can be checked
/// without decoding it into arguments). True only if every command in `resp`
/// is known (generated command table) and idempotent; false for malformed
/// input, an empty buffer, or a MULTI/EXEC block (EXEC is never idempotent).
VALKEY_CPP_EXPORT bool idempotent_encoded(std::string_view resp) noexcept;

/// A caller may mark any call idempotent (a script it knows to be safe, a
/// command of a module) except a blocking one: false for those, which the
/// per-call options should refuse with errc::invalid_argument.
VALKEY_CPP_EXPORT bool may_mark_idempotent(const CommandInfo& info) noexcept;

}  // namespace valkey::policy
