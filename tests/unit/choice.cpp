// valkey::Choice, the type of every choice among a command's arguments:
// which alternative a value picks, what a default holds, reading back,
// equality, and that it stays a plain argument type (trivially copyable,
// aligned, small) inside the generated structs and valkey::Optional.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <variant>

#include <valkey/choice.hpp>
#include <valkey/cmd/all.hpp>
#include <valkey/durations.hpp>
#include <valkey/optional.hpp>
#include <valkey/tokens.hpp>

namespace cmd = valkey::cmd;

namespace {

struct A {};
struct B {
  std::int64_t n = 0;
  friend bool operator==(const B&, const B&) = default;
};
struct C {
  std::string_view s;
};
// Converts to two alternatives equally well: a choice refuses it, as std::variant does.
struct ToBoth {
  operator A() const { return {}; }  // NOLINT(google-explicit-constructor)
  operator B() const { return {}; }  // NOLINT(google-explicit-constructor)
};
using ABC = valkey::Choice<A, B, C>;
using AB = valkey::Choice<A, B>;

template <class T>
concept comparable = requires(const T& x) { x == x; };

}  // namespace

static_assert(ABC::size == 3);
static_assert(std::is_trivially_copyable_v<ABC> && std::is_trivially_destructible_v<ABC>);
static_assert(std::is_trivially_copyable_v<valkey::Optional<ABC>>);
static_assert(alignof(valkey::Choice<char, std::int64_t>) == alignof(std::int64_t));
static_assert(alignof(valkey::Choice<std::int64_t, char>) == alignof(std::int64_t));
// A choice of plain tokens is an index and a byte; one with a Seconds member
// is that member and the index, padded.
static_assert(sizeof(cmd::Lmove::WhereFrom) == 2);
static_assert(sizeof(cmd::Set::Expiration) == 16);
static_assert(std::is_convertible_v<const B&, ABC>);
static_assert(!std::is_convertible_v<int, ABC>);           // no alternative takes an int
static_assert(!std::is_constructible_v<AB, ToBoth>);       // ambiguous: refused
static_assert(std::is_convertible_v<valkey::Seconds, cmd::Set::Expiration>);  // picks Ex alone
static_assert(!std::is_convertible_v<valkey::token::KeepTtl, cmd::Expire::Condition>);
// Equality where every alternative is empty or comparable (AB), not otherwise
// (SET's IFEQ value has no ==).
static_assert(comparable<AB> && comparable<cmd::Expire::Condition>);
static_assert(!comparable<ABC> && !comparable<cmd::Set::Condition>);

TEST_CASE("Choice: a default holds the first alternative, value-initialized", "[choice]") {
  valkey::Choice<B, A> c;
  CHECK(c.index() == 0);
  REQUIRE(valkey::get_if<B>(&c) != nullptr);
  CHECK(valkey::get_if<B>(&c)->n == 0);
  CHECK(valkey::get_if<A>(&c) == nullptr);
}

TEST_CASE("Choice: built from an alternative, read back, copied and reassigned", "[choice]") {
  ABC c = B{42};
  CHECK(c.index() == 1);
  CHECK(valkey::holds_alternative<B>(c));
  CHECK_FALSE(valkey::holds_alternative<A>(c));
  CHECK(valkey::get_if<A>(&c) == nullptr);
  valkey::get_if<B>(&c)->n = 7;  // written in place
  const ABC copy = c;
  c = C{"v"};
  REQUIRE(c.holds<C>());
  CHECK(c.get_if<C>()->s == "v");
  REQUIRE(copy.get_if<B>() != nullptr);
  CHECK(copy.get_if<B>()->n == 7);
  ABC bytes;
  std::memcpy(&bytes, &copy, sizeof copy);  // a plain argument type: its bytes are its value
  REQUIRE(bytes.get_if<B>() != nullptr);
  CHECK(bytes.get_if<B>()->n == 7);
  CHECK(valkey::get_if<B>(static_cast<const ABC*>(nullptr)) == nullptr);
}

TEST_CASE("Choice: a duration picks the alternative of its unit", "[choice]") {
  using namespace std::chrono_literals;
  cmd::Set::Expiration e = valkey::ex(30s);
  REQUIRE(e.holds<cmd::Set::Ex>());
  CHECK(e.get_if<cmd::Set::Ex>()->seconds.count == 30);
  e = valkey::px(1500ms);
  REQUIRE(e.holds<cmd::Set::Px>());
  CHECK(e.get_if<cmd::Set::Px>()->milliseconds.count == 1500);
  e = valkey::keepttl;
  CHECK(e.holds<valkey::token::KeepTtl>());
}

TEST_CASE("Choice: visit calls f once, with the held alternative", "[choice]") {
  int calls = 0;
  std::int64_t seen = -1;
  const ABC c = B{5};
  c.visit([&](const auto& x) {
    ++calls;
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(x)>, B>) seen = x.n;
  });
  CHECK(calls == 1);
  CHECK(seen == 5);
}

TEST_CASE("Choice: equal when the same alternative holds equal values", "[choice]") {
  const AB b5 = B{5};
  CHECK(b5 == AB{B{5}});
  CHECK_FALSE(b5 == AB{B{6}});
  CHECK_FALSE(b5 == AB{A{}});
  const cmd::Lmove m{.source = "a", .destination = "b", .where_to = cmd::Lmove::Right{}};
  CHECK(m.where_to == cmd::Lmove::Right{});
  CHECK(m.where_from == cmd::Lmove::Left{});  // the default
  const cmd::Expire e{.key = "k", .seconds = 1, .condition = valkey::gt};
  REQUIRE(e.condition);
  CHECK(*e.condition == valkey::gt);
  CHECK_FALSE(*e.condition == valkey::lt);
}

TEST_CASE("Choice: the free functions sit beside std's", "[choice]") {
  using namespace std;  // no ambiguity with std::holds_alternative / std::get_if
  ABC c = A{};
  CHECK(holds_alternative<A>(c));
  CHECK(get_if<A>(&c) != nullptr);
  std::variant<A, B> v = B{};
  CHECK(holds_alternative<B>(v));
}

TEST_CASE("Choice: in an Optional, as a command's optional choice", "[choice]") {
  valkey::Optional<cmd::Set::Condition> cond = valkey::nx;
  REQUIRE(cond);
  CHECK(valkey::holds_alternative<valkey::token::Nx>(*cond));
  cond = cmd::Set::IfEq{"old"};
  REQUIRE(valkey::get_if<cmd::Set::IfEq>(&*cond) != nullptr);
  CHECK(valkey::get_if<cmd::Set::IfEq>(&*cond)->comparison_value == "old");
}
