// Every choice is a valkey::Choice of one struct per alternative, whether its
// alternatives are all plain tokens (EXPIRE's NX | XX | GT | LT) or one
// carries a value (SET's NX | XX | IFEQ value). valkey::nx, xx, gt, lt,
// keepttl, persist, left, right, asc, desc, sync, async, the GEO units, the
// stream trimming and the sorted-set ranges are those alternatives themselves, so they pick the same bytes as the
// command's own spelling in every choice that offers them.
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <type_traits>

#include <valkey/cmd/all.hpp>
#include <valkey/tokens.hpp>

#include "encode_support.hpp"

namespace cmd = valkey::cmd;
using valkey::test::encoded;

// The choice's alternative is the token type itself, in a choice with a
// valued alternative and in one of plain tokens alike.
static_assert(std::is_same_v<cmd::Set::Nx, valkey::token::Nx>);
static_assert(std::is_same_v<cmd::Getex::Persist, valkey::token::Persist>);
static_assert(std::is_same_v<cmd::Expire::Gt, valkey::token::Gt>);
static_assert(std::is_same_v<cmd::Expire::Condition, valkey::Choice<valkey::token::Nx, valkey::token::Xx,
                                                                  valkey::token::Gt, valkey::token::Lt>>);
static_assert(std::is_convertible_v<valkey::token::Gt, cmd::Expire::Condition>);
static_assert(!std::is_convertible_v<valkey::token::KeepTtl, cmd::Expire::Condition>);  // no such alternative
// The other shared tokens: one type in every command that offers them.
static_assert(std::is_same_v<cmd::Lmove::WhereFrom, valkey::Choice<valkey::token::Left, valkey::token::Right>>);
static_assert(std::is_same_v<cmd::Lmove::WhereFrom, cmd::Blmpop::Where>);
static_assert(std::is_same_v<cmd::Sort::Order, cmd::Geosearch::Order>);
static_assert(std::is_same_v<cmd::Flushall::FlushType, cmd::ScriptFlush::FlushType>);
static_assert(std::is_same_v<cmd::Geodist::Km, valkey::token::Km>);
static_assert(std::is_same_v<cmd::Georadius::Unit, cmd::Geodist::Unit>);
static_assert(std::is_same_v<cmd::Xadd::Strategy, cmd::Xtrim::Strategy>);  // one trimming for XADD and XTRIM
static_assert(std::is_same_v<cmd::Xtrim::Operator, valkey::Choice<valkey::token::Equal, valkey::token::Approximately>>);
static_assert(std::is_same_v<cmd::Zrange::SortBy, cmd::Zrangestore::SortBy>);
// A choice of plain tokens with no short name: one empty struct per token,
// the command's own.
static_assert(std::is_same_v<cmd::Linsert::Where, valkey::Choice<cmd::Linsert::Before, cmd::Linsert::After>>);
static_assert(std::is_empty_v<cmd::Linsert::Before>);

TEST_CASE("tokens: a choice with a valued alternative (SET) takes valkey::nx, xx and keepttl", "[tokens]") {
  CHECK(encoded(cmd::Set{.key = "k", .value = "v", .condition = valkey::nx}) ==
        "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nNX\r\n");
  CHECK(encoded(cmd::Set{.key = "k", .value = "v", .condition = cmd::Set::IfEq{"old"}}) ==
        "*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$4\r\nIFEQ\r\n$3\r\nold\r\n");
  CHECK(encoded(cmd::Set{.key = "k", .value = "v", .condition = valkey::xx, .expiration = valkey::keepttl}) ==
        "*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nXX\r\n$7\r\nKEEPTTL\r\n");
  CHECK(encoded(cmd::Getex{.key = "k", .expiration = valkey::persist}) == "*3\r\n$5\r\nGETEX\r\n$1\r\nk\r\n$7\r\nPERSIST\r\n");
}

TEST_CASE("tokens: a choice of plain tokens (EXPIRE, ZADD, LMOVE) takes valkey::nx, xx, gt and lt", "[tokens]") {
  CHECK(encoded(cmd::Expire{.key = "k", .seconds = 60, .condition = valkey::gt}) ==
        "*4\r\n$6\r\nEXPIRE\r\n$1\r\nk\r\n$2\r\n60\r\n$2\r\nGT\r\n");
  CHECK(encoded(cmd::Expire{.key = "k", .seconds = 60, .condition = valkey::lt}) ==
        "*4\r\n$6\r\nEXPIRE\r\n$1\r\nk\r\n$2\r\n60\r\n$2\r\nLT\r\n");
  const std::pair<double, std::string_view> member[] = {{1.0, "m"}};
  CHECK(encoded(cmd::Zadd{.key = "z", .data = member, .condition = valkey::xx, .comparison = valkey::gt}) ==
        "*6\r\n$4\r\nZADD\r\n$1\r\nz\r\n$2\r\nXX\r\n$2\r\nGT\r\n$1\r\n1\r\n$1\r\nm\r\n");
  // A required choice defaults to its first alternative.
  CHECK(encoded(cmd::Lmove{.source = "a", .destination = "b", .where_to = cmd::Lmove::Right{}}) ==
        "*5\r\n$5\r\nLMOVE\r\n$1\r\na\r\n$1\r\nb\r\n$4\r\nLEFT\r\n$5\r\nRIGHT\r\n");
}

TEST_CASE("tokens: valkey::left, right, asc, desc, sync, async and the GEO units", "[tokens]") {
  CHECK(encoded(cmd::Lmove{.source = "a", .destination = "b", .where_from = valkey::right, .where_to = valkey::left}) ==
        "*5\r\n$5\r\nLMOVE\r\n$1\r\na\r\n$1\r\nb\r\n$5\r\nRIGHT\r\n$4\r\nLEFT\r\n");
  CHECK(encoded(cmd::Sort{.key = "k", .order = valkey::desc}) == "*3\r\n$4\r\nSORT\r\n$1\r\nk\r\n$4\r\nDESC\r\n");
  CHECK(encoded(cmd::Sort{.key = "k", .order = valkey::asc}) == "*3\r\n$4\r\nSORT\r\n$1\r\nk\r\n$3\r\nASC\r\n");
  CHECK(encoded(cmd::Flushall{.flush_type = valkey::async}) == "*2\r\n$8\r\nFLUSHALL\r\n$5\r\nASYNC\r\n");
  CHECK(encoded(cmd::Flushdb{.flush_type = valkey::sync}) == "*2\r\n$7\r\nFLUSHDB\r\n$4\r\nSYNC\r\n");
  CHECK(encoded(cmd::Geodist{.key = "g", .member1 = "a", .member2 = "b", .unit = valkey::kilometers}) ==
        "*5\r\n$7\r\nGEODIST\r\n$1\r\ng\r\n$1\r\na\r\n$1\r\nb\r\n$2\r\nkm\r\n");
  CHECK(encoded(cmd::Geodist{.key = "g", .member1 = "a", .member2 = "b", .unit = valkey::miles}) ==
        "*5\r\n$7\r\nGEODIST\r\n$1\r\ng\r\n$1\r\na\r\n$1\r\nb\r\n$2\r\nmi\r\n");
  CHECK(encoded(cmd::Geodist{.key = "g", .member1 = "a", .member2 = "b", .unit = valkey::meters}) ==
        "*5\r\n$7\r\nGEODIST\r\n$1\r\ng\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nm\r\n");
  CHECK(encoded(cmd::Geodist{.key = "g", .member1 = "a", .member2 = "b", .unit = valkey::feet}) ==
        "*5\r\n$7\r\nGEODIST\r\n$1\r\ng\r\n$1\r\na\r\n$1\r\nb\r\n$2\r\nft\r\n");
}

TEST_CASE("tokens: valkey::maxlen, minid, exactly and approximately trim in XADD and XTRIM alike", "[tokens]") {
  CHECK(encoded(cmd::Xtrim{.key = "s", .strategy = valkey::maxlen, .threshold = "1000", .operator_ = valkey::approximately}) ==
        "*5\r\n$5\r\nXTRIM\r\n$1\r\ns\r\n$6\r\nMAXLEN\r\n$1\r\n~\r\n$4\r\n1000\r\n");
  CHECK(encoded(cmd::Xtrim{.key = "s", .strategy = valkey::minid, .threshold = "5-0", .operator_ = valkey::exactly}) ==
        "*5\r\n$5\r\nXTRIM\r\n$1\r\ns\r\n$5\r\nMINID\r\n$1\r\n=\r\n$3\r\n5-0\r\n");
  const std::pair<std::string_view, std::string_view> field[] = {{"f", "v"}};
  // The same Trim value serves XADD: its strategy is the one XTRIM takes.
  const cmd::Xadd::Trim trim{.strategy = valkey::maxlen, .operator_ = valkey::approximately, .threshold = "10"};
  CHECK(encoded(cmd::Xadd{.key = "s", .id_selector = cmd::Xadd::AutoId{}, .data = field, .trim = trim}) ==
        "*8\r\n$4\r\nXADD\r\n$1\r\ns\r\n$6\r\nMAXLEN\r\n$1\r\n~\r\n$2\r\n10\r\n$1\r\n*\r\n$1\r\nf\r\n$1\r\nv\r\n");
}

TEST_CASE("tokens: valkey::byscore and bylex pick ZRANGE's and ZRANGESTORE's range", "[tokens]") {
  CHECK(encoded(cmd::Zrange{.key = "z", .start = valkey::ScoreBound::exclusive(1), .stop = valkey::ScoreBound::max(),
                            .sort_by = valkey::byscore}) ==
        "*5\r\n$6\r\nZRANGE\r\n$1\r\nz\r\n$2\r\n(1\r\n$4\r\n+inf\r\n$7\r\nBYSCORE\r\n");
  CHECK(encoded(cmd::Zrangestore{.dst = "d", .src = "z", .min = valkey::LexBound::inclusive("a"),
                                 .max = valkey::LexBound::max(), .sort_by = valkey::bylex}) ==
        "*6\r\n$11\r\nZRANGESTORE\r\n$1\r\nd\r\n$1\r\nz\r\n$2\r\n[a\r\n$1\r\n+\r\n$5\r\nBYLEX\r\n");
}
