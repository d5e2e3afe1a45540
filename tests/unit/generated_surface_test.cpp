// valkey::Commands<Derived>: the generated method surface. A tiny Derived
// records what each call hands to exec(), so overload resolution and the
// built command are checked without a server.
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <system_error>
#include <type_traits>

#include <valkey/commands.hpp>

namespace {

struct Token {};  // stands in for a completion token

struct Recorder : valkey::Commands<Recorder> {
  std::string wire;
  std::string tail;
  std::string name;

  template <valkey::Command C, class... Tail>
  int exec(const C& cmd, Tail&&... t) {
    wire.clear();
    valkey::resp::Writer w{wire};
    encode(cmd, w);
    name = std::string(C::info.name);
    tail.clear();
    (describe(t), ...);
    return static_cast<int>(sizeof...(Tail));
  }
  void describe(std::error_code&) { tail += "ec;"; }
  void describe(Token) { tail += "token;"; }
};

}  // namespace

TEST_CASE("surface: no options, no tail", "[generated][surface]") {
  Recorder r;
  CHECK(r.set("k", "v") == 0);
  CHECK(r.wire == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
  CHECK(r.tail.empty());
}

TEST_CASE("surface: braced options pick the Options overload", "[generated][surface]") {
  Recorder r;
  CHECK(r.set("k", "v", {.condition = valkey::cmd::Set::Xx{}}) == 0);
  CHECK(r.wire == "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nXX\r\n");
  CHECK(r.set_get("k", "v", {.condition = valkey::cmd::Set::Nx{}}) == 0);
  CHECK(r.wire == "*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nNX\r\n$3\r\nGET\r\n");
  CHECK(r.set("k", "v", {.expiration = valkey::cmd::Set::Ex{30}}) == 0);
  CHECK(r.wire == "*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nEX\r\n$2\r\n30\r\n");
}

TEST_CASE("surface: tail only", "[generated][surface]") {
  Recorder r;
  std::error_code ec;
  CHECK(r.set("k", "v", ec) == 1);
  CHECK(r.tail == "ec;");
  CHECK(r.get("k", Token{}) == 1);
  CHECK(r.tail == "token;");
  CHECK(r.wire == "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
}

TEST_CASE("surface: options and tail", "[generated][surface]") {
  Recorder r;
  std::error_code ec;
  CHECK(r.set("k", "v", {.condition = valkey::cmd::Set::Nx{}}, ec) == 1);
  CHECK(r.tail == "ec;");
  CHECK(r.wire == "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nNX\r\n");
  CHECK(r.set_get("k", "v", {.expiration = valkey::cmd::Set::Px{1500}}, Token{}) == 1);
  CHECK(r.tail == "token;");
}

TEST_CASE("surface: lists, pairs and typed entry points", "[generated][surface]") {
  Recorder r;
  r.mget({"a", "b", "c"});
  CHECK(r.wire == "*4\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
  r.hset("h", {{"f1", "v1"}, {"f2", "v2"}});
  CHECK(r.wire == "*6\r\n$4\r\nHSET\r\n$1\r\nh\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n");
  r.zrange_withscores("z", 0, -1);
  CHECK(r.name == "ZRANGE");
  CHECK(r.wire == "*5\r\n$6\r\nZRANGE\r\n$1\r\nz\r\n$1\r\n0\r\n$2\r\n-1\r\n$10\r\nWITHSCORES\r\n");
  static_assert(std::is_same_v<valkey::cmd::ZrangeWithScores::reply_type,
                               std::vector<std::pair<std::string, double>>>);
  static_assert(std::is_same_v<valkey::cmd::Zrange::reply_type, std::vector<std::string>>);
  r.dbsize();
  CHECK(r.wire == "*1\r\n$6\r\nDBSIZE\r\n");
  r.client_kill({.username = "bob", .skip_me = valkey::cmd::ClientKill::No{}});
  CHECK(r.wire == "*6\r\n$6\r\nCLIENT\r\n$4\r\nKILL\r\n$4\r\nUSER\r\n$3\r\nbob\r\n$6\r\nSKIPME\r\n$2\r\nNO\r\n");
}

// Connection-state commands keep their structs but have no method.
template <class T>
concept has_multi = requires(T t) { t.multi(); };
template <class T>
concept has_subscribe = requires(T t) { t.subscribe({"ch"}); };
static_assert(!has_multi<Recorder>);
static_assert(!has_subscribe<Recorder>);
static_assert(valkey::Command<valkey::cmd::Multi>);
