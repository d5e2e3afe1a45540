// Typed decoders for aggregates: RESP3 and RESP2 shapes of the same reply
// give the same value; wrong shapes fail with the right code.
#include <catch2/catch_test_macros.hpp>

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <valkey/reply.hpp>

#include "adapt_support.hpp"

using valkey::errc;
using valkey::test::decode;
using Strings = std::vector<std::string>;
using Scores = std::vector<std::pair<std::string, double>>;

TEST_CASE("adapt: vector", "[adapt]") {
  CHECK(decode<Strings>("*2\r\n$1\r\na\r\n+b\r\n").value == Strings{"a", "b"});
  CHECK(decode<Strings>("~2\r\n$1\r\na\r\n+b\r\n").value == Strings{"a", "b"});
  CHECK(decode<Strings>(">2\r\n$1\r\na\r\n+b\r\n").value == Strings{"a", "b"});
  CHECK(decode<Strings>("*0\r\n").value.empty());
  // A map flattens into a sequence (CONFIG GET is a map in RESP3, flat in RESP2).
  CHECK(decode<Strings>("%1\r\n+k\r\n+v\r\n").value == Strings{"k", "v"});
  CHECK(decode<Strings>("*-1\r\n").ec == errc::unexpected_null);
  CHECK(decode<Strings>("+OK\r\n").ec == errc::unexpected_reply_type);
  CHECK(decode<Strings>("*2\r\n+a\r\n*0\r\n").ec == errc::unexpected_reply_type);
  CHECK(decode<std::optional<Strings>>("*-1\r\n").value == std::nullopt);
  CHECK(decode<std::vector<bool>>("*3\r\n#t\r\n:0\r\n#f\r\n").value == std::vector<bool>{true, false, false});
  // MGET
  using Maybe = std::vector<std::optional<std::string>>;
  CHECK(decode<Maybe>("*3\r\n$1\r\na\r\n$-1\r\n_\r\n").value == Maybe{"a", std::nullopt, std::nullopt});
  // Nested
  using Nested = std::vector<std::vector<std::int64_t>>;
  CHECK(decode<Nested>("*3\r\n*2\r\n:1\r\n:2\r\n*0\r\n*1\r\n$1\r\n3\r\n").value == Nested{{1, 2}, {}, {3}});
}

TEST_CASE("adapt: set and unordered_set", "[adapt]") {
  using Set = std::set<std::string>;
  CHECK(decode<Set>("~3\r\n+b\r\n+a\r\n+b\r\n").value == Set{"a", "b"});
  CHECK(decode<Set>("*2\r\n$1\r\nx\r\n$1\r\ny\r\n").value == Set{"x", "y"});  // RESP2 SMEMBERS
  using USet = std::unordered_set<std::int64_t>;
  CHECK(decode<USet>("~2\r\n:1\r\n:2\r\n").value == USet{1, 2});
  CHECK(decode<Set>("_\r\n").ec == errc::unexpected_null);
  CHECK(decode<Set>("~1\r\n*0\r\n").ec == errc::unexpected_reply_type);
}

TEST_CASE("adapt: ZRANGE WITHSCORES in RESP3 and RESP2", "[adapt]") {
  const Scores expected{{"a", 1.0}, {"b", 2.5}, {"c", INFINITY}};
  auto resp3 = decode<Scores>("*3\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n*2\r\n$1\r\nc\r\n,inf\r\n");
  REQUIRE_FALSE(resp3.ec);
  CHECK(resp3.value == expected);
  auto resp2 = decode<Scores>("*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n$1\r\nc\r\n$3\r\ninf\r\n");
  REQUIRE_FALSE(resp2.ec);
  CHECK(resp2.value == expected);
  CHECK(decode<Scores>("*0\r\n").value.empty());
  // Odd flat arrays and mixed shapes are not pairs.
  CHECK(decode<Scores>("*3\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n").ec == errc::unexpected_reply_type);
  CHECK(decode<Scores>("*2\r\n*2\r\n$1\r\na\r\n,1\r\n$1\r\nb\r\n").ec == errc::unexpected_reply_type);
  CHECK(decode<Scores>("*2\r\n*2\r\n$1\r\na\r\n,1\r\n*3\r\n$1\r\nb\r\n,1\r\n,2\r\n").ec ==
        errc::unexpected_reply_type);
  CHECK(decode<Scores>("*2\r\n$1\r\na\r\n$1\r\nx\r\n").ec == errc::invalid_number);
}

TEST_CASE("adapt: HGETALL into maps in RESP3 and RESP2", "[adapt]") {
  using Map = std::map<std::string, std::string>;
  const Map expected{{"name", "Ada"}, {"lang", "C++"}};
  CHECK(decode<Map>("%2\r\n$4\r\nname\r\n$3\r\nAda\r\n$4\r\nlang\r\n$3\r\nC++\r\n").value == expected);
  CHECK(decode<Map>("*4\r\n$4\r\nname\r\n$3\r\nAda\r\n$4\r\nlang\r\n$3\r\nC++\r\n").value == expected);
  using UMap = std::unordered_map<std::string, std::int64_t>;
  CHECK(decode<UMap>("%2\r\n+a\r\n:1\r\n+b\r\n$1\r\n2\r\n").value == UMap{{"a", 1}, {"b", 2}});
  CHECK(decode<UMap>("%0\r\n").value.empty());
  // Later duplicates win.
  CHECK(decode<Map>("*4\r\n+k\r\n+1\r\n+k\r\n+2\r\n").value == Map{{"k", "2"}});
  // Values may be aggregates (XREAD-like shapes), flat in RESP2.
  using Multi = std::map<std::string, std::vector<std::string>>;
  CHECK(decode<Multi>("*4\r\n+a\r\n*1\r\n+x\r\n+b\r\n*0\r\n").value == Multi{{"a", {"x"}}, {"b", {}}});
  CHECK(decode<Multi>("%1\r\n+a\r\n*2\r\n+x\r\n+y\r\n").value == Multi{{"a", {"x", "y"}}});
  CHECK(decode<Map>("_\r\n").ec == errc::unexpected_null);
  CHECK(decode<Map>(":1\r\n").ec == errc::unexpected_reply_type);
  // A vector of pairs keeps order and duplicates.
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  CHECK(decode<Pairs>("%2\r\n+b\r\n+1\r\n+a\r\n+2\r\n").value == Pairs{{"b", "1"}, {"a", "2"}});
}

TEST_CASE("adapt: tuple and pair", "[adapt]") {
  using T = std::tuple<std::string, std::int64_t, double, std::optional<std::string>>;
  CHECK(decode<T>("*4\r\n+a\r\n:2\r\n,3.5\r\n_\r\n").value == T{"a", 2, 3.5, std::nullopt});
  CHECK(decode<T>("*4\r\n$1\r\na\r\n$1\r\n2\r\n$3\r\n3.5\r\n$-1\r\n").value == T{"a", 2, 3.5, std::nullopt});
  CHECK(decode<T>("*3\r\n+a\r\n:2\r\n,3.5\r\n").ec == errc::unexpected_reply_type);
  CHECK(decode<T>("*5\r\n+a\r\n:2\r\n,3.5\r\n_\r\n_\r\n").ec == errc::unexpected_reply_type);
  // ZPOPMIN without count: [member, score]
  using P = std::pair<std::string, double>;
  CHECK(decode<P>("*2\r\n$1\r\na\r\n,1.5\r\n").value == P{"a", 1.5});
  CHECK(decode<P>("*2\r\n$1\r\na\r\n$3\r\n1.5\r\n").value == P{"a", 1.5});
  using Nested = std::tuple<std::vector<std::string>, std::pair<std::int64_t, std::int64_t>>;
  CHECK(decode<Nested>("*2\r\n*1\r\n+x\r\n*2\r\n:1\r\n:2\r\n").value == Nested{{"x"}, {1, 2}});
  // SCAN: [cursor, [keys...]] with the cursor as a bulk string.
  using Scan = std::tuple<std::uint64_t, std::vector<std::string>>;
  CHECK(decode<Scan>("*2\r\n$2\r\n17\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n").value == Scan{17, {"a", "b"}});
}

TEST_CASE("adapt: valkey::Reply holds anything, nested errors included", "[adapt]") {
  auto r = decode<valkey::Reply>("*2\r\n-ERR inner\r\n%1\r\n+k\r\n:1\r\n");
  REQUIRE_FALSE(r.ec);
  CHECK(r.value[0].error_message() == "ERR inner");
  CHECK(r.value[1]["k"].as_integer() == 1);
  auto attr = decode<valkey::Reply>("|1\r\n+a\r\n+b\r\n:5\r\n");
  REQUIRE(attr.value.attribute() != nullptr);
  CHECK(attr.value.as_integer() == 5);
  using Many = std::vector<valkey::Reply>;
  auto many = decode<Many>("*3\r\n:1\r\n*1\r\n+x\r\n-ERR e\r\n");
  REQUIRE_FALSE(many.ec);
  REQUIRE(many.value.size() == 3);
  CHECK(many.value[1][0].as_string() == "x");
  CHECK(many.value[2].is_error());
}

TEST_CASE("adapt: a nested error fails types that cannot hold it", "[adapt]") {
  auto v = decode<Strings>("*3\r\n$1\r\na\r\n-WRONGTYPE inner\r\n$1\r\nb\r\n");
  CHECK(v.ec == errc::server_error);
  CHECK(v.message == "WRONGTYPE inner");
  auto t = decode<std::tuple<std::int64_t, std::string>>("*2\r\n:1\r\n!5\r\nERR x\r\n");
  CHECK(t.ec == errc::server_error);
  CHECK(t.message == "ERR x");
}

TEST_CASE("adapt: after a mismatch the stream stays in sync", "[adapt]") {
  // Three replies back to back; the first two do not fit their types.
  const std::string stream =
      "*3\r\n*2\r\n:1\r\n:2\r\n%1\r\n+k\r\n*1\r\n:9\r\n$3\r\nabc\r\n"
      "*2\r\n$1\r\nx\r\n$3\r\nabc\r\n"
      ":42\r\n";
  for (std::size_t step : {stream.size(), std::size_t{1}, std::size_t{5}}) {
    INFO("step " << step);
    valkey::resp::Parser parser;
    valkey::adapt::ResponseVisitor<std::vector<std::int64_t>> first;
    valkey::adapt::ResponseVisitor<std::map<std::string, std::int64_t>> second;
    valkey::adapt::ResponseVisitor<std::int64_t> third;
    valkey::resp::Visitor* visitors[] = {&first, &second, &third};
    std::size_t current = 0;
    std::string buf;
    std::error_code ec;
    for (std::size_t at = 0; at < stream.size();) {
      const std::size_t n = std::min(step, stream.size() - at);
      buf.append(stream, at, n);
      at += n;
      while (current < 3) {
        const std::size_t used = parser.consume(buf, *visitors[current], ec);
        REQUIRE_FALSE(ec);
        buf.erase(0, used);
        if (!parser.message_complete()) break;
        ++current;
      }
    }
    REQUIRE(current == 3);
    CHECK(first.error_code() == errc::unexpected_reply_type);
    CHECK(second.error_code() == errc::invalid_number);
    CHECK_FALSE(third.error_code());
    CHECK(third.value() == 42);
  }
}
