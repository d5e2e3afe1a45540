// The single-element overloads of valkey::Commands<Derived> (db.del("k"),
// db.hset("h", "f", "v"), db.zadd("z", 1.5, "m")): the exact bytes each one
// writes, and that the calls which picked the View overload before still do
// (braced lists, containers), with options and with a tail; valkey::list and
// valkey::pairs write what the braced lists they stand for write.
#include <catch2/catch_test_macros.hpp>

#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <valkey/commands.hpp>
#include <valkey/list.hpp>

namespace {

struct Recorder : valkey::Commands<Recorder> {
  std::string wire;
  int tails = 0;

  template <valkey::Command C, class... Tail>
  int exec(const C& cmd, Tail&&...) {
    wire.clear();
    valkey::resp::Writer w{wire};
    encode(cmd, w);
    tails = static_cast<int>(sizeof...(Tail));
    return 0;
  }
};

std::string resp(std::initializer_list<std::string_view> argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (auto a : argv) out += "$" + std::to_string(a.size()) + "\r\n" + std::string(a) + "\r\n";
  return out;
}

}  // namespace

TEST_CASE("overloads: one key", "[generated][overloads]") {
  Recorder r;
  r.del("k");
  CHECK(r.wire == resp({"DEL", "k"}));
  r.exists("k");
  CHECK(r.wire == resp({"EXISTS", "k"}));
  r.unlink("k");
  CHECK(r.wire == resp({"UNLINK", "k"}));
  r.mget("k");
  CHECK(r.wire == resp({"MGET", "k"}));
  const std::string owned = "user:1";
  r.del(owned);
  CHECK(r.wire == resp({"DEL", "user:1"}));
  r.del(std::string("temp:") + "2");  // a temporary lives until exec has encoded it
  CHECK(r.wire == resp({"DEL", "temp:2"}));
  const std::string_view view = "v:3";
  r.touch(view);
  CHECK(r.wire == resp({"TOUCH", "v:3"}));
}

TEST_CASE("overloads: one member, field or element after the key", "[generated][overloads]") {
  Recorder r;
  r.hdel("h", "f");
  CHECK(r.wire == resp({"HDEL", "h", "f"}));
  r.sadd("s", "m");
  CHECK(r.wire == resp({"SADD", "s", "m"}));
  r.srem("s", "m");
  CHECK(r.wire == resp({"SREM", "s", "m"}));
  r.lpush("l", "v");
  CHECK(r.wire == resp({"LPUSH", "l", "v"}));
  r.rpush("l", "v");
  CHECK(r.wire == resp({"RPUSH", "l", "v"}));
  r.xack("s", "g", "0-1");
  CHECK(r.wire == resp({"XACK", "s", "g", "0-1"}));
  r.sdiffstore("dst", "a");
  CHECK(r.wire == resp({"SDIFFSTORE", "dst", "a"}));
}

TEST_CASE("overloads: one pair", "[generated][overloads]") {
  Recorder r;
  r.hset("h", "f", "v");
  CHECK(r.wire == resp({"HSET", "h", "f", "v"}));
  r.mset("k", "v");
  CHECK(r.wire == resp({"MSET", "k", "v"}));
  r.zadd("z", 1.5, "m");
  CHECK(r.wire == resp({"ZADD", "z", "1.5", "m"}));
  r.zadd("z", 2, "m");  // an int score converts
  CHECK(r.wire == resp({"ZADD", "z", "2", "m"}));
  r.cluster_addslotsrange(0, 99);
  CHECK(r.wire == resp({"CLUSTER", "ADDSLOTSRANGE", "0", "99"}));
  r.cluster_addslots(7);
  CHECK(r.wire == resp({"CLUSTER", "ADDSLOTS", "7"}));
}

TEST_CASE("overloads: one element with options and with a tail", "[generated][overloads]") {
  Recorder r;
  r.zadd("z", 1, "m", {.condition = valkey::nx, .change = true});
  CHECK(r.wire == resp({"ZADD", "z", "NX", "CH", "1", "m"}));
  CHECK(r.tails == 0);
  std::error_code ec;
  r.del("k", ec);
  CHECK(r.wire == resp({"DEL", "k"}));
  CHECK(r.tails == 1);
  r.hset("h", "f", "v", ec);
  CHECK(r.wire == resp({"HSET", "h", "f", "v"}));
  CHECK(r.tails == 1);
  r.zadd("z", 3, "m", {.comparison = valkey::gt}, ec);
  CHECK(r.wire == resp({"ZADD", "z", "GT", "3", "m"}));
  CHECK(r.tails == 1);
}

TEST_CASE("overloads: lists still pick the View overload", "[generated][overloads]") {
  Recorder r;
  r.del({"a", "b"});  // two keys, not a string_view built from an iterator pair
  CHECK(r.wire == resp({"DEL", "a", "b"}));
  r.del({"a"});
  CHECK(r.wire == resp({"DEL", "a"}));
  const std::vector<std::string> keys{"x", "y", "z"};
  r.exists(keys);
  CHECK(r.wire == resp({"EXISTS", "x", "y", "z"}));
  std::error_code ec;
  r.unlink(keys, ec);
  CHECK(r.wire == resp({"UNLINK", "x", "y", "z"}));
  r.hset("h", {{"f1", "v1"}, {"f2", "v2"}});
  CHECK(r.wire == resp({"HSET", "h", "f1", "v1", "f2", "v2"}));
  const std::map<std::string, std::string> fields{{"a", "1"}, {"b", "2"}};
  r.hset("h", fields, ec);
  CHECK(r.wire == resp({"HSET", "h", "a", "1", "b", "2"}));
  r.zadd("z", {{1, "a"}, {2, "b"}}, {.change = true});
  CHECK(r.wire == resp({"ZADD", "z", "CH", "1", "a", "2", "b"}));
  r.hdel("h", {"f1", "f2"});
  CHECK(r.wire == resp({"HDEL", "h", "f1", "f2"}));
}

namespace {

// A braced list never deduces the element, so no single-element overload
// takes it; a container is no string, so none takes that either.
template <class R>
concept del_two_braced = requires(R r) { r.del({"a", "b"}); };
template <class R>
concept del_vector = requires(R r, const std::vector<std::string>& v) { r.del(v); };
template <class R>
concept del_number = requires(R r) { r.del(42); };

static_assert(del_two_braced<Recorder>);
static_assert(del_vector<Recorder>);
static_assert(!del_number<Recorder>);
static_assert(!valkey::detail::string_arg<std::vector<std::string>>);
static_assert(valkey::detail::string_arg<const char (&)[2]>);
static_assert(valkey::detail::number_arg<int, double>);
static_assert(!valkey::detail::number_arg<const char*, double>);

}  // namespace

TEST_CASE("overloads: valkey::list and valkey::pairs write what a braced list writes", "[generated][overloads]") {
  Recorder r;
  r.mget({"a", "b", "c"});
  const std::string braced = r.wire;
  r.mget(valkey::list("a", "b", "c"));
  CHECK(r.wire == braced);
  CHECK(r.wire == resp({"MGET", "a", "b", "c"}));
  const std::string owned = "owned";
  r.sadd("s", valkey::list(owned, std::string_view("view"), "literal"));
  CHECK(r.wire == resp({"SADD", "s", "owned", "view", "literal"}));
  r.hset("h", valkey::pairs("name", "Ada", "lang", owned));
  CHECK(r.wire == resp({"HSET", "h", "name", "Ada", "lang", "owned"}));
  r.del(valkey::list("one"));  // a list of one is still the list form
  CHECK(r.wire == resp({"DEL", "one"}));
  static_assert(valkey::list("a", "b").size() == 2);
  static_assert(valkey::pairs("f", "v", "g", "w")[1].second == "w");
}
