// valkey::Reply built from the wire by ReplyBuilder: every type, accessors,
// attributes, equality, to_string and to_json.
#include <catch2/catch_test_macros.hpp>

#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <valkey/error.hpp>
#include <valkey/reply.hpp>
#include <valkey/resp/parser.hpp>

using valkey::Reply;
using valkey::resp::Type;

namespace {

Reply parse(std::string_view wire, std::size_t step = 0) {
  valkey::resp::Parser parser;
  valkey::ReplyBuilder builder;
  std::string buf;
  std::error_code ec;
  if (step == 0) step = wire.size();
  for (std::size_t at = 0; at < wire.size() && !parser.message_complete();) {
    const std::size_t n = std::min(step, wire.size() - at);
    buf.append(wire.substr(at, n));
    at += n;
    buf.erase(0, parser.consume(buf, builder, ec));
    REQUIRE_FALSE(ec);
  }
  REQUIRE(parser.message_complete());
  REQUIRE(builder.done());
  Reply whole = builder.take();
  return whole;
}

// Whole and byte-at-a-time must build the same tree.
Reply build(std::string_view wire) {
  Reply a = parse(wire);
  Reply b = parse(wire, 1);
  CHECK(a == b);
  return a;
}

}  // namespace

TEST_CASE("Reply: scalars", "[reply]") {
  CHECK(build("+OK\r\n") == Reply::simple_string("OK"));
  CHECK(build("+OK\r\n").as_string() == "OK");
  CHECK(build("$3\r\nfoo\r\n") == Reply::bulk_string("foo"));
  CHECK(build("$3\r\nfoo\r\n").is_string());
  CHECK(build(":-42\r\n").as_integer() == -42);
  CHECK(build(":-42\r\n") == Reply::integer(-42));
  CHECK(build("_\r\n").is_null());
  CHECK(build("$-1\r\n").is_null());
  CHECK(build("*-1\r\n") == Reply::null());
  CHECK(build(",3.25\r\n").as_double() == 3.25);
  CHECK(build(",-inf\r\n").as_double() == -INFINITY);
  CHECK(std::isnan(build(",nan\r\n").as_double()));
  CHECK(build(",nan\r\n") == Reply::double_(NAN));
  CHECK(build(",1e3\r\n") == Reply::double_(1000));
  CHECK(build("#t\r\n").as_bool());
  CHECK_FALSE(build("#f\r\n").as_bool());
  CHECK(build("#t\r\n") == Reply::boolean(true));
  CHECK(build("(123456789012345678901234567890\r\n").as_string() == "123456789012345678901234567890");
  CHECK(build("(1\r\n").is_big_number());
  Reply v = build("=15\r\ntxt:Some string\r\n");
  CHECK(v.as_string() == "Some string");
  CHECK(v.verbatim_format() == "txt");
  CHECK(v.raw() == "txt:Some string");
  CHECK(v == Reply::verbatim_string("txt", "Some string"));
}

TEST_CASE("Reply: errors are values", "[reply]") {
  Reply e = build("-WRONGTYPE Operation against a key\r\n");
  CHECK(e.is_error());
  CHECK(e.type() == Type::simple_error);
  CHECK(e.error_message() == "WRONGTYPE Operation against a key");
  Reply b = build("!21\r\nSYNTAX invalid syntax\r\n");
  CHECK(b.is_error());
  CHECK(b == Reply::blob_error("SYNTAX invalid syntax"));
  CHECK_THROWS_AS(build("+OK\r\n").error_message(), valkey::Error);
}

TEST_CASE("Reply: RESP2 numbers held as strings convert", "[reply]") {
  CHECK(build("$2\r\n42\r\n").as_integer() == 42);
  CHECK(build("$4\r\n2.50\r\n").as_double() == 2.5);
  CHECK(build("$3\r\ninf\r\n").as_double() == INFINITY);
  CHECK(build(":1\r\n").as_bool());
  CHECK(build(":7\r\n").as_double() == 7.0);
  try {
    (void)build("$3\r\nabc\r\n").as_integer();
    FAIL("no throw");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::invalid_number);
  }
  try {
    (void)build("*0\r\n").as_string();
    FAIL("no throw");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::unexpected_reply_type);
  }
  CHECK_THROWS_AS(build(":2\r\n").as_bool(), valkey::Error);
}

TEST_CASE("Reply: aggregates", "[reply]") {
  Reply a = build("*3\r\n:1\r\n*2\r\n$1\r\na\r\n_\r\n+x\r\n");
  REQUIRE(a.is_array());
  REQUIRE(a.size() == 3);
  CHECK(a[0].as_integer() == 1);
  CHECK(a[1].size() == 2);
  CHECK(a[1][0].as_string() == "a");
  CHECK(a[1][1].is_null());
  CHECK(a.at(2).as_string() == "x");
  CHECK_THROWS_AS(a.at(3), std::out_of_range);
  CHECK(a == Reply::array({Reply::integer(1), Reply::array({Reply::bulk_string("a"), Reply::null()}),
                           Reply::simple_string("x")}));
  int count = 0;
  for (const Reply& e : a) count += e.is_null() ? 0 : 1;
  CHECK(count == 3);

  Reply m = build("%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n*1\r\n#f\r\n");
  REQUIRE(m.is_map());
  CHECK(m.size() == 2);
  CHECK(m.elements().size() == 4);
  CHECK(m.key(0).as_string() == "first");
  CHECK(m.value(0).as_integer() == 1);
  CHECK(m["second"][0].as_bool() == false);
  CHECK(m.find("missing") == nullptr);
  CHECK_THROWS_AS(m["missing"], std::out_of_range);
  CHECK_THROWS_AS(m.at(0), valkey::Error);

  CHECK(build("~2\r\n+a\r\n+b\r\n").type() == Type::set);
  CHECK(build(">2\r\n+a\r\n+b\r\n").type() == Type::push);
  CHECK(build("*0\r\n").empty());
  CHECK(build("%0\r\n").size() == 0);
  CHECK(build("*1\r\n-ERR nested\r\n")[0].error_message() == "ERR nested");
}

TEST_CASE("Reply: take_elements moves an aggregate's elements out", "[reply]") {
  Reply a = build("*2\r\n$5\r\nfirst\r\n-ERR second\r\n");
  const char* first_text = a[0].as_string().data();
  std::vector<Reply> e = std::move(a).take_elements();
  REQUIRE(e.size() == 2);
  CHECK(e[0].as_string() == "first");
  CHECK(e[0].as_string().data() == first_text);  // the element itself, not a copy
  CHECK(e[1].error_message() == "ERR second");
  CHECK(a.empty());  // take_elements() says what is left: the aggregate, without elements
  CHECK(a.is_array());

  Reply m = build("%1\r\n+k\r\n:7\r\n");
  std::vector<Reply> flat = std::move(m).take_elements();  // a map's pairs, flattened as elements() lists them
  REQUIRE(flat.size() == 2);
  CHECK(flat[0].as_string() == "k");
  CHECK(flat[1].as_integer() == 7);
}

TEST_CASE("Reply: attributes stay on the value they describe", "[reply]") {
  Reply r = build("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.25\r\n*2\r\n:1\r\n:2\r\n");
  REQUIRE(r.is_array());
  CHECK(r.size() == 2);
  REQUIRE(r.attribute() != nullptr);
  CHECK(r.attribute()->type() == Type::attribute);
  CHECK((*r.attribute())["key-popularity"]["a"].as_double() == 0.25);

  Reply inner = build("*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n");
  REQUIRE(inner.size() == 2);
  CHECK(inner[0].attribute() == nullptr);
  REQUIRE(inner[1].attribute() != nullptr);
  CHECK((*inner[1].attribute())["ttl"].as_integer() == 3600);
  CHECK(inner[1].as_integer() == 2);

  // Equality sees attributes.
  CHECK_FALSE(build("|1\r\n+a\r\n+b\r\n:1\r\n") == build(":1\r\n"));
  // Copies share nothing mutable and compare equal.
  Reply copy = r;
  CHECK(copy == r);
}

TEST_CASE("ReplyBuilder: reusable across messages", "[reply]") {
  valkey::resp::Parser parser;
  valkey::ReplyBuilder builder;
  std::error_code ec;
  std::string wire = "*2\r\n:1\r\n:2\r\n+OK\r\n";
  std::size_t n = parser.consume(wire, builder, ec);
  REQUIRE(builder.done());
  Reply first = builder.take();
  CHECK_FALSE(builder.done());
  wire.erase(0, n);
  parser.consume(wire, builder, ec);
  REQUIRE(builder.done());
  CHECK(first == Reply::array({Reply::integer(1), Reply::integer(2)}));
  CHECK(builder.take() == Reply::simple_string("OK"));
}

TEST_CASE("Reply: to_string is redis-cli like", "[reply]") {
  CHECK(build("+OK\r\n").to_string() == "OK");
  CHECK(build("$3\r\nf\"o\r\n").to_string() == "\"f\\\"o\"");
  CHECK(build(":5\r\n").to_string() == "(integer) 5");
  CHECK(build("_\r\n").to_string() == "(nil)");
  CHECK(build("-ERR x\r\n").to_string() == "(error) ERR x");
  CHECK(build(",1.5\r\n").to_string() == "(double) 1.5");
  CHECK(build("#t\r\n").to_string() == "(true)");
  CHECK(build("$2\r\n\x01\n\r\n").to_string() == "\"\\x01\\n\"");
  CHECK(build("*0\r\n").to_string() == "(empty array)");
  CHECK(build("*2\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n").to_string() ==
        "1) \"a\"\n"
        "2) 1) (integer) 1\n"
        "   2) (integer) 2");
  CHECK(build("%1\r\n+k\r\n+v\r\n").to_string() == "1) k => v");
}

TEST_CASE("Reply: to_json", "[reply]") {
  using nlohmann::json;
  CHECK(build("+OK\r\n").to_json() == json("OK"));
  CHECK(build(":5\r\n").to_json() == json(5));
  CHECK(build("_\r\n").to_json() == json(nullptr));
  CHECK(build(",2.5\r\n").to_json() == json(2.5));
  CHECK(build(",inf\r\n").to_json() == json("inf"));
  CHECK(build("#f\r\n").to_json() == json(false));
  CHECK(build("(99999999999999999999999\r\n").to_json() == json("99999999999999999999999"));
  CHECK(build("=7\r\ntxt:abc\r\n").to_json() == json("abc"));
  CHECK(build("-ERR x\r\n").to_json() == json{{"error", "ERR x"}});
  CHECK(build("*2\r\n:1\r\n~1\r\n+a\r\n").to_json() == json::parse(R"([1, ["a"]])"));
  CHECK(build("%2\r\n+a\r\n:1\r\n$1\r\nb\r\n*0\r\n").to_json() == json::parse(R"({"a": 1, "b": []})"));
  CHECK(build("%1\r\n:1\r\n:2\r\n").to_json() == json::parse(R"([[1, 2]])"));
  // The nlohmann ADL hook.
  json j = build("*1\r\n#t\r\n");
  CHECK(j == json::parse("[true]"));
}

TEST_CASE("Reply: factories", "[reply]") {
  CHECK_THROWS_AS(Reply::map({Reply::integer(1)}), std::invalid_argument);
  CHECK_THROWS_AS(Reply::verbatim_string("toolong", "x"), std::invalid_argument);
  CHECK(Reply::map({Reply::simple_string("k"), Reply::integer(1)})["k"].as_integer() == 1);
  CHECK(Reply{}.is_null());
}
