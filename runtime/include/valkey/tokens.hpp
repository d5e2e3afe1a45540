#pragma once
/// \file
/// Short names for the common choice tokens: valkey::nx, xx, gt, lt, keepttl,
/// persist.
///
/// \code
///   db.set("k", "v", {.condition = valkey::nx});                       // SET k v NX
///   db.set("k", "v", {.condition = valkey::xx, .expiration = valkey::keepttl});
///   db.expire("k", 60, {.condition = valkey::gt});                     // EXPIRE k 60 GT
///   db.zadd("z", {{1.0, "m"}}, {.condition = valkey::nx});
///   db.getex("k", {.expiration = valkey::persist});
/// \endcode
///
/// A command's choice is an enum class when all its alternatives are plain
/// tokens (cmd::Expire::Condition::nx) and a std::variant of small structs
/// when one of them carries a value (SET's NX | XX | IFEQ value:
/// cmd::Set::Nx{}). These names fit both: a token converts to any enum
/// class with an enumerator of its name, and the generator makes it the
/// variant's alternative itself (cmd::Set::Nx is valkey::token::Nx). So code
/// written with them keeps compiling when a server version adds a valued
/// alternative to a choice and its type changes from enum to variant.
#include <type_traits>

/// The types of the choice tokens valkey::nx, xx, gt, lt, keepttl and persist.
namespace valkey::token {

/// \cond
#define VALKEY_CPP_TOKEN(Type, enumerator)                                   \
  struct Type {                                                              \
    template <class E>                                                       \
      requires(std::is_enum_v<E> && requires { E::enumerator; })             \
    constexpr operator E() const noexcept { /* NOLINT: implicit by design */ \
      return E::enumerator;                                                  \
    }                                                                        \
  }

VALKEY_CPP_TOKEN(Nx, nx);
VALKEY_CPP_TOKEN(Xx, xx);
VALKEY_CPP_TOKEN(Gt, gt);
VALKEY_CPP_TOKEN(Lt, lt);
VALKEY_CPP_TOKEN(KeepTtl, keep_ttl);
VALKEY_CPP_TOKEN(Persist, persist);

#undef VALKEY_CPP_TOKEN
/// \endcond

}  // namespace valkey::token

namespace valkey {

/// The NX token: converts to any choice whose alternatives include `nx`.
inline constexpr token::Nx nx{};
/// The XX token: converts to any choice whose alternatives include `xx`.
inline constexpr token::Xx xx{};
/// The GT token: converts to any choice whose alternatives include `gt`.
inline constexpr token::Gt gt{};
/// The LT token: converts to any choice whose alternatives include `lt`.
inline constexpr token::Lt lt{};
/// The KEEPTTL token: converts to any choice whose alternatives include `keep_ttl`.
inline constexpr token::KeepTtl keepttl{};
/// The PERSIST token: converts to any choice whose alternatives include `persist`.
inline constexpr token::Persist persist{};

}  // namespace valkey
