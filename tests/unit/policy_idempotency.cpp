// Which commands a client may resend after an unknown outcome: readonly ones,
// the idempotent table's write commands under their argument conditions,
// never blocking ones.
#include <catch2/catch_test_macros.hpp>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <valkey/command_table.hpp>
#include <valkey/policy/idempotency.hpp>
#include <valkey/resp/writer.hpp>

namespace vp = valkey::policy;
using valkey::CommandFlag;
using valkey::CommandInfo;

namespace {

const CommandInfo& info_of(const std::vector<std::string_view>& argv) {
  const auto it = argv.begin();
  const CommandInfo* info = argv.size() > 1 ? valkey::find_command(it[0], it[1]) : valkey::find_command(it[0]);
  REQUIRE(info);
  return *info;
}

bool idem(const std::vector<std::string_view>& argv) {
  INFO(argv.front());
  return vp::idempotent(info_of(argv), argv);
}

std::string encode(std::initializer_list<std::initializer_list<std::string_view>> commands) {
  std::string out;
  valkey::resp::Writer w(out);
  for (const auto& argv : commands) {
    w.begin_command(argv.size());
    for (std::string_view a : argv) w.arg(a);
  }
  return out;
}

}  // namespace

TEST_CASE("readonly commands are idempotent, blocking ones never", "[policy]") {
  CHECK(idem({"GET", "k"}));
  CHECK(idem({"HGETALL", "h"}));
  CHECK(idem({"EVAL_RO", "return 1", "0"}));
  CHECK_FALSE(idem({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"}));  // readonly and blocking
  CHECK_FALSE(idem({"BLPOP", "l", "0"}));
  CHECK_FALSE(vp::may_mark_idempotent(info_of({"BLPOP"})));
  CHECK_FALSE(vp::may_mark_idempotent(info_of({"XREAD"})));
  CHECK(vp::may_mark_idempotent(info_of({"EVAL"})));
  CHECK(vp::may_mark_idempotent(info_of({"INCR"})));
}

TEST_CASE("SET is idempotent without GET, conditions or relative expiry", "[policy]") {
  CHECK(idem({"SET", "k", "v"}));
  CHECK(idem({"SET", "k", "v", "KEEPTTL"}));
  CHECK(idem({"SET", "k", "v", "EXAT", "1900000000"}));
  CHECK(idem({"SET", "k", "v", "pxat", "1900000000000"}));
  CHECK_FALSE(idem({"SET", "k", "v", "GET"}));
  CHECK_FALSE(idem({"SET", "k", "v", "nx"}));
  CHECK_FALSE(idem({"SET", "k", "v", "XX"}));
  CHECK_FALSE(idem({"SET", "k", "v", "IFEQ", "old"}));
  CHECK_FALSE(idem({"SET", "k", "v", "EX", "10"}));
  CHECK_FALSE(idem({"SET", "k", "v", "Px", "10"}));
  // Key and value are not options, even when they spell one.
  CHECK(idem({"SET", "GET", "NX"}));
  // A value after the options that spells a token is taken as the token:
  // conservative, never the other way round.
  CHECK_FALSE(idem({"SET", "k", "v", "EXAT", "GET"}));
}

TEST_CASE("the table's write commands and their conditions", "[policy]") {
  CHECK(idem({"DEL", "a", "b"}));
  CHECK(idem({"UNLINK", "a"}));
  CHECK(idem({"HSET", "h", "f", "v"}));
  CHECK(idem({"HDEL", "h", "f"}));
  CHECK(idem({"SADD", "s", "m"}));
  CHECK(idem({"SREM", "s", "m"}));
  CHECK(idem({"MSET", "a", "1", "b", "2"}));
  CHECK(idem({"PFADD", "p", "x"}));
  CHECK(idem({"PERSIST", "k"}));
  CHECK(idem({"LSET", "l", "0", "v"}));
  CHECK(idem({"ZADD", "z", "1", "m"}));
  CHECK(idem({"ZADD", "z", "CH", "1", "m"}));
  CHECK_FALSE(idem({"ZADD", "z", "INCR", "1", "m"}));
  CHECK_FALSE(idem({"ZADD", "z", "NX", "1", "m"}));
  CHECK_FALSE(idem({"ZADD", "z", "GT", "1", "m"}));
  CHECK(idem({"PEXPIREAT", "k", "1900000000000"}));
  CHECK(idem({"EXPIREAT", "k", "1900000000"}));
  CHECK_FALSE(idem({"EXPIREAT", "k", "1900000000", "NX"}));
  CHECK_FALSE(idem({"PEXPIREAT", "k", "1900000000000", "gt"}));
  CHECK(idem({"COPY", "a", "b", "REPLACE"}));
  CHECK(idem({"COPY", "a", "b", "DB", "1", "replace"}));
  CHECK_FALSE(idem({"COPY", "a", "b"}));
  CHECK(idem({"SCRIPT", "LOAD", "return 1"}));
}

TEST_CASE("what is never resent", "[policy]") {
  for (const auto& argv : std::vector<std::vector<std::string_view>>{
           {"INCR", "k"}, {"INCRBY", "k", "1"}, {"DECR", "k"}, {"HINCRBY", "h", "f", "1"},
           {"ZINCRBY", "z", "1", "m"}, {"LPUSH", "l", "v"}, {"RPUSH", "l", "v"}, {"APPEND", "k", "v"},
           {"XADD", "s", "*", "f", "v"}, {"XADD", "s", "1-1", "f", "v"}, {"EVAL", "return 1", "0"},
           {"EVALSHA", "abc", "0"}, {"FCALL", "f", "0"}, {"EXEC"}, {"EXPIRE", "k", "10"},
           {"PEXPIRE", "k", "10"}, {"SETEX", "k", "10", "v"}, {"SETNX", "k", "v"}, {"GETSET", "k", "v"},
           {"GETDEL", "k"}, {"SETBIT", "k", "1", "1"}, {"LPOP", "l"}, {"SPOP", "s"}, {"PUBLISH", "c", "m"},
           {"RENAME", "a", "b"}, {"LREM", "l", "1", "v"}, {"LTRIM", "l", "1", "-1"},
           {"ZREMRANGEBYRANK", "z", "0", "1"}, {"FLUSHALL"}, {"CLIENT", "KILL", "ID", "1"}}) {
    CHECK_FALSE(idem(argv));
  }
}

TEST_CASE("every table entry names a known, non-blocking write command", "[policy]") {
  const auto rules = vp::idempotent_rules();
  REQUIRE(rules.size() > 10);
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto& r = rules[i];
    INFO(r.command);
    if (i > 0) CHECK(rules[i - 1].command < r.command);  // binary search needs the order
    CHECK(vp::idempotent_rule(r.command) == &r);
    const CommandInfo* info = valkey::find_command(r.command);
    REQUIRE(info);
    CHECK_FALSE(info->is(CommandFlag::readonly));  // those need no entry
    CHECK_FALSE(info->is(CommandFlag::blocking));
    CHECK_FALSE(r.why.empty());
  }
  CHECK(vp::idempotent_rule("INCR") == nullptr);
  CHECK(vp::idempotent_rule("set") == nullptr);  // names as CommandInfo spells them
}

TEST_CASE("encoded requests: every command must be idempotent", "[policy]") {
  CHECK(vp::idempotent_encoded(encode({{"GET", "k"}})));
  CHECK(vp::idempotent_encoded(encode({{"set", "k", "v"}, {"GET", "k"}, {"DEL", "k"}})));
  CHECK(vp::idempotent_encoded(encode({{"SCRIPT", "LOAD", "return 1"}})));
  CHECK(vp::idempotent_encoded(encode({{"HGETALL", "h"}, {"ZADD", "z", "1", "m"}})));
  CHECK_FALSE(vp::idempotent_encoded(encode({{"GET", "k"}, {"INCR", "k"}})));
  CHECK_FALSE(vp::idempotent_encoded(encode({{"SET", "k", "v", "GET"}})));
  CHECK_FALSE(vp::idempotent_encoded(encode({{"ZADD", "z", "INCR", "1", "m"}, {"GET", "k"}})));
  CHECK_FALSE(vp::idempotent_encoded(encode({{"MULTI"}, {"SET", "k", "v"}, {"EXEC"}})));
  CHECK_FALSE(vp::idempotent_encoded(encode({{"BLPOP", "l", "0"}})));
  CHECK_FALSE(vp::idempotent_encoded(encode({{"NOSUCHCOMMAND", "x"}})));
  CHECK_FALSE(vp::idempotent_encoded(""));
  const std::string ok = encode({{"SET", "k", "v"}});
  CHECK_FALSE(vp::idempotent_encoded(ok.substr(0, ok.size() - 1)));  // truncated
  CHECK_FALSE(vp::idempotent_encoded(ok + "+PING\r\n"));
  CHECK_FALSE(vp::idempotent_encoded("*1\r\n$3\r\nGET"));
  CHECK_FALSE(vp::idempotent_encoded("*2\r\n$3\r\nGET\r\n$999999999999999999999\r\n"));
}

TEST_CASE("idempotency_of settles what the command alone decides", "[policy]") {
  using vp::Idempotency;
  CHECK(vp::idempotency_of(info_of({"GET"})) == Idempotency::always);
  CHECK(vp::idempotency_of(info_of({"DEL"})) == Idempotency::always);
  CHECK(vp::idempotency_of(info_of({"SET"})) == Idempotency::depends_on_arguments);
  CHECK(vp::idempotency_of(info_of({"ZADD"})) == Idempotency::depends_on_arguments);
  CHECK(vp::idempotency_of(info_of({"INCR"})) == Idempotency::never);
  CHECK(vp::idempotency_of(info_of({"BLPOP"})) == Idempotency::never);
  CHECK(vp::idempotency_of(info_of({"XREAD"})) == Idempotency::never);
  // Consistent with the full decision wherever the command alone settles it.
  for (const CommandInfo* info : valkey::all_commands()) {
    const auto i = vp::idempotency_of(*info);
    if (i == Idempotency::depends_on_arguments) continue;
    INFO(info->name);
    const std::vector<std::string_view> argv{info->name, "a", "b", "GET", "NX", "INCR"};
    CHECK(vp::idempotent(*info, argv) == (i == Idempotency::always));
  }
}

TEST_CASE("encoded requests cut at any byte are refused unless the cut falls between commands", "[policy]") {
  const std::string first = encode({{"SET", "k", "v"}});
  const std::string all = first + encode({{"HSET", "h", "f", "12345678901234567890"}});
  for (std::size_t n = 0; n <= all.size(); ++n) {
    INFO(n);
    const bool boundary = n == first.size() || n == all.size();
    CHECK(vp::idempotent_encoded(std::string_view(all).substr(0, n)) == boundary);
  }
}
