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
/// Every choice of a command is a valkey::Choice with one small struct per
/// alternative: an empty one for a plain token (cmd::Expire::Gt{}), one with
/// members for an alternative that carries a value (cmd::Set::IfEq{"v"}).
/// Where an alternative is one of these tokens the generator makes it the
/// token's type itself (cmd::Set::Nx and cmd::Expire::Nx are both
/// valkey::token::Nx), so valkey::nx fits every choice that offers NX. A
/// server version that adds a valued alternative to a choice adds a type to
/// it: code that names an alternative keeps compiling.

/// The types of the choice tokens valkey::nx, xx, gt, lt, keepttl and persist.
namespace valkey::token {

/// The NX token, an alternative of every choice that offers NX.
struct Nx {};
/// The XX token, an alternative of every choice that offers XX.
struct Xx {};
/// The GT token, an alternative of every choice that offers GT.
struct Gt {};
/// The LT token, an alternative of every choice that offers LT.
struct Lt {};
/// The KEEPTTL token, an alternative of every choice that offers KEEPTTL.
struct KeepTtl {};
/// The PERSIST token, an alternative of every choice that offers PERSIST.
struct Persist {};

}  // namespace valkey::token

namespace valkey {

/// NX, for any choice that offers it.
inline constexpr token::Nx nx{};
/// XX, for any choice that offers it.
inline constexpr token::Xx xx{};
/// GT, for any choice that offers it.
inline constexpr token::Gt gt{};
/// LT, for any choice that offers it.
inline constexpr token::Lt lt{};
/// KEEPTTL, for any choice that offers it.
inline constexpr token::KeepTtl keepttl{};
/// PERSIST, for any choice that offers it.
inline constexpr token::Persist persist{};

}  // namespace valkey
