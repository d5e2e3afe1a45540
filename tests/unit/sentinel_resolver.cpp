// The sentinel resolver without sockets: reply handling (RESP3 maps and
// RESP2 flat arrays), the legacy command fallback, replica filtering, the
// order in which sentinels are asked, and the errors of a failed round.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <valkey/error.hpp>
#include <valkey/sentinel/resolver.hpp>

using Catch::Matchers::ContainsSubstring;
using valkey::NodeAddress;
using valkey::Reply;
using valkey::SentinelAddress;
using valkey::SentinelConfig;
namespace vs = valkey::sentinel;

namespace {

Reply bulk(std::string s) { return Reply::bulk_string(std::move(s)); }
Reply addr(std::string host, std::string port) { return Reply::array({bulk(std::move(host)), bulk(std::move(port))}); }

// One SENTINEL REPLICAS / SENTINELS entry, as a RESP3 map or a RESP2 flat array.
Reply entry(bool resp2, std::string ip, std::string port, std::string flags) {
  std::vector<Reply> kv{bulk("name"), bulk(ip + ":" + port), bulk("ip"), bulk(ip), bulk("port"), bulk(port),
                        bulk("flags"), bulk(std::move(flags))};
  return resp2 ? Reply::array(std::move(kv)) : Reply::map(std::move(kv));
}

SentinelConfig config(std::vector<SentinelAddress> s, valkey::SentinelReadFrom from = valkey::SentinelReadFrom::primary) {
  SentinelConfig c;
  c.sentinels = std::move(s);
  c.primary_name = "mymaster";
  c.read_from = from;
  return c;
}

const SentinelAddress s1{"127.0.0.1", 26379}, s2{"127.0.0.1", 26380}, s3{"127.0.0.1", 26381};

}  // namespace

TEST_CASE("sentinel resolver: the primary's address, and what else a reply may be", "[sentinel][resolver]") {
  auto a = vs::read_primary(addr("10.0.0.1", "6380"));
  CHECK(a.kind == vs::PrimaryReply::Kind::address);
  CHECK(a.address == NodeAddress{"10.0.0.1", 6380, "master"});
  CHECK(vs::read_primary(Reply::null()).kind == vs::PrimaryReply::Kind::unknown_primary);
  CHECK(vs::read_primary(Reply::array({})).kind == vs::PrimaryReply::Kind::unknown_primary);
  CHECK(vs::read_primary(Reply::error("ERR unknown subcommand 'GET-PRIMARY-ADDR-BY-NAME'. Try SENTINEL HELP.")).kind ==
        vs::PrimaryReply::Kind::unknown_command);
  auto denied = vs::read_primary(Reply::error("NOPERM this user has no permissions"));
  CHECK(denied.kind == vs::PrimaryReply::Kind::error);
  CHECK(denied.text == "NOPERM this user has no permissions");
  CHECK(vs::read_primary(addr("h", "0")).kind == vs::PrimaryReply::Kind::error);
  CHECK(vs::read_primary(addr("h", "x")).kind == vs::PrimaryReply::Kind::error);
  CHECK(vs::read_primary(bulk("h:1")).kind == vs::PrimaryReply::Kind::error);
}

TEST_CASE("sentinel resolver: replicas flagged down or disconnected are skipped", "[sentinel][resolver]") {
  for (bool resp2 : {false, true}) {
    INFO("resp2 " << resp2);
    Reply r = Reply::array({entry(resp2, "10.0.0.2", "7001", "slave"), entry(resp2, "10.0.0.3", "7002", "slave,s_down"),
                            entry(resp2, "10.0.0.4", "7003", "slave,o_down"),
                            entry(resp2, "10.0.0.5", "7004", "slave,disconnected"),
                            entry(resp2, "10.0.0.6", "7005", "slave,master_down")});
    auto ok = vs::usable_replicas(r);
    REQUIRE(ok.size() == 2);
    CHECK(ok[0] == NodeAddress{"10.0.0.2", 7001, "slave"});
    CHECK(ok[1] == NodeAddress{"10.0.0.6", 7005, "slave"});
    auto others = vs::read_sentinels(Reply::array({entry(resp2, "10.0.1.1", "26390", "sentinel")}));
    REQUIRE(others.size() == 1);
    CHECK(others[0] == SentinelAddress{"10.0.1.1", 26390});
  }
  CHECK(vs::usable_replicas(Reply::null()).empty());
  CHECK(vs::read_role(Reply::array({bulk("master"), Reply::integer(10), Reply::array({})})) == "master");
  CHECK(vs::read_role(Reply::error("ERR")).empty());
}

TEST_CASE("sentinel resolver: sentinels are asked starting with the last that answered", "[sentinel][resolver]") {
  vs::Resolver r(config({s1, s2, s3}));
  CHECK(r.begin_round() == std::vector<SentinelAddress>{s1, s2, s3});
  r.on_unreachable(s1, "Connection refused");
  CHECK(r.on_replies(s2, {addr("127.0.0.1", "7000"), Reply::array({})}, false) == vs::Resolver::Verdict::answered);
  CHECK(r.result().address == NodeAddress{"127.0.0.1", 7000, "master"});
  CHECK(r.begin_round() == std::vector<SentinelAddress>{s2, s1, s3});
  CHECK(r.on_replies(s2, {Reply::null(), Reply::array({})}, false) == vs::Resolver::Verdict::next);
  CHECK(r.on_replies(s1, {addr("127.0.0.1", "7001"), Reply::array({})}, false) == vs::Resolver::Verdict::answered);
  CHECK(r.begin_round() == std::vector<SentinelAddress>{s1, s2, s3});
}

TEST_CASE("sentinel resolver: sentinels learned from SENTINEL SENTINELS join, configured ones stay",
          "[sentinel][resolver]") {
  vs::Resolver r(config({s1, s2}));
  r.begin_round();
  const SentinelAddress learned{"127.0.0.1", 26999};
  Reply others = Reply::array({entry(false, "127.0.0.1", "26380", "sentinel"), entry(false, "127.0.0.1", "26999", "sentinel")});
  REQUIRE(r.on_replies(s1, {addr("127.0.0.1", "7000"), others}, false) == vs::Resolver::Verdict::answered);
  CHECK(r.sentinels().all() == std::vector<SentinelAddress>{s1, s2, learned});
  // A later reply that lists nobody drops nobody.
  r.begin_round();
  REQUIRE(r.on_replies(s1, {addr("127.0.0.1", "7000"), Reply::array({})}, false) == vs::Resolver::Verdict::answered);
  CHECK(r.sentinels().all() == std::vector<SentinelAddress>{s1, s2, learned});
  CHECK(r.sentinels().configured() == 2);
}

TEST_CASE("sentinel resolver: questions, and the fallback for servers without GET-PRIMARY-ADDR-BY-NAME",
          "[sentinel][resolver]") {
  vs::Resolver primary(config({s1}));
  auto q = primary.questions(false);
  REQUIRE(q.size() == 2);
  CHECK(q[0] == std::vector<std::string>{"SENTINEL", "GET-PRIMARY-ADDR-BY-NAME", "mymaster"});
  CHECK(q[1] == std::vector<std::string>{"SENTINEL", "SENTINELS", "mymaster"});
  CHECK(primary.questions(true)[0] == std::vector<std::string>{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"});
  primary.begin_round();
  const Reply unknown = Reply::error("ERR Unknown sentinel subcommand 'GET-PRIMARY-ADDR-BY-NAME'");
  CHECK(primary.on_replies(s1, {unknown, Reply::array({})}, false) == vs::Resolver::Verdict::ask_legacy);
  CHECK(primary.on_replies(s1, {addr("127.0.0.1", "7000"), Reply::array({})}, true) == vs::Resolver::Verdict::answered);
  // Unknown even with the legacy command: this sentinel is not one.
  primary.begin_round();
  CHECK(primary.on_replies(s1, {unknown, Reply::array({})}, true) == vs::Resolver::Verdict::next);
  CHECK(primary.result().ec == valkey::errc::sentinel_unreachable);

  vs::Resolver replica(config({s1}, valkey::SentinelReadFrom::replica));
  auto rq = replica.questions(false);
  REQUIRE(rq.size() == 3);
  CHECK(rq[2] == std::vector<std::string>{"SENTINEL", "REPLICAS", "mymaster"});
}

TEST_CASE("sentinel resolver: replica targets pick a usable replica, or fail with no_replica",
          "[sentinel][resolver]") {
  std::size_t asked_n = 0;
  vs::Resolver r(config({s1, s2}, valkey::SentinelReadFrom::replica), [&](std::size_t n) {
    asked_n = n;
    return n - 1;
  });
  const Reply replicas = Reply::array({entry(false, "127.0.0.1", "7001", "slave"), entry(false, "127.0.0.1", "7002", "slave,s_down"),
                                       entry(false, "127.0.0.1", "7003", "slave")});
  r.begin_round();
  REQUIRE(r.on_replies(s1, {addr("127.0.0.1", "7000"), Reply::array({}), replicas}, false) ==
          vs::Resolver::Verdict::answered);
  CHECK(asked_n == 2);
  CHECK(r.result().address == NodeAddress{"127.0.0.1", 7003, "slave"});

  const Reply none = Reply::array({entry(false, "127.0.0.1", "7002", "slave,s_down")});
  r.begin_round();
  CHECK(r.on_replies(s1, {addr("127.0.0.1", "7000"), Reply::array({}), none}, false) == vs::Resolver::Verdict::next);
  CHECK(r.on_replies(s2, {addr("127.0.0.1", "7000"), Reply::array({}), none}, false) == vs::Resolver::Verdict::next);
  CHECK(r.result().ec == valkey::errc::no_replica);

  vs::Resolver preferred(config({s1}, valkey::SentinelReadFrom::replica_preferred));
  preferred.begin_round();
  REQUIRE(preferred.on_replies(s1, {addr("127.0.0.1", "7000"), Reply::array({}), none}, false) ==
          vs::Resolver::Verdict::answered);
  CHECK(preferred.result().address == NodeAddress{"127.0.0.1", 7000, "master"});
}

TEST_CASE("sentinel resolver: a failed round says which error and lists every sentinel", "[sentinel][resolver]") {
  vs::Resolver r(config({s1, s2, s3}));
  r.begin_round();
  r.on_unreachable(s1, "Connection refused");
  r.on_unreachable(s2, "connect timeout");
  CHECK(r.on_replies(s3, {Reply::error("NOAUTH Authentication required.")}, false) == vs::Resolver::Verdict::next);
  auto res = r.result();
  CHECK(res.ec == valkey::errc::sentinel_unreachable);
  CHECK_THAT(res.why, ContainsSubstring("127.0.0.1:26379: Connection refused"));
  CHECK_THAT(res.why, ContainsSubstring("127.0.0.1:26380: connect timeout"));
  CHECK_THAT(res.why, ContainsSubstring("127.0.0.1:26381: NOAUTH"));

  r.begin_round();
  r.on_unreachable(s1, "Connection refused");
  CHECK(r.on_replies(s2, {Reply::null(), Reply::array({})}, false) == vs::Resolver::Verdict::next);
  CHECK(r.on_replies(s3, {Reply::null(), Reply::array({})}, false) == vs::Resolver::Verdict::next);
  res = r.result();
  CHECK(res.ec == valkey::errc::sentinel_unknown_primary);
  CHECK_THAT(res.why, ContainsSubstring("knows no primary named mymaster"));
  CHECK_THAT(res.why, ContainsSubstring("127.0.0.1:26379: Connection refused"));
}

TEST_CASE("sentinel resolver: +switch-master messages for our primary only", "[sentinel][resolver]") {
  auto a = vs::parse_switch_master("mymaster 127.0.0.1 7000 127.0.0.1 7001", "mymaster");
  REQUIRE(a);
  CHECK(*a == NodeAddress{"127.0.0.1", 7001, "master"});
  CHECK_FALSE(vs::parse_switch_master("other 127.0.0.1 7000 127.0.0.1 7001", "mymaster"));
  CHECK_FALSE(vs::parse_switch_master("mymaster 127.0.0.1 7000 127.0.0.1", "mymaster"));
  CHECK_FALSE(vs::parse_switch_master("mymaster 127.0.0.1 7000 127.0.0.1 x", "mymaster"));
  CHECK_FALSE(vs::parse_switch_master("", "mymaster"));
}

TEST_CASE("sentinel resolver: a sentinel whose address failed the ROLE check goes last", "[sentinel][resolver]") {
  vs::Resolver r(config({s1, s2, s3}));
  r.begin_round();
  REQUIRE(r.on_replies(s1, {addr("127.0.0.1", "7001"), Reply::array({})}, false) == vs::Resolver::Verdict::answered);
  r.wrong_role(NodeAddress{"127.0.0.1", 7000, "master"});  // not what s1 named: no effect
  CHECK(r.begin_round() == std::vector<SentinelAddress>{s1, s2, s3});
  REQUIRE(r.on_replies(s1, {addr("127.0.0.1", "7001"), Reply::array({})}, false) == vs::Resolver::Verdict::answered);
  r.wrong_role(NodeAddress{"127.0.0.1", 7001, "master"});
  CHECK(r.begin_round() == std::vector<SentinelAddress>{s2, s3, s1});
  REQUIRE(r.on_replies(s2, {addr("127.0.0.1", "7000"), Reply::array({})}, false) == vs::Resolver::Verdict::answered);
  CHECK(r.begin_round() == std::vector<SentinelAddress>{s2, s3, s1});
}
