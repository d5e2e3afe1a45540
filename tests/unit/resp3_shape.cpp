// RESP2 replies rewritten into their RESP3 shape (exec/resp3_shape.hpp):
// each rule on the replies a server sends over both protocols (written here
// as the server writes them), the choice of a rule by the command's
// arguments, and replies that do not fit a rule, which stay as they are.
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <string_view>
#include <vector>

#include <valkey/exec/resp3_shape.hpp>
#include <valkey/resp/writer.hpp>

#include "reply_support.hpp"

using valkey::Reply;
using valkey::test::reply_of;

namespace {

// The reply of `argv` received over RESP2, in the RESP3 shape.
Reply shaped(std::vector<std::string_view> argv, std::string_view resp2_wire) {
  Reply r = reply_of(resp2_wire);
  const std::string_view shape = valkey::exec::resp3_shape_of(argv);
  if (!shape.empty()) valkey::detail::apply_resp3_shape(r, shape);
  return r;
}

}  // namespace

TEST_CASE("resp3 shape: a flat array becomes a map (HGETALL, CONFIG GET)", "[resp3_shape]") {
  const Reply r = shaped({"HGETALL", "h"}, "*4\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n");
  CHECK(r == reply_of("%2\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n"));
  CHECK(r["f2"].as_string() == "v2");
  // a missing key: the empty array becomes the empty map RESP3 sends
  CHECK(shaped({"hgetall", "none"}, "*0\r\n") == reply_of("%0\r\n"));
  // a subcommand's rule, found whatever the case of its words
  CHECK(shaped({"config", "get", "maxmemory"}, "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n") ==
        reply_of("%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"));
}

TEST_CASE("resp3 shape: an array becomes a set (SMEMBERS, SPOP with a count)", "[resp3_shape]") {
  CHECK(shaped({"SMEMBERS", "s"}, "*2\r\n$1\r\na\r\n$1\r\nb\r\n") == reply_of("~2\r\n$1\r\na\r\n$1\r\nb\r\n"));
  CHECK(shaped({"SPOP", "s", "2"}, "*1\r\n$1\r\na\r\n") == reply_of("~1\r\n$1\r\na\r\n"));
  // SPOP without a count answers one member: the set rule leaves a string alone
  CHECK(shaped({"SPOP", "s"}, "$1\r\na\r\n") == reply_of("$1\r\na\r\n"));
}

TEST_CASE("resp3 shape: a bulk string holding a number becomes a double (ZSCORE, ZINCRBY)", "[resp3_shape]") {
  const Reply r = shaped({"ZSCORE", "z", "m"}, "$3\r\n1.5\r\n");
  CHECK(r == reply_of(",1.5\r\n"));
  CHECK(r.is_double());
  CHECK(r.raw() == "1.5");
  CHECK(shaped({"ZINCRBY", "z", "1", "m"}, "$4\r\n-inf\r\n") == reply_of(",-inf\r\n"));
  CHECK(shaped({"ZSCORE", "z", "none"}, "$-1\r\n") == reply_of("_\r\n"));
  // INCRBYFLOAT answers a bulk string in RESP3 too: nothing changes
  CHECK(valkey::exec::resp3_shape_of(std::vector<std::string_view>{"INCRBYFLOAT", "k", "1.5"}).empty());
}

TEST_CASE("resp3 shape: flat pairs become [a, b] arrays when the arguments ask for them", "[resp3_shape]") {
  const std::string_view flat = "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n";
  const Reply nested = reply_of("*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n");
  CHECK(shaped({"ZRANGE", "z", "0", "-1", "WITHSCORES"}, flat) == nested);
  CHECK(shaped({"zrangebyscore", "z", "-inf", "+inf", "withscores"}, flat) == nested);
  CHECK(shaped({"ZUNION", "2", "a", "b", "WITHSCORES"}, flat) == nested);
  CHECK(shaped({"ZRANDMEMBER", "z", "2", "WITHSCORES"}, flat) == nested);
  // without the token the members stay a flat list, as in RESP3
  const std::string_view members = "*2\r\n$1\r\na\r\n$1\r\n1\r\n";
  CHECK(shaped({"ZRANGE", "z", "0", "-1"}, members) == reply_of(members));
  // a key named like the token is not the token
  CHECK(shaped({"ZRANGE", "withscores", "0", "-1"}, members) == reply_of(members));
  CHECK(shaped({"HRANDFIELD", "h", "2", "WITHVALUES"}, "*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\ng\r\n$1\r\nw\r\n") ==
        reply_of("*2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n"));
}

TEST_CASE("resp3 shape: ZPOPMIN nests its pairs only when a count is given", "[resp3_shape]") {
  const std::string_view one = "*2\r\n$1\r\na\r\n$1\r\n1\r\n";
  CHECK(shaped({"ZPOPMIN", "z"}, one) == reply_of("*2\r\n$1\r\na\r\n,1\r\n"));
  CHECK(shaped({"ZPOPMIN", "z", "1"}, one) == reply_of("*1\r\n*2\r\n$1\r\na\r\n,1\r\n"));
  CHECK(shaped({"ZPOPMAX", "z", "2"}, "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n") ==
        reply_of("*2\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\na\r\n,1\r\n"));
}

TEST_CASE("resp3 shape: nested rules (XREAD, XINFO STREAM FULL, GEOPOS)", "[resp3_shape]") {
  // XREAD: RESP2 [[key, entries]] -> RESP3 {key: entries}
  const std::string_view entries = "*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n";
  CHECK(shaped({"XREAD", "STREAMS", "s", "0"}, "*1\r\n*2\r\n$1\r\ns\r\n" + std::string(entries)) ==
        reply_of("%1\r\n$1\r\ns\r\n" + std::string(entries)));
  // XINFO STREAM FULL: a record whose groups are records holding consumer maps
  const std::string resp2 =
      "*4\r\n$6\r\nlength\r\n:1\r\n$6\r\ngroups\r\n"
      "*1\r\n*4\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n*1\r\n*2\r\n$4\r\nname\r\n$1\r\nc\r\n";
  const std::string resp3 =
      "%2\r\n$6\r\nlength\r\n:1\r\n$6\r\ngroups\r\n"
      "*1\r\n%2\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n*1\r\n%1\r\n$4\r\nname\r\n$1\r\nc\r\n";
  CHECK(shaped({"XINFO", "STREAM", "s", "FULL"}, resp2) == reply_of(resp3));
  // GEOPOS: coordinates become doubles, a missing member stays null
  CHECK(shaped({"GEOPOS", "g", "a", "b"}, "*2\r\n*2\r\n$3\r\n1.5\r\n$3\r\n2.5\r\n*-1\r\n") ==
        reply_of("*2\r\n*2\r\n,1.5\r\n,2.5\r\n_\r\n"));
}

TEST_CASE("resp3 shape: a reply that does not fit its rule is left as it is", "[resp3_shape]") {
  // odd count: no map
  const std::string_view odd = "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n";
  CHECK(shaped({"HGETALL", "h"}, odd) == reply_of(odd));
  // a key that is an array (and not [k, v] pairs): no map
  const std::string_view nested_key = "*2\r\n*1\r\n$1\r\na\r\n$1\r\nb\r\n";
  CHECK(shaped({"HGETALL", "h"}, nested_key) == reply_of(nested_key));
  // a "score" that is no number: these are not pairs
  const std::string_view words = "*2\r\n$1\r\na\r\n$1\r\nb\r\n";
  CHECK(shaped({"ZRANGE", "z", "0", "-1", "WITHSCORES"}, words) == reply_of(words));
  // a string where a double is expected that holds none
  CHECK(shaped({"ZSCORE", "z", "m"}, "$3\r\nabc\r\n") == reply_of("$3\r\nabc\r\n"));
  // an error reply stays an error
  CHECK(shaped({"HGETALL", "h"}, "-WRONGTYPE x\r\n") == reply_of("-WRONGTYPE x\r\n"));
  // a tuple of another length
  const std::string_view three = "*3\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nx\r\n";
  CHECK(shaped({"ZPOPMIN", "z"}, three) == reply_of(three));
}

TEST_CASE("resp3 shape: commands whose replies are alike have no rule", "[resp3_shape]") {
  for (std::vector<std::string_view> argv : std::vector<std::vector<std::string_view>>{
           {"GET", "k"}, {"LRANGE", "l", "0", "-1"}, {"HKEYS", "h"}, {"CONFIG", "SET", "a", "b"},
           {"NOSUCHCOMMAND"}, {"XPENDING", "s", "g"}, {"XCLAIM", "s", "g", "c", "0", "1-0", "JUSTID"}}) {
    INFO(argv[0]);
    CHECK(valkey::exec::resp3_shape_of(argv).empty());
  }
  CHECK(valkey::exec::resp3_shape_of(std::vector<std::string_view>{}).empty());
}

TEST_CASE("resp3 shape: Resp3Shapes walks encoded commands in order", "[resp3_shape]") {
  std::string bytes;
  valkey::resp::Writer w(bytes);
  for (const std::vector<std::string_view>& argv : std::vector<std::vector<std::string_view>>{
           {"MULTI"}, {"HGETALL", "h"}, {"GET", "k"}, {"ZSCORE", "z", "m"}}) {
    w.begin_command(argv.size());
    for (auto a : argv) w.arg(a);
  }
  valkey::exec::Resp3Shapes shapes{std::string_view{bytes}};
  CHECK(shapes.next().empty());     // MULTI
  CHECK(shapes.next() == "M.");     // HGETALL
  CHECK(shapes.next().empty());     // GET
  CHECK(shapes.next() == "d");      // ZSCORE
  CHECK(shapes.next().empty());     // past the end
  CHECK(shapes.next().empty());

  const std::vector<std::string_view> args{"SMEMBERS", "s"};
  valkey::exec::Resp3Shapes single{valkey::Strings{args}};
  Reply r = reply_of("*1\r\n$1\r\na\r\n");
  single.apply_next(r);
  CHECK(r == reply_of("~1\r\n$1\r\na\r\n"));
  CHECK(single.next().empty());
}
