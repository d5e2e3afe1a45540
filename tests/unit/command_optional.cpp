// valkey::Optional (valkey/optional.hpp), the optional arguments of the
// generated command structs: set and read as a std::optional, to and from
// one, and encoded only when set.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <valkey/cmd/generic.hpp>
#include <valkey/cmd/string.hpp>
#include <valkey/optional.hpp>
#include <valkey/resp/writer.hpp>
#include <valkey/tokens.hpp>

namespace {

std::string encoded(const auto& cmd) {
  std::string out;
  valkey::resp::Writer w(out);
  encode(cmd, w);
  return out;
}

// An argument type without a default constructor.
struct NoDefault {
  explicit NoDefault(int v) : value(v) {}
  int value;
  bool operator==(const NoDefault&) const = default;
};

}  // namespace

TEST_CASE("Optional: empty, set from a value, a braced list or a std::optional", "[command]") {
  valkey::Optional<std::int64_t> none;
  CHECK_FALSE(none.has_value());
  CHECK_FALSE(none);
  CHECK(none == std::nullopt);
  CHECK(none.value_or(7) == 7);
  CHECK_THROWS_AS(none.value(), std::bad_optional_access);

  valkey::Optional<std::int64_t> ten = 10;
  REQUIRE(ten);
  CHECK(*ten == 10);
  CHECK(ten == 10);
  CHECK_FALSE(ten == 11);
  CHECK(ten.value() == 10);

  std::optional<std::int64_t> from_std = 5;
  valkey::Optional<std::int64_t> five = from_std;
  CHECK(five == 5);
  from_std.reset();
  five = from_std;
  CHECK_FALSE(five);

  // Back to a std::optional, for code that keeps one.
  std::optional<std::int64_t> back = ten;
  CHECK(back == 10);
  std::optional<std::int64_t> back_empty = none;
  CHECK_FALSE(back_empty);

  ten.reset();
  CHECK_FALSE(ten);
  ten.emplace(3);
  CHECK(ten == 3);
  ten = std::nullopt;
  CHECK_FALSE(ten);

  valkey::Optional<NoDefault> nd;
  CHECK_FALSE(nd);
  nd = NoDefault{4};
  REQUIRE(nd);
  CHECK(nd->value == 4);

  // The optional argument types stay trivially copyable, as the structs that hold them.
  STATIC_REQUIRE(std::is_trivially_copyable_v<valkey::Optional<std::int64_t>>);
  STATIC_REQUIRE(std::is_trivially_copyable_v<valkey::cmd::Set>);
  // A temporary string still cannot become a struct's Arg through it.
  STATIC_REQUIRE_FALSE(std::is_convertible_v<std::string, valkey::Optional<valkey::Arg>>);
  STATIC_REQUIRE(std::is_convertible_v<std::string_view, valkey::Optional<valkey::Arg>>);
}

TEST_CASE("Optional: an optional choice compares with one of its alternatives", "[command]") {
  // valkey::gt converts to the choice and to the Optional alike: the
  // comparison must still pick one overload, and mean "holds GT".
  valkey::cmd::Expire e{.key = "k", .seconds = 1};
  CHECK_FALSE(e.condition == valkey::gt);
  CHECK(e.condition == std::nullopt);
  e.condition = valkey::gt;
  CHECK(e.condition == valkey::gt);
  CHECK(e.condition != valkey::lt);
  CHECK(e.condition == valkey::cmd::Expire::Gt{});
  CHECK(e.condition == valkey::cmd::Expire::Condition{valkey::gt});
  // A value of another type compares as the two types do, not converted
  // to T first (10.5 is not truncated to 10).
  const valkey::Optional<std::int64_t> ten = 10;
  CHECK(ten == 10);
  CHECK_FALSE(ten == 10.5);
}

TEST_CASE("Optional: the generated structs write an optional argument only when set", "[command]") {
  using namespace std::chrono_literals;
  valkey::cmd::Set plain{.key = "k", .value = "v"};
  CHECK(encoded(plain) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");

  valkey::cmd::Set nx{.key = "k", .value = "v", .condition = valkey::nx, .expiration = valkey::cmd::Set::Ex{30s}};
  CHECK(encoded(nx) == "*6\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nNX\r\n$2\r\nEX\r\n$2\r\n30\r\n");
  nx.condition = std::nullopt;
  nx.expiration.reset();
  CHECK(encoded(nx) == encoded(plain));

  // A count from a std::optional the caller holds, and a braced nested struct.
  std::optional<std::int64_t> count = 100;
  valkey::cmd::Scan scan{.cursor = 0, .count = count};
  CHECK(encoded(scan) == "*4\r\n$4\r\nSCAN\r\n$1\r\n0\r\n$5\r\nCOUNT\r\n$3\r\n100\r\n");
  valkey::cmd::Sort sort{.key = "l", .limit = {{.offset = 0, .count = 2}}};
  CHECK(encoded(sort) == "*5\r\n$4\r\nSORT\r\n$1\r\nl\r\n$5\r\nLIMIT\r\n$1\r\n0\r\n$1\r\n2\r\n");
}
