// Config::validate: each rule rejects its field with a message naming it, and
// the defaults and every URL form pass.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <asio/io_context.hpp>

#include <valkey/async_client.hpp>
#include <valkey/config.hpp>
#include <valkey/error.hpp>

using namespace std::chrono_literals;
using Catch::Matchers::ContainsSubstring;
using valkey::Config;

namespace {

std::string why_not(const Config& c) {
  std::string why;
  auto ec = c.validate(why);
  if (!ec) return {};
  CHECK(ec == valkey::errc::invalid_argument);
  CHECK_FALSE(why.empty());
  return why;
}

}  // namespace

TEST_CASE("config validate: the defaults and parsed URLs are valid", "[config][validate]") {
  CHECK(why_not(Config{}).empty());
  for (const char* url : {"valkey://h", "valkeys://u:p@h:6380/3?sni=x&ca_file=/ca.pem", "unix:///run/v.sock?db=2",
                          "valkey://:secret@h?request_timeout=5s&health_check_interval=0"}) {
    INFO(url);
    CHECK(why_not(Config::from_url(url)).empty());
  }
}

TEST_CASE("config validate: each bad field is named", "[config][validate]") {
  struct Case {
    const char* field;
    void (*edit)(Config&);
  };
  const Case cases[] = {
      {"Config::host", [](Config& c) { c.host.clear(); }},
      {"Config::port", [](Config& c) { c.port = 0; }},
      {"Config::database", [](Config& c) { c.database = -1; }},
      {"Config::user", [](Config& c) { c.user = "alice"; }},
      {"Config::connect_timeout", [](Config& c) { c.connect_timeout = 0ms; }},
      {"Config::request_timeout", [](Config& c) { c.request_timeout = -1ms; }},
      {"Config::health_check_interval", [](Config& c) { c.health_check_interval = -5ms; }},
      {"Config::max_connections", [](Config& c) { c.max_connections = 0; }},
      {"Config::max_connections", [](Config& c) { c.max_connections = 65; }},
      {"Config::on_queue_full", [](Config& c) { c.on_queue_full = valkey::QueueFullPolicy::fail; }},
      {"Config::tls.ca_file", [](Config& c) { c.tls.ca_file = "/ca.pem"; }},
      {"Config::tls.sni", [](Config& c) { c.tls.sni = "name"; }},
      {"Config::tls.cert_file", [](Config& c) { c.tls.enabled = true, c.tls.cert_file = "/c.pem"; }},
      {"Config::tls.enabled", [](Config& c) { c.tls.enabled = true, c.unix_path = "/run/v.sock"; }},
      {"Config::tls.handshake_timeout", [](Config& c) { c.tls.enabled = true, c.tls.handshake_timeout = 0ms; }},
      {"Config::reconnect.max_delay", [](Config& c) { c.reconnect.initial_delay = 10s, c.reconnect.max_delay = 1s; }},
      {"Config::reconnect.multiplier", [](Config& c) { c.reconnect.multiplier = 0.5; }},
      {"Config::reconnect.jitter", [](Config& c) { c.reconnect.jitter = 1.5; }},
  };
  for (const auto& k : cases) {
    Config c;
    k.edit(c);
    INFO(k.field);
    CHECK_THAT(why_not(c), ContainsSubstring(k.field));
  }
}

TEST_CASE("config validate: what is fine in context passes", "[config][validate]") {
  Config c;
  c.unix_path = "/run/v.sock";
  c.host.clear();  // ignored with a Unix socket
  c.port = 0;
  CHECK(why_not(c).empty());

  Config bounded;
  bounded.max_pending = 8;
  bounded.on_queue_full = valkey::QueueFullPolicy::fail;
  CHECK(why_not(bounded).empty());

  Config no_reconnect;
  no_reconnect.reconnect.enabled = false;  // its delays are never used
  no_reconnect.reconnect.multiplier = 0;
  CHECK(why_not(no_reconnect).empty());
}

TEST_CASE("config validate: the message never holds the password", "[config][validate]") {
  Config c = Config::from_url("valkey://u:hunter2@h");
  c.connect_timeout = 0ms;
  CHECK_THAT(why_not(c), !ContainsSubstring("hunter2"));
}

TEST_CASE("config validate: clients refuse a bad Config at construction", "[config][validate]") {
  Config c;
  c.port = 0;
  asio::io_context ioc;
  try {
    valkey::AsyncClient client{ioc.get_executor(), c};
    FAIL("constructed");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::invalid_argument);
    CHECK_THAT(e.what(), ContainsSubstring("Config::port"));
  }
}
