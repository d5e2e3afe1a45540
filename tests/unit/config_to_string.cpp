// Config::to_string(): round-trips the visible settings, never the password.
#include <catch2/catch_test_macros.hpp>

#include <valkey/config.hpp>

using namespace std::chrono_literals;
using valkey::Config;

TEST_CASE("config: to_string redacts the password", "[config]") {
  auto c = Config::from_url("valkeys://alice:hunter2@h:6380/4?client_name=app");
  std::string s = c.to_string();
  CHECK(s.find("hunter2") == std::string::npos);
  CHECK(s.find("***") != std::string::npos);
  CHECK(s == "valkeys://alice:***@h:6380/4?client_name=app");
}

TEST_CASE("config: to_string round-trips everything but the password", "[config]") {
  Config c;
  c.host = "10.0.0.1";
  c.port = 7001;
  c.user = "bob";
  c.database = 2;
  c.protocol = valkey::Protocol::resp2;
  c.connect_timeout = 1500ms;
  c.health_check_interval = 0ms;
  auto back = Config::from_url(c.to_string());
  CHECK(back.host == c.host);
  CHECK(back.port == c.port);
  CHECK(back.user == c.user);
  CHECK(back.database == c.database);
  CHECK(back.protocol == c.protocol);
  CHECK(back.connect_timeout == c.connect_timeout);
  CHECK(back.health_check_interval == 0ms);

  Config u;
  u.unix_path = "/tmp/a b.sock";
  u.database = 1;
  auto ub = Config::from_url(u.to_string());
  CHECK(ub.unix_path == u.unix_path);
  CHECK(ub.database == 1);
}

TEST_CASE("config: defaults are safe", "[config]") {
  Config c;
  CHECK(c.tls.verify_peer);
  CHECK(c.tls.verify_hostname);
  CHECK(c.protocol == valkey::Protocol::resp3);
  CHECK_FALSE(c.retry_readonly);
  CHECK(c.reconnect.enabled);
  CHECK(c.health_check_interval > 0ms);
}

TEST_CASE("config: durations", "[config]") {
  std::chrono::milliseconds d{};
  CHECK(valkey::parse_duration("250ms", d));
  CHECK(d == 250ms);
  CHECK(valkey::parse_duration("3s", d));
  CHECK(d == 3s);
  CHECK(valkey::parse_duration("2h", d));
  CHECK(d == 2h);
  CHECK(valkey::parse_duration("42", d));
  CHECK(d == 42ms);
  CHECK_FALSE(valkey::parse_duration("", d));
  CHECK_FALSE(valkey::parse_duration("s", d));
  CHECK_FALSE(valkey::parse_duration("5 s", d));
  CHECK_FALSE(valkey::parse_duration("5d", d));
}
