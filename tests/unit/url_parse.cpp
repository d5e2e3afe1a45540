// valkey::Config::from_url: schemes, credentials, database, options, errors.
#include <catch2/catch_test_macros.hpp>

#include <valkey/config.hpp>
#include <valkey/error.hpp>

using namespace std::chrono_literals;
using valkey::Config;

TEST_CASE("url: host, port and defaults", "[url]") {
  auto c = Config::from_url("valkey://example.com:7000");
  CHECK(c.host == "example.com");
  CHECK(c.port == 7000);
  CHECK(c.database == 0);
  CHECK_FALSE(c.tls.enabled);
  CHECK(c.protocol == valkey::Protocol::resp3);
  CHECK(c.user.empty());
  CHECK(c.password.empty());

  auto d = Config::from_url("redis://localhost");
  CHECK(d.host == "localhost");
  CHECK(d.port == 6379);
}

TEST_CASE("url: TLS schemes turn TLS on with verification", "[url]") {
  for (auto url : {"valkeys://h:6380", "rediss://h:6380"}) {
    auto c = Config::from_url(url);
    CHECK(c.tls.enabled);
    CHECK(c.tls.verify_peer);
    CHECK(c.tls.verify_hostname);
    CHECK(c.port == 6380);
  }
  auto c = Config::from_url(
      "valkeys://h?ca_file=/tmp/ca.pem&cert_file=/c.pem&key_file=/k.pem&sni=srv&verify_hostname=false");
  CHECK(c.tls.ca_file == "/tmp/ca.pem");
  CHECK(c.tls.cert_file == "/c.pem");
  CHECK(c.tls.key_file == "/k.pem");
  CHECK(c.tls.sni == "srv");
  CHECK(c.tls.verify_peer);
  CHECK_FALSE(c.tls.verify_hostname);
}

TEST_CASE("url: user, password and percent-encoding", "[url]") {
  auto c = Config::from_url("valkey://alice:p%40ss%3Aw@h:1/3");
  CHECK(c.user == "alice");
  CHECK(c.password == "p@ss:w");
  CHECK(c.database == 3);

  auto lone = Config::from_url("redis://s3cret@h");
  CHECK(lone.user.empty());
  CHECK(lone.password == "s3cret");

  auto empty_user = Config::from_url("redis://:pw@h");
  CHECK(empty_user.user.empty());
  CHECK(empty_user.password == "pw");
}

TEST_CASE("url: database from path or query, and query options", "[url]") {
  CHECK(Config::from_url("valkey://h/5").database == 5);
  CHECK(Config::from_url("valkey://h?db=7").database == 7);
  auto c = Config::from_url(
      "valkey://h?client_name=worker%201&protocol=resp2&connect_timeout=2s&request_timeout=250&"
      "health_check_interval=1m");
  CHECK(c.client_name == "worker 1");
  CHECK(c.protocol == valkey::Protocol::resp2);
  CHECK(c.connect_timeout == 2s);
  CHECK(c.request_timeout == 250ms);
  CHECK(c.health_check_interval == 60s);
}

TEST_CASE("url: unix sockets", "[url]") {
  auto c = Config::from_url("unix:///tmp/valkey.sock?db=2");
  CHECK(c.unix_path == "/tmp/valkey.sock");
  CHECK(c.database == 2);
  auto d = Config::from_url("unix://user:pw@/run/v.sock");
  CHECK(d.unix_path == "/run/v.sock");
  CHECK(d.user == "user");
  CHECK(d.password == "pw");
}

TEST_CASE("url: IPv6 literal", "[url]") {
  auto c = Config::from_url("valkey://[::1]:6390");
  CHECK(c.host == "::1");
  CHECK(c.port == 6390);
  CHECK(c.endpoint() == "[::1]:6390");
}

TEST_CASE("url: bad URLs fail with invalid_url and never echo the password", "[url]") {
  const char* bad[] = {
      "localhost:6379",              // no scheme
      "http://h",                    // wrong scheme
      "valkey://h:0",                // port 0
      "valkey://h:99999",            // port range
      "valkey://h:abc",              // port not a number
      "valkey://h/x",                // db not a number
      "valkey://h?db=-1",            // negative db
      "valkey://h?protocol=resp4",   // bad protocol
      "valkey://h?nope=1",           // unknown option
      "valkey://h?connect_timeout=fast",
      "valkey://h?ca_file=/x",       // TLS option without TLS
      "valkeys://h?cert_file=/x",    // cert without key
      "unix://relative/path",
      "valkey://u:p%zz@h",
      "valkey://[::1",
  };
  for (auto url : bad) {
    INFO(url);
    std::error_code ec;
    Config::from_url(url, ec);
    CHECK(ec == valkey::errc::invalid_url);
    CHECK_THROWS_AS(Config::from_url(url), valkey::Error);
  }
  try {
    Config::from_url("valkey://user:hunter2@h:notaport");
    FAIL("expected an error");
  } catch (const valkey::Error& e) {
    CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
    CHECK(e.code() == valkey::errc::invalid_url);
  }
}
