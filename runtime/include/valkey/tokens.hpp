#pragma once
/// \file
/// Short names for the common choice tokens: valkey::nx, xx, gt, lt, keepttl,
/// persist; left, right; asc, desc; sync, async; the GEO units meters,
/// kilometers, feet, miles; the stream trimming maxlen, minid, exactly,
/// approximately; and the sorted-set ranges byscore, bylex.
///
/// \code
///   db.set("k", "v", {.condition = valkey::nx});                       // SET k v NX
///   db.set("k", "v", {.condition = valkey::xx, .expiration = valkey::keepttl});
///   db.expire("k", 60, {.condition = valkey::gt});                     // EXPIRE k 60 GT
///   db.zadd("z", {{1.0, "m"}}, {.condition = valkey::nx});
///   db.getex("k", {.expiration = valkey::persist});
///   db.lmove("src", "dst", valkey::left, valkey::right);               // LMOVE src dst LEFT RIGHT
///   db.sort("k", {.order = valkey::desc});
///   db.flushall({.flush_type = valkey::async});
///   db.geodist("g", "a", "b", {.unit = valkey::kilometers});
///   db.xtrim("s", valkey::maxlen, "1000", {.operator_ = valkey::approximately});  // XTRIM s MAXLEN ~ 1000
///   db.zrange("z", valkey::ScoreBound::exclusive(5), valkey::ScoreBound::max(), {.sort_by = valkey::byscore});
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

/// The types of the shared choice tokens (valkey::nx and the others).
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
/// The LEFT token (LMOVE, BLMOVE, LMPOP, BLMPOP).
struct Left {};
/// The RIGHT token (LMOVE, BLMOVE, LMPOP, BLMPOP).
struct Right {};
/// The ASC token (SORT, the GEO searches, CLUSTER SLOT-STATS).
struct Asc {};
/// The DESC token (SORT, the GEO searches, CLUSTER SLOT-STATS).
struct Desc {};
/// The SYNC token (FLUSHALL, FLUSHDB, SCRIPT FLUSH, FUNCTION FLUSH, ...).
struct Sync {};
/// The ASYNC token (FLUSHALL, FLUSHDB, SCRIPT FLUSH, FUNCTION FLUSH, ...).
struct Async {};
/// The GEO unit M (meters).
struct M {};
/// The GEO unit KM (kilometers).
struct Km {};
/// The GEO unit FT (feet).
struct Ft {};
/// The GEO unit MI (miles).
struct Mi {};
/// The MAXLEN trimming strategy (XADD, XTRIM).
struct MaxLen {};
/// The MINID trimming strategy (XADD, XTRIM).
struct MinId {};
/// Exact trimming, `=` (XADD, XTRIM).
struct Equal {};
/// Approximate trimming, `~` (XADD, XTRIM): cheaper, may keep a few more entries.
struct Approximately {};
/// The BYSCORE range (ZRANGE, ZRANGESTORE).
struct ByScore {};
/// The BYLEX range (ZRANGE, ZRANGESTORE).
struct ByLex {};

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
/// LEFT, for any choice that offers it.
inline constexpr token::Left left{};
/// RIGHT, for any choice that offers it.
inline constexpr token::Right right{};
/// ASC, for any choice that offers it.
inline constexpr token::Asc asc{};
/// DESC, for any choice that offers it.
inline constexpr token::Desc desc{};
/// SYNC, for any choice that offers it.
inline constexpr token::Sync sync{};
/// ASYNC, for any choice that offers it.
inline constexpr token::Async async{};
/// The GEO unit M.
inline constexpr token::M meters{};
/// The GEO unit KM.
inline constexpr token::Km kilometers{};
/// The GEO unit FT.
inline constexpr token::Ft feet{};
/// The GEO unit MI.
inline constexpr token::Mi miles{};
/// MAXLEN, the stream trimming strategy by length.
inline constexpr token::MaxLen maxlen{};
/// MINID, the stream trimming strategy by lowest id.
inline constexpr token::MinId minid{};
/// `=`: trim a stream exactly.
inline constexpr token::Equal exactly{};
/// `~`: trim a stream approximately (whole macro nodes).
inline constexpr token::Approximately approximately{};
/// BYSCORE, a sorted-set range by score.
inline constexpr token::ByScore byscore{};
/// BYLEX, a sorted-set range by member.
inline constexpr token::ByLex bylex{};

}  // namespace valkey
