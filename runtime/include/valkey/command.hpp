#pragma once
/// \file
/// What the runtime needs from a command type: the generated structs in
/// valkey::cmd satisfy valkey::Command, and so can a user's own struct.
#include <concepts>
#include <string_view>

#include <valkey/command_info.hpp>
#include <valkey/export.hpp>
#include <valkey/resp/writer.hpp>
#include <valkey/view.hpp>

namespace valkey {

/// The reply of commands that answer +OK: no value to hand back.
struct Ok {
  friend constexpr bool operator==(Ok, Ok) noexcept { return true; }
};

/// Receives the keys of a command, in argv order (cluster slot routing).
class KeyCallback {
 public:
  /// Wraps `f`, called with each key; `f` must outlive the callback.
  template <class F>
    requires std::invocable<F&, std::string_view>
  KeyCallback(F& f) noexcept  // NOLINT: implicit, like a function_ref
      : ctx_(&f), fn_([](void* c, std::string_view k) { (*static_cast<F*>(c))(k); }) {}
  /// Hands one key to the callable.
  void operator()(std::string_view key) const { fn_(ctx_, key); }

 private:
  void* ctx_;
  void (*fn_)(void*, std::string_view);
};

/// The flags of an untyped command (`call()`), looked up by name in the
/// generated command table ({"BLPOP", ...} -> blocking|write...): routing to a
/// leased connection and the read-only retry policy apply to it as to a typed
/// command. CommandFlag::none for an unknown (module) command.
VALKEY_CPP_EXPORT CommandFlag flags_of(Strings args) noexcept;

/// A command type: a `reply_type`, a static CommandInfo `info`, and the free
/// functions `encode(c, writer)` and `for_each_key(c, callback)` found by
/// argument-dependent lookup.
template <class C>
concept Command = requires(const C& c, resp::Writer& w, KeyCallback k) {
  typename C::reply_type;
  { C::info } -> std::convertible_to<const CommandInfo&>;
  encode(c, w);
  for_each_key(c, k);
};

}  // namespace valkey
