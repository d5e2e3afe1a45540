// valkey::SentinelConfig::from_url: schemes, sentinel lists, credentials per
// side, options, validation and redaction.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <valkey/error.hpp>
#include <valkey/sentinel/sentinel_config.hpp>

using namespace std::chrono_literals;
using Catch::Matchers::ContainsSubstring;
using valkey::SentinelReadFrom;
using valkey::SentinelAddress;
using valkey::SentinelConfig;
using valkey::SentinelRole;

TEST_CASE("sentinel url: sentinels, name, default port and role", "[sentinel][url]") {
  auto c = SentinelConfig::from_url("valkey+sentinel://:pw@127.0.0.1:26379,127.0.0.1:26380,h3/mymaster?role=primary");
  REQUIRE(c.sentinels.size() == 3);
  CHECK(c.sentinels[0] == SentinelAddress{"127.0.0.1", 26379});
  CHECK(c.sentinels[1] == SentinelAddress{"127.0.0.1", 26380});
  CHECK(c.sentinels[2] == SentinelAddress{"h3", 26379});
  CHECK(c.primary_name == "mymaster");
  CHECK(c.role == SentinelRole::primary);
  CHECK(c.target() == SentinelReadFrom::primary);
  CHECK(c.sentinel.password == "pw");
  CHECK(c.node.password == "pw");
  CHECK_FALSE(c.node.tls.enabled);
  CHECK(c.recheck_interval == 5s);
  CHECK(c.follow_events);
}

TEST_CASE("sentinel url: every scheme; TLS ones turn TLS on for both sides", "[sentinel][url]") {
  for (auto url : {"valkey+sentinel://h/m", "redis+sentinel://h/m"}) {
    auto c = SentinelConfig::from_url(url);
    CHECK_FALSE(c.node.tls.enabled);
    CHECK_FALSE(c.sentinel.tls.enabled);
    CHECK(SentinelConfig::is_sentinel_url(url));
  }
  for (auto url : {"valkeys+sentinel://h/m?ca_file=/ca.pem", "rediss+sentinel://h/m?ca_file=/ca.pem"}) {
    auto c = SentinelConfig::from_url(url);
    CHECK(c.node.tls.enabled);
    CHECK(c.sentinel.tls.enabled);
    CHECK(c.node.tls.ca_file == "/ca.pem");
    CHECK(c.sentinel.tls.ca_file == "/ca.pem");
  }
  CHECK_FALSE(SentinelConfig::is_sentinel_url("valkey://h"));
  CHECK_FALSE(SentinelConfig::is_sentinel_url("sentinel"));
}

TEST_CASE("sentinel url: separate credentials for sentinels and nodes", "[sentinel][url]") {
  auto c = SentinelConfig::from_url(
      "valkey+sentinel://alice:shared@h/m?sentinel_password=s%40pw&node_user=bob&node_password=n-pw");
  CHECK(c.sentinel.user == "alice");
  CHECK(c.sentinel.password == "s@pw");
  CHECK(c.node.user == "bob");
  CHECK(c.node.password == "n-pw");

  auto none = SentinelConfig::from_url("valkey+sentinel://:spw@h/m?node_password=");
  CHECK(none.sentinel.password == "spw");
  CHECK(none.node.password.empty());
}

TEST_CASE("sentinel url: node options stay off the sentinel side", "[sentinel][url]") {
  auto c = SentinelConfig::from_url(
      "valkey+sentinel://h/m/3?client_name=app&connect_timeout=250ms&protocol=resp2&role=replica"
      "&read_from=replica_preferred&recheck_interval=2s&follow_events=false");
  CHECK(c.node.database == 3);
  CHECK(c.node.client_name == "app");
  CHECK(c.sentinel.database == 0);
  CHECK(c.sentinel.client_name.empty());
  CHECK(c.node.connect_timeout == 250ms);
  CHECK(c.sentinel.connect_timeout == 250ms);
  CHECK(c.node.protocol == valkey::Protocol::resp2);
  CHECK(c.role == SentinelRole::replica);
  CHECK(c.read_from == SentinelReadFrom::replica_preferred);
  CHECK(c.target() == SentinelReadFrom::replica_preferred);
  CHECK(c.recheck_interval == 2s);
  CHECK_FALSE(c.follow_events);
  CHECK(SentinelConfig::from_url("valkey+sentinel://h/m?role=replica").target() == SentinelReadFrom::replica);
  CHECK(SentinelConfig::from_url("valkey+sentinel://h/m?read_from=replica").target() == SentinelReadFrom::replica);
}

TEST_CASE("sentinel url: IPv6 sentinels", "[sentinel][url]") {
  auto c = SentinelConfig::from_url("valkey+sentinel://[::1]:26400,[::1]/m");
  REQUIRE(c.sentinels.size() == 2);
  CHECK(c.sentinels[0] == SentinelAddress{"::1", 26400});
  CHECK(c.sentinels[1] == SentinelAddress{"::1", 26379});
  CHECK(c.sentinels[0].to_string() == "[::1]:26400");
}

TEST_CASE("sentinel url: bad URLs name the problem, never the password", "[sentinel][url]") {
  const char* bad[] = {
      "valkey://h/m",                                // not a sentinel scheme
      "valkey+sentinel://:secretpw@/m",              // no sentinel
      "valkey+sentinel://:secretpw@h1,/m",           // trailing comma
      "valkey+sentinel://:secretpw@h:0/m",           // bad port
      "valkey+sentinel://:secretpw@h:99999/m",       // bad port
      "valkey+sentinel://:secretpw@h",               // no name
      "valkey+sentinel://:secretpw@h/",              // empty name
      "valkey+sentinel://:secretpw@h/m?role=boss",   // bad role
      "valkey+sentinel://:secretpw@h/m?read_from=x", // bad read_from
      "valkey+sentinel://:secretpw@h/m?nope=1",      // unknown option
      "valkey+sentinel://:secretpw@h/m/x",           // bad db
      "valkey+sentinel://:secretpw@h/m?recheck_interval=soon",
  };
  for (auto url : bad) {
    INFO(url);
    std::error_code ec;
    std::string why;
    SentinelConfig::from_url(url, ec, &why);
    CHECK(ec == valkey::errc::invalid_url);
    CHECK_FALSE(why.empty());
    CHECK_THAT(why, !ContainsSubstring("secretpw"));
    try {
      SentinelConfig::from_url(url);
      FAIL("no exception");
    } catch (const valkey::Error& e) {
      CHECK(e.code() == valkey::errc::invalid_url);
      CHECK_THAT(std::string(e.what()), !ContainsSubstring("secretpw"));
    }
  }
}

TEST_CASE("sentinel url: to_string redacts every password and reads back", "[sentinel][url]") {
  auto same = SentinelConfig::from_url("valkey+sentinel://:topsecret@127.0.0.1:26379,127.0.0.1:26380/mymaster?role=replica");
  const std::string s = same.to_string();
  CHECK(s == "valkey+sentinel://:***@127.0.0.1:26379,127.0.0.1:26380/mymaster?role=replica");

  auto split = SentinelConfig::from_url("valkeys+sentinel://h/m/2?sentinel_password=spass1&node_password=npass2&recheck_interval=1s");
  const std::string t = split.to_string();
  CHECK_THAT(t, !ContainsSubstring("spass1"));
  CHECK_THAT(t, !ContainsSubstring("npass2"));
  CHECK_THAT(t, ContainsSubstring("sentinel_password=%2A%2A%2A"));
  CHECK_THAT(t, ContainsSubstring("node_password=%2A%2A%2A"));
  CHECK_THAT(t, ContainsSubstring("valkeys+sentinel://h:26379/m/2?"));
  CHECK_THAT(t, ContainsSubstring("recheck_interval=1000ms"));
}

TEST_CASE("sentinel config: an empty sentinel list or name is refused", "[sentinel][url]") {
  SentinelConfig c;
  c.primary_name = "m";
  CHECK_THROWS_AS(c.validate(), valkey::Error);
  c.sentinels.push_back({"127.0.0.1", 26379});
  CHECK_NOTHROW(c.validate());
  c.primary_name.clear();
  std::string why;
  CHECK(c.validate(why) == valkey::errc::invalid_argument);
  CHECK_THAT(why, ContainsSubstring("primary"));
  c.primary_name = "m";
  c.sentinels.push_back({"", 1});
  CHECK(c.validate(why) == valkey::errc::invalid_argument);
}
